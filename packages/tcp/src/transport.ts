// The TCP transport over loopback. The creating side listens (127.0.0.1, an ephemeral port unless told
// otherwise), the peer connects to the address in the PeerSpec and first sends a 16-byte random token
// from it (core's ListenerAcceptor): any other local process that connects to the port first is
// dropped, not mistaken for the peer, and cannot hold it up. After the one accepted connection the
// listener is closed. Both paths run on core's fd engine; node:net is measured beside it in the bench.
import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import {
  FdChannel,
  ListenerAcceptor,
  OwnedFd,
  TOKEN_BYTES,
  checkAttachHost,
  cleanUpAfter,
  connectWithToken,
  ipFamily,
  makeOpened,
  specInteger,
  specParam,
  validateBoolean,
  validateOptionalInteger,
  validateOptions,
  validateString,
  type AttachOptions,
  type Channel,
  type Opened,
  type PeerSpec,
  type Semantics,
  type Transport,
} from '@ipc-compare/core';
import { bind, constants, getsockname, listen, setsockopt, shutdown, socket } from '@ipc-compare/native';

export const TCP_MODULE = '@ipc-compare/tcp';

export const tcpSemantics: Semantics = {
  duplex: 'full',
  boundaries: false,
  reliable: true,
  reach: 'network',
  passesFds: false,
  endOfStream: true,
  zeroCopy: false,
  persistence: 'none',
};

export interface TcpOpenOptions {
  /** Address to listen on (default 127.0.0.1: never reachable from another host unless asked). */
  host?: string;
  /** Port (default 0: an ephemeral port chosen by the kernel). */
  port?: number;
  /** TCP_NODELAY on both ends (default true: no Nagle delay; false shows what Nagle costs). */
  noDelay?: boolean;
  /** How long a connection may take to present its token before it is dropped (default 5000 ms). */
  handshakeTimeoutMs?: number;
}

interface TcpParams {
  host: string;
  port: number;
  token: string;
  noDelay: boolean;
}

function setNoDelay(fd: number, on: boolean): void {
  setsockopt(fd, constants.IPPROTO_TCP, constants.TCP_NODELAY, on ? 1 : 0);
}

/** A connected TCP socket as a Channel: a byte stream, end() sends FIN (shutdown SHUT_WR). */
export function tcpChannel(fd: OwnedFd): FdChannel {
  return new FdChannel({ transport: 'tcp', readFd: fd, writeFd: fd, shutdownWrite: (n) => shutdown(n, constants.SHUT_WR) });
}

function checkOptions(value: unknown): TcpOpenOptions {
  const o = validateOptions<TcpOpenOptions>(value);
  if (o.host !== undefined) validateString(o.host, 'host');
  validateOptionalInteger(o as Record<string, unknown>, 'port', 0, 65535);
  validateOptionalInteger(o as Record<string, unknown>, 'handshakeTimeoutMs', 1, 3_600_000);
  if (o.noDelay !== undefined) validateBoolean(o.noDelay, 'noDelay');
  return o;
}

export const tcpTransport: Transport<TcpOpenOptions> = {
  id: 'tcp',
  module: TCP_MODULE,
  semantics: tcpSemantics,
  blockingPath: true,

  async open(options?: TcpOpenOptions): Promise<Opened> {
    const opts = checkOptions(options);
    const host = opts.host ?? '127.0.0.1';
    const fam = ipFamily(host);
    const noDelay = opts.noDelay ?? true;
    const listener = OwnedFd.own(socket(fam, 'stream', true), 'tcp listener');
    try {
      // An explicit port may still be in TIME_WAIT from an earlier run; a live listener still fails (EADDRINUSE).
      if (opts.port) setsockopt(listener.fd, constants.SOL_SOCKET, constants.SO_REUSEADDR, 1);
      bind(listener.fd, { family: fam, address: host, port: opts.port ?? 0 });
      listen(listener.fd, 64);
    } catch (err) {
      throw cleanUpAfter(err, () => listener.close());
    }
    const addr = getsockname(listener.fd) as { port: number };
    const token = randomBytes(TOKEN_BYTES);
    const acceptor = new ListenerAcceptor(listener, token, opts.handshakeTimeoutMs === undefined ? {} : { handshakeMs: opts.handshakeTimeoutMs });
    const params: TcpParams = { host, port: addr.port, token: token.toString('hex'), noDelay };
    return makeOpened({
      transport: tcpTransport,
      peer: { transport: 'tcp', params },
      connected: acceptor.ready.then((n) => {
        const fd = OwnedFd.own(n, 'tcp channel');
        setNoDelay(n, noDelay);
        return tcpChannel(fd);
      }),
      cancel: () => acceptor.cancel(),
    });
  },

  async attach(spec: PeerSpec, opts?: AttachOptions): Promise<Channel> {
    const host = specParam(spec, 'host', (v): v is string => typeof v === 'string' && isIP(v) !== 0, 'an IP address');
    const port = specInteger(spec, 'port', 1, 65535);
    const token = specParam(spec, 'token', (v): v is string => typeof v === 'string' && /^[0-9a-f]{32}$/.test(v), '32 hex digits');
    const noDelay = specParam(spec, 'noDelay', (v): v is boolean => typeof v === 'boolean', 'a boolean');
    checkAttachHost('tcp', host, opts);
    const fd = OwnedFd.own(socket(ipFamily(host), 'stream', true), 'tcp channel');
    try {
      setNoDelay(fd.fd, noDelay);
      await connectWithToken(fd.fd, { family: ipFamily(host), address: host, port }, Buffer.from(token, 'hex'));
    } catch (err) {
      throw cleanUpAfter(err, () => fd.close());
    }
    return tcpChannel(fd);
  },
};
