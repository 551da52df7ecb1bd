// @ipc-compare/udp: UDP over loopback — boundaries kept, delivery not promised.
import { udpTransport } from './transport.js';

export { UDP_MAX_DATAGRAM, UDP_MODULE, udpChannel, udpSemantics, udpTransport, type UdpOpenOptions } from './transport.js';

/** The transports of this package, by id (what a peer's TransportRegistry is given). */
export const transports = { udp: udpTransport };
