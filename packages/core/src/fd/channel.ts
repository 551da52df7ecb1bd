// A Channel over one fd (a socket) or two (a pipe pair, two FIFOs): the one engine every fd-based
// mechanism runs on, so their rows differ only by the kernel object underneath. `kind` picks the byte
// stream or the datagram rules (stream-io.ts, datagram-io.ts); this file holds the policy:
//  - async path: fds O_NONBLOCK, libuv readiness (watcher.ts). Reads are eager up to a high-water mark;
//    the sends of one event-loop turn are gathered and written together from a microtask, and only
//    what the kernel does not take waits for writability. A send resolves when the kernel has it.
//  - blocking path: blocking fds, one syscall per call as in C. The mode switches on first use of the
//    other path (one fcntl per switch).
//  - lifecycle: close() settles every pending send, recv and end() at once (write-queue.ts and
//    read-queue.ts hold them), and so does an I/O error for its direction.
import { constants, errnoError, getsockname, setNonBlocking } from '@ipc-compare/native';
import { abortError, closedError, ipcError, isSystemError } from '../errors.js';
import { OwnedFd } from '../owned-fd.js';
import type { Channel, RecvOptions, SendOptions } from '../types.js';
import { validateBytes, validateInteger } from '../validate.js';
import { DatagramIo } from './datagram-io.js';
import type { IoStats, KindIo, SyncWithFds, Truncation } from './io.js';
import { ReadQueue, type WithFds } from './read-queue.js';
import { StreamIo } from './stream-io.js';
import { FdWatcher, type Direction } from './watcher.js';
import { WriteQueue } from './write-queue.js';

export type { WithFds } from './read-queue.js';
export type { Truncation } from './io.js';

export interface FdChannelOptions {
  transport: string;
  /** The fd to read from (null: this end only writes). */
  readFd: OwnedFd | null;
  /** The fd to write to; may be the same object as readFd (a socket). */
  writeFd: OwnedFd | null;
  /**
   * 'stream' (default): bytes, any split. 'datagram': one send = one datagram = one recv, no end of
   * stream (UDP, AF_UNIX SOCK_DGRAM). 'seqpacket': datagrams on a connection, end of stream when the
   * peer closes.
   */
  kind?: 'stream' | 'datagram' | 'seqpacket';
  /** Datagram kinds: the largest message a send accepts (ERR_MESSAGE_TOO_LARGE above, before any syscall). */
  maxMessage?: number;
  /** Bytes asked of each read. Default 64 KiB for streams, maxMessage (at most 1 MiB) for datagrams. */
  readSize?: number;
  /** Stop reading ahead when this many bytes wait for recv(). Default 1 MiB. */
  highWaterMark?: number;
  /**
   * AF_UNIX sockets: read with recvmsg(2), accepting up to this many passed fds per read (SCM_RIGHTS).
   * A plain read(2) makes the kernel close any fds that arrive. Default 0: read(2).
   */
  receiveFds?: number;
  /** Ends the write direction for `end()` when readFd === writeFd (e.g. shutdown(SHUT_WR)). */
  shutdownWrite?: (fd: number) => void;
  /** Extra cleanup run once by close() after the fds are closed (remove files, …). */
  onClose?: () => void;
}

/**
 * Sends settled per turn of the event loop before the next one waits for the loop: a tight
 * `for (;;) await send()` whose sends the kernel always takes at once (UDP drops instead of blocking)
 * would otherwise run in microtasks only, and timers and I/O would never get a turn.
 */
const SENDS_PER_TURN = 64;

export class FdChannel implements Channel {
  readonly transport: string;
  /** Syscalls made so far, and sends the kernel refused for now (EAGAIN). */
  readonly syscalls: IoStats = { reads: 0, writes: 0, wouldBlock: 0 };
  readonly #readFd: OwnedFd | null;
  readonly #writeFd: OwnedFd | null;
  readonly #kind: 'stream' | 'datagram' | 'seqpacket';
  readonly #maxMessage: number;
  readonly #highWater: number;
  readonly #shutdownWrite: ((fd: number) => void) | undefined;
  readonly #onClose: (() => void) | undefined;
  readonly #io: KindIo;
  readonly #passesFds: boolean;
  readonly #rq = new ReadQueue();
  readonly #wq = new WriteQueue();
  readonly #watcher: FdWatcher;
  #mode: 'idle' | 'async' | 'blocking' = 'idle';
  #closed = false;
  #writeError: Error | null = null;
  #ending: Promise<void> | null = null;
  #reading = false;
  #pollErrors = 0;
  #flushScheduled = false;
  #turnSends = 0;
  #turnResetScheduled = false;

