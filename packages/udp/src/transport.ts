// The UDP transport over loopback. Each side has its own socket bound to 127.0.0.1 (an ephemeral
// port); the peer sends the creating side a 16-byte token, both connect() to each other (from then on
// the kernel drops datagrams from anyone else), and every send is one datagram: boundaries kept,
// nothing guaranteed about delivery. Async path through the event loop, blocking path native.
import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import {
  DatagramGreeter,
  channelOnceConnected,
  FdStreamChannel,
  OwnedFd,
  TOKEN_BYTES,
  greetDatagram,
  ipcError,
  specParam,
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
};

export interface UdpOpenOptions {
  /** Address to bind (default 127.0.0.1). */
  host?: string;
}

function family(host: string): 'inet' | 'inet6' {
  const v = isIP(host);
  if (v === 0) throw ipcError('ERR_INVALID_ARG_VALUE', `host must be an IPv4 or IPv6 address (got ${JSON.stringify(host)})`);
  return v === 4 ? 'inet' : 'inet6';
}

/**
 * A connected UDP socket as a Channel: this project's fd engine (one datagram per send/recv; async
 * through libuv's uv_poll, blocking through plain send/recv). node:dgram is not used on this path: it
 * cannot take over a socket that is connected already (libuv refuses to connect it again), and
 * dissolving the connection first makes Linux drop the ephemeral port — for an instant the peer's
 * datagrams are refused. node:dgram runs beside it in the benchmark as the Node built-in baseline.
 */
export function udpChannel(fd: OwnedFd): FdStreamChannel {
  return new FdStreamChannel({ transport: 'udp', readFd: fd, writeFd: fd, kind: 'datagram', maxMessage: UDP_MAX_DATAGRAM });
}

export const udpTransport: Transport<UdpOpenOptions> = {
  id: 'udp',
  semantics: udpSemantics,
  blockingPath: true,

  async open(opts: UdpOpenOptions = {}): Promise<Opened> {
    const host = opts.host ?? '127.0.0.1';
    const fam = family(host);
    const fd = OwnedFd.own(socket(fam, 'dgram', true), 'udp channel');
    try {
      bind(fd.fd, { family: fam, address: host, port: 0 });
    } catch (err) {
      fd.close();
      throw err;
    }
    const { port } = getsockname(fd.fd) as { port: number };
    const token = randomBytes(TOKEN_BYTES);
    const deferred = channelOnceConnected({
      transport: 'udp',
      maxMessage: UDP_MAX_DATAGRAM,
      waiter: new DatagramGreeter(fd, token),
      make: () => udpChannel(fd),
      cancel: () => fd.close(),
    });
    return {
      channel: deferred,
      peer: { transport: 'udp', module: UDP_MODULE, params: { host, port, token: token.toString('hex') } },
      handOff: () => {},
    };
  },

  async attach(spec: PeerSpec): Promise<Channel> {
    const host = specParam(spec, 'host', (v): v is string => typeof v === 'string' && isIP(v) !== 0, 'an IP address');
    const port = specParam(spec, 'port', (v): v is number => Number.isInteger(v) && (v as number) > 0 && (v as number) < 65536, 'a port number');
    const token = specParam(spec, 'token', (v): v is string => typeof v === 'string' && /^[0-9a-f]{32}$/.test(v), '32 hex digits');
    const fam = family(host);
    const fd = OwnedFd.own(socket(fam, 'dgram', true), 'udp channel');
    try {
      bind(fd.fd, { family: fam, address: host, port: 0 });
      await greetDatagram(fd.fd, { family: fam, address: host, port }, Buffer.from(token, 'hex'));
    } catch (err) {
      fd.close();
      throw err;
    }
    return udpChannel(fd);
  },
};
