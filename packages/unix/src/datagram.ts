// AF_UNIX SOCK_DGRAM and SOCK_SEQPACKET: message boundaries like UDP, delivery like a pipe — a full
// receiver makes the sender wait (or get EAGAIN) instead of dropping. Node has neither kind, so both
// run on this project's fd engine (async through uv_poll, blocking through send/recv).
import { randomBytes } from 'node:crypto';
import {
  DatagramGreeter,
  channelOnceConnected,
  FdStreamChannel,
  OwnedFd,
  TOKEN_BYTES,
  greetDatagram,
  specParam,
  type Channel,
  type Opened,
  type PeerSpec,
  type Semantics,
  type Transport,
} from '@ipc-compare/core';
import { socket } from '@ipc-compare/native';
import { openListener, attachListener, UNIX_MODULE, type ListenerOptions } from './listener.js';
import { SocketNames, bindName, checkName, unlinkName, type NameOptions } from './names.js';

export { UNIX_MODULE };


/**
 * The largest AF_UNIX datagram with the default socket buffer: the kernel refuses a datagram longer
 * than SO_SNDBUF − 32 (212992 − 32 here; /proc/sys/net/core/wmem_default).
 */
export const UNIX_MAX_DATAGRAM = 212_960;

/** Fds accepted per read: more than that in one message is MSG_CTRUNC (reported, the rest closed). */
export const FDS_PER_READ = 64;

export const unixDgramSemantics: Semantics = {
  duplex: 'full',
  boundaries: true,
  reliable: true,
  reach: 'local',
  maxMessage: UNIX_MAX_DATAGRAM,
  passesFds: true,
  endOfStream: false,
};

export const unixSeqpacketSemantics: Semantics = { ...unixDgramSemantics, endOfStream: true };

export type UnixOpenOptions = NameOptions;

const isName = (v: unknown): v is string => typeof v === 'string' && v.length > 0;
const isToken = (v: unknown): v is string => typeof v === 'string' && /^[0-9a-f]{32}$/.test(v);

function dgramChannel(id: string, fd: OwnedFd, kind: 'datagram' | 'seqpacket'): FdStreamChannel {
  return new FdStreamChannel({ transport: id, readFd: fd, writeFd: fd, kind, maxMessage: UNIX_MAX_DATAGRAM, receiveFds: FDS_PER_READ });
}

export const unixDgramTransport: Transport<UnixOpenOptions> = {
  id: 'unix-dgram',
  semantics: unixDgramSemantics,
  blockingPath: true,

  async open(opts: UnixOpenOptions = {}): Promise<Opened> {
    const names = new SocketNames('dgram', opts);
    const fd = OwnedFd.own(socket('unix', 'dgram', true), 'unix-dgram channel');
    const path = names.name('a');
    try {
      bindName(fd.fd, path);
    } catch (err) {
      fd.close();
      names.remove();
      throw err;
    }
    const token = randomBytes(TOKEN_BYTES);
    const deferred = channelOnceConnected({
      transport: 'unix-dgram',
      maxMessage: UNIX_MAX_DATAGRAM,
      waiter: new DatagramGreeter(fd, token),
      make: () => {
        names.remove(); // connected: the names are not needed any more, and nobody else can come in
        return dgramChannel('unix-dgram', fd, 'datagram');
      },
      cancel: () => {
        fd.close();
        names.remove();
      },
    });
    const params = { path, peerPath: names.name('b'), token: token.toString('hex') };
    return { channel: deferred, peer: { transport: 'unix-dgram', module: UNIX_MODULE, params }, handOff: () => {} };
  },

  async attach(spec: PeerSpec): Promise<Channel> {
    const path = specParam(spec, 'path', isName, 'a socket name');
    const peerPath = specParam(spec, 'peerPath', isName, 'a socket name');
    const token = specParam(spec, 'token', isToken, '32 hex digits');
    checkName(path);
    const fd = OwnedFd.own(socket('unix', 'dgram', true), 'unix-dgram channel');
    try {
      bindName(fd.fd, peerPath); // the creating side learns where to send from this name
      await greetDatagram(fd.fd, { family: 'unix', path }, Buffer.from(token, 'hex'));
    } catch (err) {
      fd.close();
      unlinkName(peerPath);
      throw err;
    }
    // Connected: the creating side removes the names (its directory, or the files in a given one).
    return dgramChannel('unix-dgram', fd, 'datagram');
  },
};

export const unixSeqpacketTransport: Transport<ListenerOptions> = {
  id: 'unix-seqpacket',
  semantics: unixSeqpacketSemantics,
  blockingPath: true,
  async open(opts: ListenerOptions = {}): Promise<Opened> {
    return openListener('unix-seqpacket', 'seqpacket', opts, (fd) => dgramChannel('unix-seqpacket', fd, 'seqpacket'), UNIX_MAX_DATAGRAM);
  },
  async attach(spec: PeerSpec): Promise<Channel> {
    return attachListener(spec, 'seqpacket', (fd) => dgramChannel('unix-seqpacket', fd, 'seqpacket'));
  },
};
