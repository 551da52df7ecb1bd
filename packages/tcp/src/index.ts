// @ipc-compare/tcp: TCP over loopback, node:net for the async path, native sockets for the blocking one.
import { tcpTransport } from './transport.js';

export { TCP_MODULE, tcpSemantics, tcpTransport, type TcpOpenOptions } from './transport.js';
export { tcpChannel } from './channel.js';

/** Looked up by peers through PeerSpec.module / PeerSpec.transport. */
export const transports = { tcp: tcpTransport };
