// Rendezvous by address (TCP, UNIX stream/seqpacket, UDP, UNIX datagram): the creating side waits at
// an address, the peer comes to it and proves it is the peer by presenting a random token from the
// PeerSpec. Any other process that gets there first is turned away, not mistaken for the peer, and
// cannot hold the peer up either: connections are read concurrently, each with its own deadline.
import { timingSafeEqual } from 'node:crypto';
import { accept, connect, constants, errnoError, getsockopt, read, recv, recvfrom, send, sendto, writeAll, type SockAddr } from '@ipc-compare/native';
import { cleanUpAfter, closedError, hasCode, ipcError } from './errors.js';
import { OwnedFd } from './owned-fd.js';
import { waitFd } from './wait-fd.js';

export const TOKEN_BYTES = 16;
/** How long a connection (or the peer's wait for an answer) may take to complete the handshake. */
export const HANDSHAKE_MS = 5000;
/** Connections whose token is being read at once; beyond that the oldest is dropped. */
const MAX_PENDING = 64;
const ACK = Buffer.from('ipc-compare:ack\n');
const NAK = Buffer.from('ipc-compare:nak\n');

function describe(addr: SockAddr): string {
  if (addr.family === 'unix') return addr.path.startsWith('\0') ? `@${addr.path.slice(1)}` : JSON.stringify(addr.path);
  return addr.family === 'unspec' ? 'the peer' : `${addr.address}:${addr.port}`;
}

/** A one-shot result that the async loop settles once. */
class Outcome<T> {
  readonly promise: Promise<T>;
  resolve!: (v: T) => void;
  reject!: (err: Error) => void;
  settled = false;

  constructor() {
    this.promise = new Promise<T>((res, rej) => {
      this.resolve = (v) => {
        this.settled = true;
        res(v);
      };
      this.reject = (e) => {
        this.settled = true;
        rej(e);
      };
    });
    this.promise.catch(() => {});
  }
}

export interface ListenerAcceptorOptions {
  /** May refuse a connection before its token is read (e.g. by its SO_PEERCRED uid). */
  admit?: (fd: number) => boolean;
  /** Per-connection deadline for the token (default HANDSHAKE_MS). */
  handshakeMs?: number;
}

/**
 * Accepts connections on a listening socket until one presents the token, and resolves `ready` with
 * its fd (the listener and every other connection are closed then: one peer per channel).
 */
export class ListenerAcceptor {
  readonly #listener: OwnedFd;
  readonly #token: Buffer;
  readonly #admit: (fd: number) => boolean;
  readonly #handshakeMs: number;
  readonly #stop = new AbortController();
  readonly #pending = new Map<OwnedFd, AbortController>();
  readonly #outcome = new Outcome<number>();
  /** Connections turned away (no token, wrong token, refused by `admit`, or too many at once). */
  rejected = 0;

