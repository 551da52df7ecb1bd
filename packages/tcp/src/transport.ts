// The TCP transport over loopback. The creating side listens (127.0.0.1, an ephemeral port unless told
// otherwise), the peer connects to the address in the PeerSpec and first sends a 16-byte random token
// from it (core's ListenerAcceptor): any other local process that connects to the port first is
// dropped, not mistaken for the peer. After the one accepted connection the listener is closed.
import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import {
  ListenerAcceptor,
  channelOnceConnected,
  OwnedFd,
  TOKEN_BYTES,
  connectWithToken,
  ipcError,
  specParam,
  type Channel,
  type Opened,
  type PeerSpec,
  type Semantics,
  type Transport,
} from '@ipc-compare/core';
import { bind, constants, getsockname, listen, setsockopt, socket } from '@ipc-compare/native';
import { tcpChannel } from './channel.js';

export const TCP_MODULE = '@ipc-compare/tcp';

export const tcpSemantics: Semantics = {
  duplex: 'full',
  boundaries: false,
  reliable: true,
  reach: 'network',
  passesFds: false,
  endOfStream: true,
};

export interface TcpOpenOptions {
  /** Address to listen on (default 127.0.0.1: never reachable from another host unless asked). */
  host?: string;
  /** Port (default 0: an ephemeral port chosen by the kernel). */
  port?: number;
  /** TCP_NODELAY on both ends (default true: no Nagle delay; false shows what Nagle costs). */
  noDelay?: boolean;
}

interface TcpParams {
  host: string;
  port: number;
  token: string;
  noDelay: boolean;
}

function family(host: string): 'inet' | 'inet6' {
  const v = isIP(host);
  if (v === 0) throw ipcError('ERR_INVALID_ARG_VALUE', `host must be an IPv4 or IPv6 address (got ${JSON.stringify(host)})`);
  return v === 4 ? 'inet' : 'inet6';
}

function setNoDelay(fd: number, on: boolean): void {
  setsockopt(fd, constants.IPPROTO_TCP, constants.TCP_NODELAY, on ? 1 : 0);
}

function checkOptions(o: TcpOpenOptions): void {
  if (o.port !== undefined && (!Number.isInteger(o.port) || o.port < 0 || o.port > 65535)) {
    throw ipcError('ERR_INVALID_ARG_VALUE', `port must be an integer in 0..65535 (got ${o.port})`);
  }
  if (o.noDelay !== undefined && typeof o.noDelay !== 'boolean') throw ipcError('ERR_INVALID_ARG_TYPE', 'noDelay must be a boolean');
}

export const tcpTransport: Transport<TcpOpenOptions> = {
  id: 'tcp',
  semantics: tcpSemantics,
  blockingPath: true,

  async open(opts: TcpOpenOptions = {}): Promise<Opened> {
    checkOptions(opts);
    const host = opts.host ?? '127.0.0.1';
    const fam = family(host);
    const noDelay = opts.noDelay ?? true;
    const listener = OwnedFd.own(socket(fam, 'stream', true), 'tcp listener');
    try {
      // An explicit port may still be in TIME_WAIT from an earlier run; a live listener still fails (EADDRINUSE).
      if (opts.port) setsockopt(listener.fd, constants.SOL_SOCKET, constants.SO_REUSEADDR, 1);
      bind(listener.fd, { family: fam, address: host, port: opts.port ?? 0 });
      listen(listener.fd, 8);
    } catch (err) {
      listener.close();
      throw err;
    }
    const addr = getsockname(listener.fd) as { port: number };
    const token = randomBytes(TOKEN_BYTES);
    const deferred = channelOnceConnected({
      transport: 'tcp',
      waiter: new ListenerAcceptor(listener, token),
      make: (fd: number) => {
        setNoDelay(fd, noDelay);
        return tcpChannel('tcp', OwnedFd.own(fd, 'tcp channel'), noDelay);
      },
    });
    const params: TcpParams = { host, port: addr.port, token: token.toString('hex'), noDelay };
    return { channel: deferred, peer: { transport: 'tcp', module: TCP_MODULE, params }, handOff: () => {} };
  },

  async attach(spec: PeerSpec): Promise<Channel> {
    const host = specParam(spec, 'host', (v): v is string => typeof v === 'string' && isIP(v) !== 0, 'an IP address');
    const port = specParam(spec, 'port', (v): v is number => Number.isInteger(v) && (v as number) > 0 && (v as number) < 65536, 'a port number');
    const token = specParam(spec, 'token', (v): v is string => typeof v === 'string' && /^[0-9a-f]{32}$/.test(v), '32 hex digits');
    const noDelay = specParam(spec, 'noDelay', (v): v is boolean => typeof v === 'boolean', 'a boolean');
    const fd = OwnedFd.own(socket(family(host), 'stream', true), 'tcp channel');
    try {
      setNoDelay(fd.fd, noDelay);
      await connectWithToken(fd.fd, { family: family(host), address: host, port }, Buffer.from(token, 'hex'));
    } catch (err) {
      fd.close();
      throw err;
    }
    return tcpChannel('tcp', fd, noDelay);
  },
};