  constructor(o: FdChannelOptions) {
    this.transport = o.transport;
    this.#readFd = o.readFd;
    this.#writeFd = o.writeFd;
    this.#kind = o.kind ?? 'stream';
    this.#maxMessage = o.maxMessage ?? Number.MAX_SAFE_INTEGER;
    this.#highWater = o.highWaterMark ?? 1 << 20;
    this.#shutdownWrite = o.shutdownWrite;
    this.#onClose = o.onClose;
    const readSize = o.readSize ?? (this.#kind === 'stream' ? 64 * 1024 : Math.min(this.#maxMessage, 1 << 20));
    validateInteger(readSize, 'readSize', 1, 1 << 30);
    validateInteger(this.#highWater, 'highWaterMark', 0);
    const receiveFds = o.receiveFds ?? 0;
    validateInteger(receiveFds, 'receiveFds', 0, constants.SCM_MAX_FD);
    this.#passesFds = isUnixSocket(this.#writeFd);
    const io = { transport: this.transport, stats: this.syscalls, readSize, highWater: this.#highWater, receiveFds };
    this.#io = this.#kind === 'stream' ? new StreamIo(io) : new DatagramIo(io, this.#kind === 'seqpacket');
    this.#watcher = new FdWatcher(this.#readFd, this.#writeFd, (which, status, events) => this.#onReady(which, status, events));
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Bytes handed to send() that the kernel has not taken yet. */
  get pendingWriteBytes(): number {
    return this.#wq.pendingBytes;
  }

  /** Datagram kinds: what the last blocking read could not fit into its buffer (null if it all fit). */
  get lastTruncation(): Truncation | null {
    return this.#io.lastTruncation;
  }

  // ---- async path ---------------------------------------------------------------------------------

  send(data: Uint8Array, opts?: SendOptions): Promise<void> {
    return this.#queue([data], undefined, opts, 'data');
  }

  /** Gather send: the chunks go out in order (one datagram each), batched into as few syscalls as possible. */
  sendv(chunks: readonly Uint8Array[], opts?: SendOptions): Promise<void> {
    if (!Array.isArray(chunks)) return Promise.reject(ipcError('ERR_INVALID_ARG_TYPE', 'The "chunks" argument must be an array of Uint8Array'));
    return this.#queue(chunks, undefined, opts, 'chunk');
  }

  /**
   * Sends `data` with open fds (SCM_RIGHTS): the receiver gets its own fds for the same open files;
   * these stay open here. At least one byte of data, at most SCM_MAX_FD (253) fds.
   */
  sendFds(data: Uint8Array, fds: readonly number[], opts?: SendOptions): Promise<void> {
    try {
      checkFdArgs(data, fds);
      this.#canPassFds();
    } catch (err) {
      return Promise.reject(err);
    }
    return this.#queue([data], fds, opts, 'data');
  }

  #queue(chunks: readonly Uint8Array[], fds: readonly number[] | undefined, opts: SendOptions | undefined, name: string): Promise<void> {
    try {
      for (const c of chunks) validateBytes(c, name);
      this.#checkSizes(chunks);
      this.#writable();
      if (opts?.signal?.aborted) throw abortError(opts.signal);
      this.#enterMode('async');
    } catch (err) {
      return Promise.reject(err);
    }
    if (chunks.length === 0) return Promise.resolve();
    const sent = this.#wq.push(chunks, fds, opts?.signal, () => this.#watch());
    this.#scheduleFlush();
    return sent;
  }

  recv(opts?: RecvOptions): Promise<Uint8Array | null> {
    const item = this.#rq.shift();
    if (item !== undefined) {
      this.#watch();
      return item instanceof Error ? Promise.reject(item) : Promise.resolve(item);
    }
    return this.#wait(opts, false);
  }

  /** The next chunk or message with the fds that came with it (none: an empty array); null at the end. */
  recvFds(opts?: RecvOptions): Promise<WithFds | null> {
    const item = this.#rq.shiftWithFds();
    if (item !== undefined) {
      this.#watch();
      return item instanceof Error ? Promise.reject(item) : Promise.resolve(item);
    }
    return this.#wait(opts, true);
  }

  #wait(opts: RecvOptions | undefined, withFds: true): Promise<WithFds | null>;
  #wait(opts: RecvOptions | undefined, withFds: false): Promise<Uint8Array | null>;
  #wait(opts: RecvOptions | undefined, withFds: boolean): Promise<Uint8Array | WithFds | null> {
    try {
      this.#readable();
      if (this.#rq.error) throw this.#rq.error;
      if (this.#rq.eof) return Promise.resolve(null);
      if (opts?.signal?.aborted) throw abortError(opts.signal);
      this.#enterMode('async');
    } catch (err) {
      return Promise.reject(err);
    }
    this.#reading = true;
    const got = withFds ? this.#rq.wait(opts?.signal, true, () => this.#watch()) : this.#rq.wait(opts?.signal, false, () => this.#watch());
    this.#watch();
    return got;
  }

  /**
   * Half-close: once every queued send is in the kernel, ends the write direction so the peer reads
   * end of stream; recv keeps working. Rejects if the sends fail or close() comes first.
   */
  end(): Promise<void> {
    if (this.#ending) return this.#ending;
    try {
      this.#writable();
    } catch (err) {
      return Promise.reject(err);
    }
    const w = this.#writeFd!;
    if (w === this.#readFd && !this.#shutdownWrite) {
      return Promise.reject(ipcError('ERR_INVALID_STATE', `${this.transport}: end() needs shutdownWrite for a shared fd`));
    }
    this.#ending = this.#wq.drained().then(() => {
      if (this.#closed) throw closedError(this.transport);
      if (w === this.#readFd) this.#shutdownWrite!(w.fd);
      else {
        this.#watcher.closeWrite();
        w.close();
      }
    });
    return this.#ending;
  }

  // ---- blocking path ------------------------------------------------------------------------------

  sendSync(data: Uint8Array): void {
    this.sendvSync([data]);
  }

  /** Blocking gather send: all chunks in order (streams: one writev per IOV_MAX chunks; datagrams: one each). */
  sendvSync(chunks: readonly Uint8Array[]): void {
    for (const c of chunks) validateBytes(c, 'chunk');
    this.#checkSizes(chunks);
    const fd = this.#writable();
    this.#enterMode('blocking');
    this.#failing(() => this.#io.sendSync(fd, chunks));
  }

  sendFdsSync(data: Uint8Array, fds: readonly number[]): void {
    checkFdArgs(data, fds);
    this.#canPassFds();
    this.#checkSizes([data]);
    const fd = this.#writable();
    this.#enterMode('blocking');
    this.#failing(() => this.#io.sendFdsSync(fd, data, fds));
  }

  /**
   * Waits for data, copies it into `into`, returns the byte count; null at end of stream. Datagrams:
   * one message, cut to the buffer (lastTruncation says so). Fds that arrive are closed: recvFdsSync takes them.
   */
  recvSync(into: Uint8Array): number | null {
    validateBytes(into, 'into');
    if (into.byteLength === 0) throw ipcError('ERR_INVALID_ARG_VALUE', 'The "into" buffer must not be empty');
    if (this.#rq.length > 0) return this.#copyQueued(into);
    const fd = this.#readableSync();
    if (fd === null) return null;
    return this.#io.recvSync(fd, into);
  }

  /** Blocking recvFds: copies the data into `into`; null at the end. */
  recvFdsSync(into: Uint8Array): ({ bytes: number } & Omit<WithFds, 'data'>) | null {
    validateBytes(into, 'into');
    if (into.byteLength === 0) throw ipcError('ERR_INVALID_ARG_VALUE', 'The "into" buffer must not be empty');
    if (this.#rq.length > 0) {
      const head = this.#rq.shiftWithFds()!;
      if (head instanceof Error) throw head;
      const bytes = Math.min(head.data.byteLength, into.byteLength);
      into.set(head.data.subarray(0, bytes));
      return { bytes, fds: head.fds, fdsTruncated: head.fdsTruncated };
    }
    const fd = this.#readableSync();
    if (fd === null) return null;
    const r: SyncWithFds | null = this.#io.recvFdsSync(fd, into);
    if (r === null) return null;
    return { bytes: r.bytes, fds: r.fds.map((n) => ownReceived(this.transport, n)), fdsTruncated: r.fdsTruncated };
  }

  // ---- lifecycle ----------------------------------------------------------------------------------

  /** Releases everything; every pending send, recv and end() rejects with ERR_CHANNEL_CLOSED. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#watcher.close();
    const err = closedError(this.transport, 'channel closed');
    this.#rq.clear(err);
    this.#wq.failAll(err);
    let firstError: unknown = null;
    for (const fd of new Set([this.#readFd, this.#writeFd])) {
      try {
        fd?.close();
      } catch (e) {
        firstError ??= e;
      }
    }
    try {
      this.#onClose?.();
    } catch (e) {
      firstError ??= e;
    }
    if (firstError) throw firstError;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** The fds of the kernel objects this channel uses (for probes and diagnostics; do not close them). */
  fds(): number[] {
    return [...new Set([this.#readFd, this.#writeFd])].filter((f): f is OwnedFd => f !== null && !f.closed).map((f) => f.fd);
  }

  // ---- internals ----------------------------------------------------------------------------------

  #scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    const flush = () => {
      this.#flushScheduled = false;
      if (this.#closed || this.#mode !== 'async') return;
      this.#flush();
      this.#watch();
    };
    if (this.#spendTurn()) queueMicrotask(flush);
    else setImmediate(flush); // this turn has had its share: let timers and I/O run first
  }

  /** Counts one flush against this event-loop turn; false once the turn has used up SENDS_PER_TURN. */
  #spendTurn(): boolean {
    if (!this.#turnResetScheduled) {
      this.#turnResetScheduled = true;
      setImmediate(() => {
        this.#turnResetScheduled = false;
        this.#turnSends = 0;
      });
    }
    return ++this.#turnSends <= SENDS_PER_TURN;
  }

  #flush(): void {
    const fd = this.#writeFd;
    if (!fd || fd.closed || this.#wq.length === 0) return;
    try {
      this.#io.flush(fd.fd, this.#wq);
    } catch (err) {
      this.#failWrites(err as Error);
    }
  }

  #read(): void {
    const fd = this.#readFd;
    if (!fd || fd.closed || this.#rq.eof || this.#rq.error) return;
    try {
      this.#io.read(fd.fd, this.#rq);
    } catch (err) {
      this.#rq.fail(err as Error);
    }
  }

  #watch(): void {
    if (this.#closed || this.#mode !== 'async') return;
    const rq = this.#rq;
    const wantRead = this.#reading && !rq.eof && !rq.error && (rq.waiting > 0 || rq.bytes < this.#highWater);
    const wantWrite = this.#wq.length > 0 && !this.#writeError && !this.#flushScheduled;
    this.#watcher.want(wantRead, wantWrite && !(this.#writeFd?.closed ?? true));
  }

  #onReady(_which: Direction, status: number, events: number): void {
    if (this.#closed) return;
    if (status < 0) {
      // libuv reports POLLERR as UV_EBADF and stops the watcher. The fd is fine; the real error (EPIPE
      // when a pipe's reader is gone, a socket's pending error) comes from the I/O itself.
      const before = this.#failures();
      this.#flush();
      if (this.#reading) this.#read();
      if (this.#failures() === before && ++this.#pollErrors > 1) {
        const err = errnoError(status, 'poll'); // it persists and no syscall explains it
        this.#rq.fail(err);
        this.#failWrites(err);
      }
    } else {
      this.#pollErrors = 0;
      if (events & constants.UV_WRITABLE) this.#flush();
      if (events & constants.UV_READABLE) this.#read();
    }
    this.#watch();
  }

  #failures(): number {
    return Number(this.#rq.error !== null) + Number(this.#writeError !== null);
  }

  /** An I/O error on the write side: every pending send (and end()) fails with it, and so will later ones. */
  #failWrites(err: Error): void {
    if (this.#writeError) return;
    this.#writeError = err;
    this.#wq.failAll(err);
  }

  /** Runs a blocking write; a system error fails the write side for good and is rethrown. */
  #failing(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      if (isSystemError(err)) this.#failWrites(err);
      throw err;
    }
  }

  #copyQueued(into: Uint8Array): number {
    if (this.#kind === 'stream') return this.#rq.copyStream(into);
    const msg = this.#rq.shift()!; // one message per call; what does not fit is lost, as with recv(2)
    if (msg instanceof Error) throw msg;
    const n = Math.min(msg.byteLength, into.byteLength);
    into.set(msg.subarray(0, n));
    (this.#io as DatagramIo).lastTruncation = msg.byteLength > n ? { length: msg.byteLength, received: n } : null;
    return n;
  }

  #enterMode(mode: 'async' | 'blocking'): void {
    if (this.#mode === mode) return;
    if (mode === 'blocking') {
      if (this.#rq.waiting > 0) throw ipcError('ERR_CHANNEL_MODE', `${this.transport}: a recv() is pending; the blocking path cannot be used now`);
      if (this.#ending) throw ipcError('ERR_CHANNEL_MODE', `${this.transport}: end() is in progress`);
      this.#watcher.close();
      this.#reading = false;
    }
    for (const fd of new Set([this.#readFd, this.#writeFd])) if (fd && !fd.closed) setNonBlocking(fd.fd, mode === 'async');
    this.#mode = mode;
    // Sends still queued by the async path go first, in order, now blocking.
    if (mode === 'blocking' && this.#wq.length > 0) this.#failing(() => this.#io.flushSync(this.#writeFd!.fd, this.#wq));
  }

  #readable(): number {
    if (this.#closed) throw closedError(this.transport);
    if (!this.#readFd) throw ipcError('ERR_INVALID_STATE', `${this.transport}: this end cannot read`);
    return this.#readFd.fd;
  }

  /** The read fd for a blocking read, or null at end of stream (after the errors that come first). */
  #readableSync(): number | null {
    const fd = this.#readable();
    if (this.#rq.error) throw this.#rq.error;
    if (this.#rq.eof) return null;
    this.#enterMode('blocking');
    return fd;
  }

  #writable(): number {
    if (this.#closed) throw closedError(this.transport);
    if (this.#writeError) throw this.#writeError;
    if (this.#ending) throw closedError(this.transport, 'write side already ended');
    if (!this.#writeFd) throw ipcError('ERR_INVALID_STATE', `${this.transport}: this end cannot write`);
    return this.#writeFd.fd;
  }

  /** Only AF_UNIX sockets carry fds: fail before any syscall on anything else. */
  #canPassFds(): void {
    if (!this.#passesFds) throw ipcError('ERR_INVALID_STATE', `${this.transport}: this channel cannot pass fds (only AF_UNIX sockets can)`);
  }

  #checkSizes(chunks: readonly Uint8Array[]): void {
    if (this.#kind === 'stream') return;
    for (const c of chunks) {
      if (c.byteLength > this.#maxMessage) {
        throw ipcError('ERR_MESSAGE_TOO_LARGE', `${this.transport}: a datagram of ${c.byteLength} bytes exceeds the ${this.#maxMessage}-byte maximum`, {
          size: c.byteLength,
          maxSize: this.#maxMessage,
        });
      }
    }
  }
}

function checkFdArgs(data: Uint8Array, fds: readonly number[]): void {
  validateBytes(data);
  if (!Array.isArray(fds)) throw ipcError('ERR_INVALID_ARG_TYPE', 'The "fds" argument must be an array of file descriptors');
  fds.forEach((f, i) => validateInteger(f, `fds[${i}]`, 0, 0x7fffffff));
  if (fds.length > constants.SCM_MAX_FD) {
    throw ipcError('ERR_OUT_OF_RANGE', `at most ${constants.SCM_MAX_FD} fds fit in one message (SCM_MAX_FD), got ${fds.length}`);
  }
  if (data.byteLength === 0) throw ipcError('ERR_INVALID_ARG_VALUE', 'fds must travel with at least one byte of data');
}

function isUnixSocket(fd: OwnedFd | null): boolean {
  if (!fd || fd.closed) return false;
  try {
    return getsockname(fd.fd).family === 'unix';
  } catch {
    return false; // ENOTSOCK: a pipe or a FIFO
  }
}

function ownReceived(transport: string, fd: number): OwnedFd {
  return OwnedFd.own(fd, `${transport}: received fd`);
}