  constructor(listener: OwnedFd, token: Buffer, o: ListenerAcceptorOptions = {}) {
    this.#listener = listener;
    this.#token = token;
    this.#admit = o.admit ?? (() => true);
    this.#handshakeMs = o.handshakeMs ?? HANDSHAKE_MS;
    this.#acceptLoop().catch((err: unknown) => {
      if (!this.#stop.signal.aborted) this.#finish(err as Error);
    });
  }

  get ready(): Promise<number> {
    return this.#outcome.promise;
  }

  async #acceptLoop(): Promise<void> {
    while (!this.#outcome.settled) {
      await waitFd(this.#listener.fd, 'read', { signal: this.#stop.signal });
      for (let fd = accept(this.#listener.fd, true); fd >= 0 && !this.#outcome.settled; fd = accept(this.#listener.fd, true)) {
        const conn = OwnedFd.own(fd, 'connection waiting for its token');
        if (!this.#admit(fd)) this.#turnAway(conn);
        else this.#handshake(conn);
      }
    }
  }

  #handshake(conn: OwnedFd): void {
    if (this.#pending.size >= MAX_PENDING) {
      const [oldest, stop] = this.#pending.entries().next().value!;
      stop.abort(); // its handshake turns it away
      this.#pending.delete(oldest);
    }
    const stop = new AbortController();
    this.#pending.set(conn, stop);
    this.#readToken(conn, stop.signal).then(
      (ok) => {
        this.#pending.delete(conn);
        if (ok && !this.#outcome.settled) return this.#accepted(conn);
        this.#turnAway(conn);
      },
      () => {
        this.#pending.delete(conn);
        this.#turnAway(conn);
      },
    );
  }

  async #readToken(conn: OwnedFd, signal: AbortSignal): Promise<boolean> {
    const got = Buffer.alloc(TOKEN_BYTES);
    let n = 0;
    const deadline = Date.now() + this.#handshakeMs;
    while (n < TOKEN_BYTES) {
      if (signal.aborted) return false;
      const k = read(conn.fd, got, n, TOKEN_BYTES - n);
      if (k === 0) return false;
      if (k > 0) {
        n += k;
        continue;
      }
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await waitFd(conn.fd, 'read', { signal, timeoutMs: left });
    }
    return timingSafeEqual(got, this.#token);
  }

  #turnAway(conn: OwnedFd): void {
    this.rejected++;
    conn.close();
  }

  #accepted(conn: OwnedFd): void {
    try {
      writeAll(conn.fd, ACK); // the peer's attach returns only now: a refused peer learns it there
    } catch (err) {
      this.#turnAway(conn); // it went away meanwhile: keep waiting for the real peer
      return void err;
    }
    this.#finish(null, conn.transfer()); // the channel takes ownership of the number
  }

  #finish(err: Error | null, fd = -1): void {
    if (this.#outcome.settled) return;
    this.#stop.abort();
    for (const [conn, stop] of this.#pending) {
      stop.abort();
      conn.close();
    }
    this.#pending.clear();
    cleanUpAfter(err, () => this.#listener.close());
    if (err) this.#outcome.reject(err);
    else this.#outcome.resolve(fd);
  }

  /** Stops waiting: the listener and every connection still handshaking are closed. */
  cancel(): void {
    this.#finish(closedError('listener', 'closed before a peer connected'));
  }
}

/** The peer's side of a listener: non-blocking connect, then the token, then the acceptor's ack. */
export async function connectWithToken(fd: number, addr: SockAddr, token: Buffer): Promise<void> {
  if (connect(fd, addr) < 0) {
    await waitFd(fd, 'write', { timeoutMs: 10_000 });
    const err = getsockopt(fd, constants.SOL_SOCKET, constants.SO_ERROR);
    if (err !== 0) throw errnoError(err, 'connect', addr); // with address and port (or path), as node:net's
  }
  const refused = () => ipcError('ERR_PEER_REFUSED', `${describe(addr)} closed the connection during the handshake: refused`);
  try {
    writeAll(fd, token); // 16 bytes into an empty socket buffer: never waits
  } catch (err) {
    // Turned away at once (e.g. by SO_PEERCRED), before the token even went out.
    if (hasCode(err) && (err.code === 'EPIPE' || err.code === 'ECONNRESET')) throw refused();
    throw err;
  }
  const ack = Buffer.alloc(ACK.length);
  let got = 0;
  const deadline = Date.now() + HANDSHAKE_MS;
  while (got < ack.length) {
    let n: number;
    try {
      n = read(fd, ack, got, ack.length - got);
    } catch (err) {
      if (hasCode(err) && err.code === 'ECONNRESET') n = 0; // closed with our token unread
      else throw err;
    }
    if (n === 0) throw refused();
    if (n > 0) {
      got += n;
      continue;
    }
    await waitAnswer(fd, deadline, addr);
  }
  if (!ack.equals(ACK)) throw ipcError('ERR_PEER_REFUSED', `${describe(addr)} answered the handshake with something else`);
}

async function waitAnswer(fd: number, deadline: number, addr: SockAddr): Promise<void> {
  const left = deadline - Date.now();
  const timeout = () => ipcError('ERR_PEER_TIMEOUT', `no answer to the handshake from ${describe(addr)} within ${HANDSHAKE_MS} ms`);
  if (left <= 0) throw timeout();
  try {
    await waitFd(fd, 'read', { timeoutMs: left });
  } catch (err) {
    throw hasCode(err) && err.code === 'ERR_PEER_TIMEOUT' ? timeout() : err;
  }
}

