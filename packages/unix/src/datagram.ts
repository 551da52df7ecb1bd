// AF_UNIX SOCK_DGRAM and SOCK_SEQPACKET: message boundaries like UDP, delivery like a pipe — a full
// receiver makes the sender wait (or get EAGAIN) instead of dropping. Node has neither kind, so both
// run on this project's fd engine (async through uv_poll, blocking through send/recv).
import { randomBytes } from 'node:crypto';
import {
  DatagramGreeter,
  DeferredChannel,
  FdStreamChannel,
  ListenerAcceptor,
  OwnedFd,
  TOKEN_BYTES,
  connectWithToken,
  greetDatagram,
  specParam,
  type Channel,
  type Opened,
  type PeerSpec,
  type Semantics,
  type Transport,
} from '@ipc-compare/core';
import { listen, socket } from '@ipc-compare/native';
import { SocketNames, bindName, checkName, unlinkName, type NameOptions } from './names.js';

export const UNIX_MODULE = '@ipc-compare/unix';

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
    const greeter = new DatagramGreeter(fd, token);
    let channel: Channel | null = null;
    const made = () => {
      names.remove(); // connected: the names are not needed any more, and nobody else can come in
      return (channel ??= dgramChannel('unix-dgram', fd, 'datagram'));
    };
    const deferred = new DeferredChannel({
      transport: 'unix-dgram',
      maxMessage: UNIX_MAX_DATAGRAM,
      ready: greeter.ready.then(made),
      waitSync: () => {
        greeter.waitSync();
        return made();
      },
      cancel: () => {
        greeter.cancel();
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

export const unixSeqpacketTransport: Transport<UnixOpenOptions> = {
  id: 'unix-seqpacket',
  semantics: unixSeqpacketSemantics,
  blockingPath: true,

  async open(opts: UnixOpenOptions = {}): Promise<Opened> {
    const names = new SocketNames('seqpacket', opts);
    const listener = OwnedFd.own(socket('unix', 'seqpacket', true), 'unix-seqpacket listener');
    const path = names.name('listen');
    try {
      bindName(listener.fd, path);
      listen(listener.fd, 8);
    } catch (err) {
      listener.close();
      names.remove();
      throw err;
    }
    const token = randomBytes(TOKEN_BYTES);
    const acceptor = new ListenerAcceptor(listener, token);
    let channel: Channel | null = null;
    const made = (fd: number) => {
      names.remove();
      return (channel ??= dgramChannel('unix-seqpacket', OwnedFd.own(fd, 'unix-seqpacket channel'), 'seqpacket'));
    };
    const deferred = new DeferredChannel({
      transport: 'unix-seqpacket',
      maxMessage: UNIX_MAX_DATAGRAM,
      ready: acceptor.ready.then(made),
      waitSync: () => made(acceptor.waitSync()),
      cancel: () => {
        acceptor.cancel();
        names.remove();
      },
    });
    const params = { path, token: token.toString('hex') };
    return { channel: deferred, peer: { transport: 'unix-seqpacket', module: UNIX_MODULE, params }, handOff: () => {} };
  },

  async attach(spec: PeerSpec): Promise<Channel> {
    const path = specParam(spec, 'path', isName, 'a socket name');
    const token = specParam(spec, 'token', isToken, '32 hex digits');
    checkName(path);
    const fd = OwnedFd.own(socket('unix', 'seqpacket', true), 'unix-seqpacket channel');
    try {
      await connectWithToken(fd.fd, { family: 'unix', path }, Buffer.from(token, 'hex'));
    } catch (err) {
      fd.close();
      throw err;
    }
    return dgramChannel('unix-seqpacket', fd, 'seqpacket');
  },
};
