// Rendezvous by inheritance: the creating process makes the kernel objects (pipes, a socketpair), keeps
// its ends and hands the others to the peer as inherited fds. Nothing is named anywhere, which is why
// only a related process (one this process starts) can take part.
import { setCloseOnExec } from '@ipc-compare/native';
import { cleanUpAfter, ipcError } from './errors.js';
import { FdChannel, type FdChannelOptions } from './fd/channel.js';
import { makeOpened } from './opened.js';
import { OwnedFd } from './owned-fd.js';
import type { Channel, Opened, PeerSpec, Transport } from './types.js';

/** The fds one end uses; `read` and `write` are the same fd for a socket. */
export interface FdEnds {
  read: number;
  write: number;
}

export interface InheritedParams {
  /** Indexes into PeerSpec.inheritFds. */
  fds: { read: number; write: number };
  [key: string]: unknown;
}

type ChannelOptions = Omit<FdChannelOptions, 'transport' | 'readFd' | 'writeFd'>;

/** Owned fds of one end; `read === write` for a socket. */
export interface OwnedEnds {
  read: OwnedFd;
  write: OwnedFd;
}

/** Builds the channel over one end's fds (default: FdChannel). Must call `onClose` when closed. */
export type ChannelFactory = (ends: OwnedEnds, onClose: () => void) => Channel;

export interface OpenInheritedOptions {
  transport: Transport;
  ours: FdEnds;
  theirs: FdEnds;
  /** Extra transport-specific params for the peer. */
  params?: Record<string, unknown>;
  channel?: ChannelOptions;
  /** Use another Channel implementation over our ends (e.g. node:net for a built-in baseline). */
  makeChannel?: ChannelFactory;
}

function ownEnds(ends: FdEnds, label: string): OwnedEnds {
  const read = OwnedFd.own(ends.read, `${label} (read end)`, { transferable: true });
  try {
    const write = ends.write === ends.read ? read : OwnedFd.own(ends.write, `${label} (write end)`, { transferable: true });
    return { read, write };
  } catch (err) {
    throw cleanUpAfter(err, () => read.close());
  }
}

/** Takes ownership of both ends and builds the Opened (the peer's ends close once it has them: handOff). */
export function openInherited(o: OpenInheritedOptions): Opened {
  const id = o.transport.id;
  const ours = ownEnds(o.ours, `${id} channel`);
  let theirs: OwnedEnds;
  try {
    theirs = ownEnds(o.theirs, `${id} peer fds`);
  } catch (err) {
    throw cleanUpAfter(err, () => ours.read.close(), () => ours.write.close());
  }
  const handOff = () => {
    theirs.read.close();
    theirs.write.close();
  };
  const onClose = () => {
    handOff();
    o.channel?.onClose?.();
  };
  const channel = o.makeChannel
    ? o.makeChannel(ours, onClose)
    : new FdChannel({ ...o.channel, transport: id, readFd: ours.read, writeFd: ours.write, onClose });
  const shared = o.theirs.read === o.theirs.write;
  const peer: PeerSpec = {
    transport: id,
    params: { ...o.params, fds: { read: 0, write: shared ? 0 : 1 } } satisfies InheritedParams,
    inheritFds: shared ? [o.theirs.read] : [o.theirs.read, o.theirs.write],
  };
  return makeOpened({ transport: o.transport, peer, connected: channel, handOff });
}

/** Reads and checks the inherited-fd part of a spec. */
export function inheritedFds(spec: PeerSpec): FdEnds {
  const params = spec.params as Partial<InheritedParams> | null;
  const fds = spec.inheritFds;
  if (params === null || typeof params !== 'object') {
    throw ipcError('ERR_INVALID_PEER_SPEC', `invalid PeerSpec for ${spec.transport}: params must be an object`);
  }
  const index = (name: 'read' | 'write'): number => {
    const i = params.fds?.[name];
    if (!fds || typeof i !== 'number' || !Number.isInteger(i) || i < 0 || i >= fds.length) {
      throw ipcError('ERR_INVALID_PEER_SPEC', `invalid PeerSpec for ${spec.transport}: params.fds.${name} must index inheritFds`);
    }
    return fds[i]!;
  };
  return { read: index('read'), write: index('write') };
}

/** The peer's side: adopts the inherited fds (EBADF if closed, ERR_FD_IN_USE if already owned here). */
export function attachInherited(spec: PeerSpec, channel: ChannelOptions = {}): FdChannel {
  const { read, write } = adoptInherited(spec);
  return new FdChannel({ ...channel, transport: spec.transport, readFd: read, writeFd: write });
}

/** Adopts the inherited fds of a spec (close-on-exec set), for callers that build their own channel. */
export function adoptInherited(spec: PeerSpec): OwnedEnds {
  const ends = inheritedFds(spec);
  const read = OwnedFd.adopt(ends.read, `${spec.transport} channel (read end)`);
  let write = read;
  if (ends.write !== ends.read) {
    try {
      write = OwnedFd.adopt(ends.write, `${spec.transport} channel (write end)`);
    } catch (err) {
      throw cleanUpAfter(err, () => read.close());
    }
  }
  // Inherited fds arrive without FD_CLOEXEC; this process's own children must not get them.
  setCloseOnExec(read.fd, true);
  setCloseOnExec(write.fd, true);
  return { read, write };
}
