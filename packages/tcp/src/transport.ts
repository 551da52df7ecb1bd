// The TCP transport over loopback. The creating side listens (127.0.0.1, an ephemeral port unless told
// otherwise), the peer connects to the address in the PeerSpec and first sends a 16-byte random token
// from it: any other local process that connects to the port first is dropped, not mistaken for the
// peer. After the one accepted connection the listener is closed.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import {
  DeferredChannel,
  OwnedFd,
  ipcError,
  specParam,
  waitFd,
  type Channel,
  type Opened,
  type PeerSpec,
  type Semantics,
  type Transport,
} from '@ipc-compare/core';
import { accept, bind, connect, constants, errnoError, getsockname, getsockopt, listen, poll, read, setsockopt, socket, writeAll } from '@ipc-compare/native';
import { TcpChannel } from './channel.js';

export const TCP_MODULE = '@ipc-compare/tcp';
const TOKEN_BYTES = 16;
const HANDSHAKE_MS = 5000;

export const tcpSemantics: Semantics = {
  duplex: 'full',
  boundaries: false,
  reliable: true,
  reach: 'network',
  passesFds: false,
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

/** Accepts connections until one presents the token; the async loop and a blocking wait share it. */
class Acceptor {
  readonly #listener: OwnedFd;
  readonly #token: Buffer;
  readonly #noDelay: boolean;
  readonly #stop = new AbortController();
  #channel: TcpChannel | null = null;
  #resolve!: (ch: Channel) => void;
  #reject!: (err: Error) => void;
  readonly ready = new Promise<Channel>((res, rej) => {
    this.#resolve = res;
    this.#reject = rej;
  });

  constructor(listener: OwnedFd, token: Buffer, noDelay: boolean) {
    this.#listener = listener;
    this.#token = token;
    this.#noDelay = noDelay;
    this.ready.catch(() => {});
    void this.#acceptLoop();
  }

  async #acceptLoop(): Promise<void> {
    try {
      while (!this.#channel) {
        await waitFd(this.#listener.fd, 'read', { signal: this.#stop.signal });
        const fd = accept(this.#listener.fd, true);
        if (fd < 0) continue;
        if (await this.#checkToken(fd)) this.#finish(fd);
        else OwnedFd.own(fd, 'rejected tcp connection').close();
      }
    } catch (err) {
      if (!this.#stop.signal.aborted) this.#fail(err as Error);
    }
  }

  async #checkToken(fd: number): Promise<boolean> {
    const got = Buffer.alloc(TOKEN_BYTES);
    let n = 0;
    const deadline = Date.now() + HANDSHAKE_MS;
    while (n < TOKEN_BYTES) {
      const k = read(fd, got, n, TOKEN_BYTES - n);
      if (k === 0) return false;
      if (k > 0) {
        n += k;
        continue;
      }
      const left = deadline - Date.now();
      if (left <= 0) return false;
      try {
        await waitFd(fd, 'read', { signal: this.#stop.signal, timeoutMs: left });
      } catch (err) {
        if ((err as { code?: string }).code === 'ERR_PEER_TIMEOUT') return false;
        OwnedFd.own(fd, 'tcp connection').close();
        throw err;
      }
    }
    return timingSafeEqual(got, this.#token);
  }

  /** The blocking path: stop the async loop and accept here, on this thread. */
  waitSync(): Channel {
    if (this.#channel) return this.#channel;
    this.#stop.abort(); // closes the loop's poll watcher at once
    for (;;) {
      poll(this.#listener.fd, constants.POLLIN, -1);
      const fd = accept(this.#listener.fd, true);
      if (fd < 0) continue;
      if (this.#checkTokenSync(fd)) return this.#finish(fd);
      OwnedFd.own(fd, 'rejected tcp connection').close();
    }
  }

  #checkTokenSync(fd: number): boolean {
    const got = Buffer.alloc(TOKEN_BYTES);
    let n = 0;
    while (n < TOKEN_BYTES) {
      if (poll(fd, constants.POLLIN, HANDSHAKE_MS) === 0) return false;
      const k = read(fd, got, n, TOKEN_BYTES - n);
      if (k === 0) return false;
      if (k > 0) n += k;
    }
    return timingSafeEqual(got, this.#token);
  }

  cancel(): void {
    if (this.#channel) return;
    this.#stop.abort();
    this.#listener.close();
    this.#reject(ipcError('ERR_CHANNEL_CLOSED', 'tcp channel closed before a peer connected'));
  }

  #finish(fd: number): TcpChannel {
    this.#stop.abort();
    this.#listener.close(); // one peer per channel
    const own = OwnedFd.own(fd, 'tcp channel');
    setNoDelay(fd, this.#noDelay);
    this.#channel = new TcpChannel('tcp', own, this.#noDelay);
    this.#resolve(this.#channel);
    return this.#channel;
  }

  #fail(err: Error): void {
    this.#listener.close();
    this.#reject(err);
  }
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
    const acceptor = new Acceptor(listener, token, noDelay);
    const channel = new DeferredChannel({
      transport: 'tcp',
      ready: acceptor.ready,
      waitSync: () => acceptor.waitSync(),
      cancel: () => acceptor.cancel(),
    });
    const params: TcpParams = { host, port: addr.port, token: token.toString('hex'), noDelay };
    return { channel, peer: { transport: 'tcp', module: TCP_MODULE, params }, handOff: () => {} };
  },

  async attach(spec: PeerSpec): Promise<Channel> {
    const host = specParam(spec, 'host', (v): v is string => typeof v === 'string' && isIP(v) !== 0, 'an IP address');
    const port = specParam(spec, 'port', (v): v is number => Number.isInteger(v) && (v as number) > 0 && (v as number) < 65536, 'a port number');
    const token = specParam(spec, 'token', (v): v is string => typeof v === 'string' && /^[0-9a-f]{32}$/.test(v), '32 hex digits');
    const noDelay = specParam(spec, 'noDelay', (v): v is boolean => typeof v === 'boolean', 'a boolean');
    const fd = OwnedFd.own(socket(family(host), 'stream', true), 'tcp channel');
    try {
      if (connect(fd.fd, { family: family(host), address: host, port }) < 0) {
        await waitFd(fd.fd, 'write', { timeoutMs: 10_000 });
        const err = getsockopt(fd.fd, constants.SOL_SOCKET, constants.SO_ERROR);
        if (err !== 0) throw Object.assign(errnoError(err, 'connect'), { address: host, port });
      }
      setNoDelay(fd.fd, noDelay);
      writeAll(fd.fd, Buffer.from(token, 'hex')); // 16 bytes into an empty socket buffer: never waits
    } catch (err) {
      fd.close();
      throw err;
    }
    return new TcpChannel('tcp', fd, noDelay);
  },
};
