// AF_UNIX SOCK_STREAM — a full-duplex pipe with a name — and socketpair(), the same without one. Both
// run on this project's fd engine with recvmsg(2) reads, so open fds can travel with the data
// (SCM_RIGHTS) on the async path as on the blocking one. node:net can talk to the same sockets but reads
// with read(2), which makes the kernel drop passed fds; it is measured beside them in the benchmark.
import {
  FdChannel,
  adoptInherited,
  inheritedFds,
  ipcError,
  openInherited,
  type Channel,
  type OwnedFd,
  type Opened,
  type PeerSpec,
  type Semantics,
  type Transport,
} from '@ipc-compare/core';
import { constants, fstat, peerCred, shutdown, socketpair, type PeerCred } from '@ipc-compare/native';
import { FDS_PER_READ, UNIX_MAX_DATAGRAM, UNIX_MODULE } from './datagram.js';
import { attachListener, openListener, type ListenerOptions } from './listener.js';


export const unixStreamSemantics: Semantics = {
  duplex: 'full',
  boundaries: false,
  reliable: true,
  reach: 'local',
  passesFds: true,
  endOfStream: true,
  zeroCopy: false,
  persistence: 'none',
};

export const socketpairSemantics: Semantics = { ...unixStreamSemantics, reach: 'related' };
export const socketpairDgramSemantics: Semantics = { ...socketpairSemantics, boundaries: true, endOfStream: false, maxMessage: UNIX_MAX_DATAGRAM };

export type UnixStreamOpenOptions = ListenerOptions;

function streamChannel(id: string, fd: OwnedFd): FdChannel {
  return new FdChannel({
    transport: id,
    readFd: fd,
    writeFd: fd,
    receiveFds: FDS_PER_READ,
    shutdownWrite: (n) => shutdown(n, constants.SHUT_WR),
  });
}

/** Who is at the other end of a connected AF_UNIX channel (SO_PEERCRED: as of connect()). */
export function peerCredentials(channel: Channel): PeerCred {
  const [fd] = channel.fds?.() ?? [];
  if (fd === undefined) throw ipcError('ERR_INVALID_ARG_VALUE', `${channel.transport}: not a socket channel, or closed`);
  return peerCred(fd);
}

export const unixStreamTransport: Transport<UnixStreamOpenOptions> = {
  id: 'unix-stream',
  module: UNIX_MODULE,
  semantics: unixStreamSemantics,
  blockingPath: true,
  async open(opts?: UnixStreamOpenOptions): Promise<Opened> {
    return openListener(unixStreamTransport, 'stream', opts, (fd) => streamChannel('unix-stream', fd));
  },
  async attach(spec: PeerSpec): Promise<Channel> {
    return attachListener(spec, 'stream', (fd) => streamChannel('unix-stream', fd));
  },
};

/** A socketpair end handed over by inheritance must be a socket (not a pipe or a file). */
function checkSocketEnd(spec: PeerSpec): void {
  const { read } = inheritedFds(spec);
  const { type } = fstat(read);
  if (type !== 'socket') throw ipcError('ERR_INVALID_PEER_SPEC', `invalid PeerSpec for ${spec.transport}: fd ${read} is a ${type}, expected a socket`);
}

function makePair(id: string, type: 'stream' | 'dgram'): Transport {
  const kind = type === 'stream' ? 'stream' : 'datagram';
  const channel = { kind, receiveFds: FDS_PER_READ, ...(type === 'stream' ? { shutdownWrite: (n: number) => shutdown(n, constants.SHUT_WR) } : { maxMessage: UNIX_MAX_DATAGRAM }) } as const;
  const t: Transport = {
    id,
    module: UNIX_MODULE,
    semantics: type === 'stream' ? socketpairSemantics : socketpairDgramSemantics,
    blockingPath: true,
    async open(): Promise<Opened> {
      const [mine, theirs] = socketpair(type);
      return openInherited({ transport: t, ours: { read: mine, write: mine }, theirs: { read: theirs, write: theirs }, channel });
    },
    async attach(spec: PeerSpec): Promise<Channel> {
      checkSocketEnd(spec);
      const { read } = adoptInherited(spec);
      return new FdChannel({ ...channel, transport: id, readFd: read, writeFd: read });
    },
  };
  return t;
}

/** socketpair(AF_UNIX, SOCK_STREAM): one end here, the other inherited by the child. */
export const socketpairTransport = makePair('socketpair', 'stream');
/** socketpair(AF_UNIX, SOCK_DGRAM): the same, one datagram per message. */
export const socketpairDgramTransport = makePair('socketpair-dgram', 'dgram');
