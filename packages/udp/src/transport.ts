// The UDP transport over loopback. Each side has its own socket bound to 127.0.0.1 (an ephemeral
// port); the peer sends the creating side a 16-byte token, both connect() to each other (from then on
// the kernel drops datagrams from anyone else), and every send is one datagram: boundaries kept,
// nothing guaranteed about delivery. Async path through the event loop, blocking path native.
import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import {
  DatagramGreeter,
  FdChannel,
  OwnedFd,
  TOKEN_BYTES,
  checkAttachHost,
  cleanUpAfter,
  greetDatagram,
  ipFamily,
  makeOpened,
  specInteger,
  specParam,
  validateOptions,
  validateString,
  type AttachOptions,
  type Channel,
  type Opened,
  type PeerSpec,
  type Semantics,
  type Transport,
} from '@ipc-compare/core';
import { bind, getsockname, socket } from '@ipc-compare/native';

export const UDP_MODULE = '@ipc-compare/udp';
/** 65535 − 8 (UDP header) − 20 (IPv4 header). */
export const UDP_MAX_DATAGRAM = 65507;

export const udpSemantics: Semantics = {
  duplex: 'full',
  boundaries: true,
  reliable: false,
  reach: 'network',
  maxMessage: UDP_MAX_DATAGRAM,
  passesFds: false,
  endOfStream: false,
  zeroCopy: false,
  persistence: 'none',
};

export interface UdpOpenOptions {
  /** Address to bind (default 127.0.0.1). */
  host?: string;
}

/**
 * A connected UDP socket as a Channel: this project's fd engine (one datagram per send/recv; async
 * through libuv's uv_poll, blocking through plain send/recv). node:dgram is not used on this path: it
 * cannot take over a socket that is connected already (libuv refuses to connect it again), and
 * dissolving the connection first makes Linux drop the ephemeral port — for an instant the peer's
 * datagrams are refused. node:dgram runs beside it in the benchmark as the Node built-in baseline.
 */
export function udpChannel(fd: OwnedFd): FdChannel {
  return new FdChannel({ transport: 'udp', readFd: fd, writeFd: fd, kind: 'datagram', maxMessage: UDP_MAX_DATAGRAM });
}

export const udpTransport: Transport<UdpOpenOptions> = {
  id: 'udp',
  module: UDP_MODULE,
  semantics: udpSemantics,
  blockingPath: true,

  async open(options?: UdpOpenOptions): Promise<Opened> {
    const opts = validateOptions<UdpOpenOptions>(options);
    if (opts.host !== undefined) validateString(opts.host, 'host');
    const host = opts.host ?? '127.0.0.1';
    const fam = ipFamily(host);
    const fd = OwnedFd.own(socket(fam, 'dgram', true), 'udp channel');
    try {
      bind(fd.fd, { family: fam, address: host, port: 0 });
    } catch (err) {
      throw cleanUpAfter(err, () => fd.close());
    }
    const { port } = getsockname(fd.fd) as { port: number };
    const token = randomBytes(TOKEN_BYTES);
    const greeter = new DatagramGreeter(fd, token);
    return makeOpened({
      transport: udpTransport,
      peer: { transport: 'udp', params: { host, port, token: token.toString('hex') } },
      connected: greeter.ready.then(() => udpChannel(fd)),
      cancel: () => {
        greeter.cancel();
        fd.close();
      },
    });
  },

  async attach(spec: PeerSpec, opts?: AttachOptions): Promise<Channel> {
    const host = specParam(spec, 'host', (v): v is string => typeof v === 'string' && isIP(v) !== 0, 'an IP address');
    const port = specInteger(spec, 'port', 1, 65535);
    const token = specParam(spec, 'token', (v): v is string => typeof v === 'string' && /^[0-9a-f]{32}$/.test(v), '32 hex digits');
    checkAttachHost('udp', host, opts);
    const fam = ipFamily(host);
    const fd = OwnedFd.own(socket(fam, 'dgram', true), 'udp channel');
    try {
      // No bind: connect() picks the local address the route to `host` uses (loopback, or an interface).
      await greetDatagram(fd.fd, { family: fam, address: host, port }, Buffer.from(token, 'hex'));
    } catch (err) {
      throw cleanUpAfter(err, () => fd.close());
    }
    return udpChannel(fd);
  },
};
