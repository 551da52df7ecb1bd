// AF_UNIX SOCK_DGRAM and SOCK_SEQPACKET: message boundaries like UDP, delivery like a pipe — a full
// receiver makes the sender wait (or get EAGAIN) instead of dropping. Node has neither kind, so both
// run on this project's fd engine (async through uv_poll, blocking through send/recv).
import { randomBytes } from 'node:crypto';
import {
  DatagramGreeter,
  FdChannel,
  OwnedFd,
  TOKEN_BYTES,
  cleanUpAfter,
  greetDatagram,
  makeOpened,
  specParam,
  validateBoolean,
  validateOptions,
  type Channel,
  type DatagramGreeterOptions,
  type Opened,
  type PeerSpec,
  type Semantics,
  type Transport,
} from '@ipc-compare/core';
import { constants, recvfromCred, setsockopt, shutdown, socket } from '@ipc-compare/native';
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
  zeroCopy: false,
  persistence: 'none',
};

export const unixSeqpacketSemantics: Semantics = { ...unixDgramSemantics, endOfStream: true };

export interface UnixOpenOptions extends NameOptions {
  /**
   * Accept only a peer running as this process's uid: the greeting's credentials (SCM_CREDENTIALS,
   * filled in by the kernel) must say so, or the greeting is answered with a refusal.
   */
  sameUidOnly?: boolean;
}

/** The greeter reads each greeting with its sender's credentials and admits only `uid` (SO_PASSCRED must be on). */
function sameUid(uid: number): DatagramGreeterOptions['admit'] {
  return (fd, buf) => {
    const r = recvfromCred(fd, buf);
    if (r === -1) return -1;
    const [bytes, from, cred] = r;
    return { bytes, from, admitted: cred !== null && cred.uid === uid };
  };
}

function passCredentials(fd: number, on: boolean): void {
  setsockopt(fd, constants.SOL_SOCKET, constants.SO_PASSCRED, on ? 1 : 0);
}

const isName = (v: unknown): v is string => typeof v === 'string' && v.length > 0;
const isToken = (v: unknown): v is string => typeof v === 'string' && /^[0-9a-f]{32}$/.test(v);

function dgramChannel(id: string, fd: OwnedFd, kind: 'datagram' | 'seqpacket'): FdChannel {
  return new FdChannel({
    transport: id,
    readFd: fd,
    writeFd: fd,
    kind,
    maxMessage: UNIX_MAX_DATAGRAM,
    receiveFds: FDS_PER_READ,
    // A seqpacket socket is a connection: end() sends its end, the peer reads end of stream.
    ...(kind === 'seqpacket' ? { shutdownWrite: (n: number) => shutdown(n, constants.SHUT_WR) } : {}),
  });
}

export const unixDgramTransport: Transport<UnixOpenOptions> = {
  id: 'unix-dgram',
  module: UNIX_MODULE,
  semantics: unixDgramSemantics,
  blockingPath: true,

  async open(options?: UnixOpenOptions): Promise<Opened> {
    const opts = validateOptions<UnixOpenOptions>(options);
    if (opts.sameUidOnly !== undefined) validateBoolean(opts.sameUidOnly, 'sameUidOnly');
    const checkUid = opts.sameUidOnly === true;
    const fd = OwnedFd.own(socket('unix', 'dgram', true), 'unix-dgram channel'); // first: EMFILE here leaves nothing
    let names: SocketNames | undefined;
    let path: string;
    try {
      if (checkUid) passCredentials(fd.fd, true); // before the name exists: no greeting comes without them
      names = new SocketNames('dgram', opts);
      path = names.bind(fd.fd, 'a');
    } catch (err) {
      throw cleanUpAfter(err, () => fd.close(), () => names?.remove());
    }
    const sockets = names;
    const token = randomBytes(TOKEN_BYTES);
    const greeter = new DatagramGreeter(fd, token, checkUid ? { admit: sameUid(process.getuid!()) } : {});
    const peerPath = sockets.forPeer('b');
    const params = { path, peerPath, token: token.toString('hex') };
    return makeOpened({
      transport: unixDgramTransport,
      peer: { transport: 'unix-dgram', params },
      connected: greeter.ready.then((from) => {
        // Only the greeting needed credentials: the peer is the one sender left (connect()), and data
        // read with credentials would carry a control message the channel does not ask for.
        if (checkUid) passCredentials(fd.fd, false);
        const channel = dgramChannel('unix-dgram', fd, 'datagram');
        // Connected: the names are not needed any more, and nobody else can come in. The greeting came
        // from the peer's socket, so the peer's name is the peer's file (the one this side gave it).
        const held = from.family === 'unix' && from.path === peerPath ? [peerPath] : [];
        try {
          sockets.remove(held);
        } catch (err) {
          throw cleanUpAfter(err, () => void channel.close());
        }
        return channel;
      }),
      cancel: () => {
        greeter.cancel();
        fd.close();
        sockets.remove();
      },
    });
  },

  async attach(spec: PeerSpec): Promise<Channel> {
    const path = specParam(spec, 'path', isName, 'a socket name');
    const peerPath = specParam(spec, 'peerPath', isName, 'a socket name');
    const token = specParam(spec, 'token', isToken, '32 hex digits');
    checkName(path, 'connect');
    const fd = OwnedFd.own(socket('unix', 'dgram', true), 'unix-dgram channel');
    let bound = false;
    try {
      bindName(fd.fd, peerPath, 'dgram'); // the creating side learns where to send from this name
      bound = true;
      await greetDatagram(fd.fd, { family: 'unix', path }, Buffer.from(token, 'hex'));
    } catch (err) {
      // Only a name this call created is removed: a failed bind leaves whatever was there alone.
      throw cleanUpAfter(err, () => fd.close(), () => bound && unlinkName(peerPath));
    }
    // Connected: the creating side removes the names (its directory, or the files in a given one).
    return dgramChannel('unix-dgram', fd, 'datagram');
  },
};

export const unixSeqpacketTransport: Transport<ListenerOptions> = {
  id: 'unix-seqpacket',
  module: UNIX_MODULE,
  semantics: unixSeqpacketSemantics,
  blockingPath: true,
  async open(opts?: ListenerOptions): Promise<Opened> {
    return openListener(unixSeqpacketTransport, 'seqpacket', opts, (fd) => dgramChannel('unix-seqpacket', fd, 'seqpacket'));
  },
  async attach(spec: PeerSpec): Promise<Channel> {
    return attachListener(spec, 'seqpacket', (fd) => dgramChannel('unix-seqpacket', fd, 'seqpacket'));
  },
};
