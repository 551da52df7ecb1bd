// Rendezvous by address (TCP, UNIX stream/seqpacket, UDP, UNIX datagram): the creating side waits at
// an address, the peer comes to it and proves it is the peer by presenting a random token from the
// PeerSpec — any other process that gets there first is turned away, not mistaken for the peer.
// The waiting side has an async path (event loop) and a blocking path that share one state.
import { timingSafeEqual } from 'node:crypto';
import {
  accept,
  connect,
  constants,
  errnoError,
  getsockopt,
  poll,
  read,
  recv,
  recvfrom,
  send,
  sendBlocking,
  writeAll,
  type SockAddr,
} from '@ipc-compare/native';
import { ipcError } from './errors.js';
import { OwnedFd } from './owned-fd.js';
import { waitFd } from './wait-fd.js';

export const TOKEN_BYTES = 16;
const HANDSHAKE_MS = 5000;
const ACK = Buffer.from('ipc-compare:ack\n');

/** Settles once with a value, from either the async loop or the blocking wait. */
abstract class Waiter<T> {
  readonly #stop = new AbortController();
  #done: T | null = null;
  #resolve!: (v: T) => void;
  #reject!: (err: Error) => void;
  readonly ready = new Promise<T>((res, rej) => {
    this.#resolve = res;
    this.#reject = rej;
  });

  constructor() {
    this.ready.catch(() => {});
  }

  protected get stopSignal(): AbortSignal {
    return this.#stop.signal;
  }

  protected get done(): T | null {
    return this.#done;
  }

  /** Stops the async loop now (its poll watcher is closed synchronously). */
  protected stopLoop(): void {
    this.#stop.abort();
  }

  protected finish(v: T): T {
    this.#stop.abort();
    this.#done = v;
    this.#resolve(v);
    return v;
  }

  protected fail(err: Error): void {
    this.#reject(err);
  }

  /** Runs the async loop; errors after stopLoop() are the loop being told to stop, not failures. */
  protected start(loop: () => Promise<void>): void {
    loop().catch((err: unknown) => {
      if (!this.#stop.signal.aborted) this.fail(err as Error);
    });
  }
}

/**
 * Accepts connections on a listening socket until one presents the token; returns its fd (the
 * listener is closed then: one peer per channel). Connections without the token are closed.
 */
export class ListenerAcceptor extends Waiter<number> {
  readonly #listener: OwnedFd;
  readonly #token: Buffer;
  readonly #admit: (fd: number) => boolean;
  /** Connections turned away (no token, or refused by `admit`). */
  rejected = 0;

