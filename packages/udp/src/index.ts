// @ipc-compare/udp: UDP over loopback — boundaries kept, delivery not promised.
import { udpTransport } from './transport.js';

export { UDP_MAX_DATAGRAM, UDP_MODULE, udpChannel, udpSemantics, udpTransport, type UdpOpenOptions } from './transport.js';

/** Looked up by peers through PeerSpec.module / PeerSpec.transport. */
export const transports = { udp: udpTransport };
