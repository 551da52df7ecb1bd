// @ipc-compare/unix: UNIX domain sockets — stream, datagram, seqpacket, socketpair, fd passing, peer
// credentials, and the course's recv-unix/send-unix.
import { unixDgramTransport, unixSeqpacketTransport } from './datagram.js';
import { socketpairDgramTransport, socketpairTransport, unixStreamTransport } from './stream.js';

export {
  UNIX_MAX_DATAGRAM,
  UNIX_MODULE,
  unixDgramSemantics,
  unixDgramTransport,
  unixSeqpacketSemantics,
  unixSeqpacketTransport,
  type UnixOpenOptions,
} from './datagram.js';
export { SocketNames, bindName, checkName, removeStaleSocket, unlinkName, type NameOptions } from './names.js';
export { FDS_PER_READ } from './datagram.js';
export {
  peerCredentials,
  socketpairDgramSemantics,
  socketpairDgramTransport,
  socketpairSemantics,
  socketpairTransport,
  unixStreamSemantics,
  unixStreamTransport,
  type UnixStreamOpenOptions,
} from './stream.js';

/** The transports of this package, by id (what a peer's TransportRegistry is given). */
export const transports = {
  'unix-stream': unixStreamTransport,
  'unix-dgram': unixDgramTransport,
  'unix-seqpacket': unixSeqpacketTransport,
  socketpair: socketpairTransport,
  'socketpair-dgram': socketpairDgramTransport,
};