export interface DatagramGreeterOptions {
  /** Reads the sender's credentials with each datagram and may refuse it (SCM_CREDENTIALS). */
  admit?: (fd: number, buf: Buffer) => -1 | { bytes: number; from: SockAddr | null; admitted: boolean };
}

/**
 * The waiting side of a datagram rendezvous: reads datagrams until one is the token, connects the
 * socket to its sender (from then on the kernel drops datagrams from anyone else), throws away what
 * queued up before, and acknowledges; a wrong token is answered with a refusal. Resolves with the
 * peer's address.
 */
export class DatagramGreeter {
  readonly #fd: OwnedFd;
  readonly #token: Buffer;
  readonly #receive: NonNullable<DatagramGreeterOptions['admit']>;
  readonly #stop = new AbortController();
  readonly #outcome = new Outcome<SockAddr>();

  constructor(fd: OwnedFd, token: Buffer, o: DatagramGreeterOptions = {}) {
    this.#fd = fd;
    this.#token = token;
    this.#receive =
      o.admit ??
      ((n, buf) => {
        const r = recvfrom(n, buf);
        return r === -1 ? -1 : { bytes: r[0], from: r[1], admitted: true };
      });
    this.#loop().catch((err: unknown) => {
      if (!this.#stop.signal.aborted) this.#outcome.reject(err as Error);
    });
  }

  get ready(): Promise<SockAddr> {
    return this.#outcome.promise;
  }

  async #loop(): Promise<void> {
    const buf = Buffer.alloc(TOKEN_BYTES + 1);
    while (!this.#outcome.settled) {
      await waitFd(this.#fd.fd, 'read', { signal: this.#stop.signal });
      // Settled is checked before each read, never after: once the ack is out, the next datagram is
      // the peer's first message and belongs to the channel.
      while (!this.#outcome.settled) {
        const r = this.#receive(this.#fd.fd, buf);
        if (r === -1) break;
        if (r.bytes !== TOKEN_BYTES || !r.from) continue; // not a greeting at all
        if (!r.admitted || !timingSafeEqual(buf.subarray(0, TOKEN_BYTES), this.#token)) {
          refuse(this.#fd.fd, r.from);
          continue;
        }
        this.#greeted(r.from);
      }
    }
  }

  #greeted(from: SockAddr): void {
    connect(this.#fd.fd, from);
    const buf = Buffer.alloc(1);
    while (recv(this.#fd.fd, buf, constants.MSG_DONTWAIT) >= 0) {
      // strangers' datagrams queued before the connect: the peer sends data only after the ack
    }
    send(this.#fd.fd, ACK);
    this.#stop.abort();
    this.#outcome.resolve(from);
  }

  cancel(): void {
    if (this.#outcome.settled) return;
    this.#stop.abort();
    this.#outcome.reject(closedError('datagram socket', 'closed before a peer arrived'));
  }
}

/** Answers a wrong greeting with a refusal, so its sender fails fast (best effort: it may be gone). */
function refuse(fd: number, to: SockAddr): void {
  try {
    sendto(fd, NAK, to, constants.MSG_DONTWAIT);
  } catch {
    // the sender is gone, or its queue is full: it will time out instead
  }
}

/** The peer's side of a datagram rendezvous: connect, send the token, wait for the answer. */
export async function greetDatagram(fd: number, addr: SockAddr, token: Buffer): Promise<void> {
  connect(fd, addr);
  if (send(fd, token) < 0) throw ipcError('ERR_PEER_TIMEOUT', `could not send the greeting to ${describe(addr)} (its queue is full)`);
  const buf = Buffer.alloc(ACK.length + 1);
  const deadline = Date.now() + HANDSHAKE_MS;
  for (;;) {
    const n = recv(fd, buf);
    if (n === ACK.length && buf.subarray(0, n).equals(ACK)) return;
    if (n === NAK.length && buf.subarray(0, n).equals(NAK)) throw ipcError('ERR_PEER_REFUSED', `${describe(addr)} refused the greeting (wrong token, or not allowed)`);
    if (n >= 0) continue; // not ours: keep waiting
    await waitAnswer(fd, deadline, addr);
  }
}
