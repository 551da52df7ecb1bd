// @ipc-compare/tcp: TCP over loopback on core's fd engine (async and blocking paths).
import { tcpTransport } from './transport.js';

export { TCP_MODULE, tcpChannel, tcpSemantics, tcpTransport, type TcpOpenOptions } from './transport.js';

/** The transports of this package, by id (what a peer's TransportRegistry is given). */
export const transports = { tcp: tcpTransport };
