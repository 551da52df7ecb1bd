// @ipc-compare/unix: UNIX domain sockets — datagram and seqpacket kinds, the course's recv-unix/send-unix.
import { unixDgramTransport, unixSeqpacketTransport } from './datagram.js';

export {
  UNIX_MAX_DATAGRAM,
  UNIX_MODULE,
  unixDgramSemantics,
  unixDgramTransport,
  unixSeqpacketSemantics,
  unixSeqpacketTransport,
  type UnixOpenOptions,
} from './datagram.js';
export { SocketNames, bindName, checkName, unlinkName, type NameOptions } from './names.js';

/** Looked up by peers through PeerSpec.module / PeerSpec.transport. */
export const transports = { 'unix-dgram': unixDgramTransport, 'unix-seqpacket': unixSeqpacketTransport };