  /** `admit` may refuse a connection before its token is read (e.g. by its SO_PEERCRED uid). */
  constructor(listener: OwnedFd, token: Buffer, admit: (fd: number) => boolean = () => true) {
    super();
    this.#listener = listener;
    this.#token = token;
    this.#admit = admit;
    this.start(async () => {
      while (this.done === null) {
        await waitFd(this.#listener.fd, 'read', { signal: this.stopSignal });
        const fd = accept(this.#listener.fd, true);
        if (fd < 0) continue;
        if (this.#admit(fd) && (await this.#tokenOk(fd))) this.#accepted(fd);
        else {
          this.rejected++;
          OwnedFd.own(fd, 'rejected connection').close();
        }
      }
    });
  }

  async #tokenOk(fd: number): Promise<boolean> {
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
        await waitFd(fd, 'read', { signal: this.stopSignal, timeoutMs: left });
      } catch (err) {
        if ((err as { code?: string }).code === 'ERR_PEER_TIMEOUT') return false;
        OwnedFd.own(fd, 'connection').close();
        throw err;
      }
    }
    return timingSafeEqual(got, this.#token);
  }

  /** The blocking path: stops the async loop and accepts here, on this thread. */
  waitSync(): number {
    if (this.done !== null) return this.done;
    this.stopLoop();
    for (;;) {
      poll(this.#listener.fd, constants.POLLIN, -1);
      const fd = accept(this.#listener.fd, true);
      if (fd < 0) continue;
      if (this.#admit(fd) && this.#tokenOkSync(fd)) return this.#accepted(fd);
      this.rejected++;
      OwnedFd.own(fd, 'rejected connection').close();
    }
  }

  #tokenOkSync(fd: number): boolean {
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
    if (this.done !== null) return;
    this.stopLoop();
    this.#listener.close();
    this.fail(ipcError('ERR_CHANNEL_CLOSED', 'closed before a peer connected'));
  }

  #accepted(fd: number): number {
    this.#listener.close();
    writeAll(fd, ACK); // the peer's attach returns only now: refused peers learn it there, not later
    return this.finish(fd);
  }
}

/** The peer's side of a listener: non-blocking connect, then the token. Throws ECONNREFUSED & co. */
export async function connectWithToken(fd: number, addr: SockAddr, token: Buffer): Promise<void> {
  if (connect(fd, addr) < 0) {
    await waitFd(fd, 'write', { timeoutMs: 10_000 });
    const err = getsockopt(fd, constants.SOL_SOCKET, constants.SO_ERROR);
    if (err !== 0) throw errnoError(err, 'connect', addr.family === 'unix' ? addr.path : undefined);
  }
  try {
    writeAll(fd, token); // 16 bytes into an empty socket buffer: never waits
  } catch (err) {
    const code = (err as { code?: string }).code;
    // Turned away at once (e.g. by SO_PEERCRED), before the token even went out.
    if (code === 'EPIPE' || code === 'ECONNRESET') throw ipcError('ERR_PEER_REFUSED', `${describe(addr)} closed the connection during the handshake: refused`);
    throw err;
  }
  // Then the acceptor's ack: a peer it refuses (wrong token, wrong uid) sees the connection closed here.
  const ack = Buffer.alloc(ACK.length);
  let got = 0;
  const deadline = Date.now() + HANDSHAKE_MS;
  while (got < ack.length) {
    let n: number;
    try {
      n = read(fd, ack, got, ack.length - got);
    } catch (err) {
      // Closed with our token unread: the kernel says "reset" rather than end of file.
      if ((err as { code?: string }).code === 'ECONNRESET') n = 0;
      else throw err;
    }
    if (n === 0) throw ipcError('ERR_PEER_REFUSED', `${describe(addr)} closed the connection during the handshake: refused`);
    if (n > 0) {
      got += n;
      continue;
    }
    const left = deadline - Date.now();
    if (left <= 0) throw ipcError('ERR_PEER_TIMEOUT', `no answer from ${describe(addr)} within ${HANDSHAKE_MS} ms`);
    await waitFd(fd, 'read', { timeoutMs: left });
  }
  if (!ack.equals(ACK)) throw ipcError('ERR_PEER_REFUSED', `${describe(addr)} answered the handshake with something else`);
}

function describe(addr: SockAddr): string {
  return addr.family === 'unix' ? JSON.stringify(addr.path) : addr.family === 'unspec' ? 'the peer' : `${addr.address}:${addr.port}`;
}

/**
 * The waiting side of a datagram rendezvous: reads datagrams until one is the token, connects the
 * socket to its sender (from then on the kernel drops datagrams from anyone else), throws away what
 * queued up before, and acknowledges. Resolves with the peer's address.
 */
export class DatagramGreeter extends Waiter<SockAddr> {
  readonly #fd: OwnedFd;
  readonly #token: Buffer;

  constructor(fd: OwnedFd, token: Buffer) {
    super();
    this.#fd = fd;
    this.#token = token;
    this.start(async () => {
      const buf = Buffer.alloc(TOKEN_BYTES + 1);
      while (this.done === null) {
        await waitFd(this.#fd.fd, 'read', { signal: this.stopSignal });
        const r = recvfrom(this.#fd.fd, buf);
        if (r !== -1) this.#consider(buf, r);
      }
    });
  }

  waitSync(): SockAddr {
    if (this.done !== null) return this.done;
    this.stopLoop();
    const buf = Buffer.alloc(TOKEN_BYTES + 1);
    for (;;) {
      poll(this.#fd.fd, constants.POLLIN, -1);
      const r = recvfrom(this.#fd.fd, buf);
      if (r === -1) continue;
      const addr = this.#consider(buf, r);
      if (addr) return addr;
    }
  }

  cancel(): void {
    if (this.done !== null) return;
    this.stopLoop();
    this.fail(ipcError('ERR_CHANNEL_CLOSED', 'closed before a peer arrived'));
  }

  #consider(buf: Buffer, [n, from]: [number, SockAddr | null]): SockAddr | null {
    if (n !== TOKEN_BYTES || !from || !timingSafeEqual(buf.subarray(0, TOKEN_BYTES), this.#token)) return null;
    connect(this.#fd.fd, from);
    while (recv(this.#fd.fd, buf, constants.MSG_DONTWAIT) >= 0) {
      // strangers' datagrams and nothing else: the peer sends data only after the ack
    }
    sendBlocking(this.#fd.fd, ACK);
    return this.finish(from);
  }
}

/** The peer's side of a datagram rendezvous: connect, send the token, wait for the ack. */
export async function greetDatagram(fd: number, addr: SockAddr, token: Buffer): Promise<void> {
  connect(fd, addr);
  if (send(fd, token) < 0) throw ipcError('ERR_PEER_TIMEOUT', 'could not send the greeting');
  const buf = Buffer.alloc(ACK.length + 1);
  const deadline = Date.now() + HANDSHAKE_MS;
  for (;;) {
    const n = recv(fd, buf);
    if (n === ACK.length && buf.subarray(0, n).equals(ACK)) return;
    if (n >= 0) continue; // not ours: keep waiting
    const left = deadline - Date.now();
    if (left <= 0) throw ipcError('ERR_PEER_TIMEOUT', `no answer from the peer within ${HANDSHAKE_MS} ms`);
    await waitFd(fd, 'read', { timeoutMs: left });
  }
}
