// A Channel over one or two fds: a pipe pair, two FIFOs, a stream socket — or, with `kind`, a datagram
// or seqpacket socket, where one send is one message. Every fd-based mechanism uses this one engine, so
// their rows differ only by the kernel object underneath.
//
// Two paths, never mixed on one fd at the same time:
//  - async: fds are O_NONBLOCK; reads and writes happen when libuv's poll watcher reports readiness.
//    Reading is eager up to a high-water mark (like node:net), so data is already queued when recv()
//    is called; a send writes at once and only queues what the kernel does not take.
//  - blocking: fds are blocking; sendSync/recvSync are one write(2)/read(2) each, as in C.
// The channel switches mode on the first call of the other kind (a fcntl per switch, not per call).
import {
  Poller,
  constants,
  errnoError,
  read,
  readBlocking,
  setNonBlocking,
  write,
  writeAll,
  writev,
  writevAll,
  send,
  sendBlocking,
  recv,
  recvBlocking,
  poll,
  sendFds,
  recvFds,
  recvmsgFast,
  type ReceivedWithFds,
  type Poller as PollerHandle,
} from '@ipc-compare/native';
import { abortError, assertBytes, ipcError } from './errors.js';
import { OwnedFd } from './owned-fd.js';
import { RecvWaiters } from './recv-waiters.js';
import type { Channel, RecvOptions, SendOptions } from './types.js';

export interface FdStreamChannelOptions {
  transport: string;
  /** The fd to read from (null: this end only writes). */
  readFd: OwnedFd | null;
  /** The fd to write to; may be the same object as readFd (a socket). */
  writeFd: OwnedFd | null;
  /** Bytes asked of each read(2). Default 64 KiB. */
  readSize?: number;
  /** Stop reading ahead when this many bytes wait in the queue. Default 1 MiB. */
  highWaterMark?: number;
  /** Ends the write direction for `end()` when readFd === writeFd (e.g. shutdown(SHUT_WR)). */
  shutdownWrite?: (fd: number) => void;
  /** Extra cleanup run once by close() after the fds are closed (remove files, …). */
  onClose?: () => void;
  /**
   * 'stream' (default): bytes, any split. 'datagram': one send = one datagram = one recv, no end of
   * stream (UDP, AF_UNIX SOCK_DGRAM). 'seqpacket': datagrams on a connection, end of stream when the
   * peer closes.
   */
  kind?: 'stream' | 'datagram' | 'seqpacket';
  /** Datagram kinds: the largest message send() accepts (ERR_MESSAGE_TOO_LARGE above, before any syscall). */
  maxMessage?: number;
  /**
   * AF_UNIX sockets: read with recvmsg(2), accepting up to this many passed fds per read (SCM_RIGHTS).
   * A plain read(2) would make the kernel discard (close) any fds that arrive. Default 0: read(2).
   */
  receiveFds?: number;
}

/** A chunk or message together with the fds that arrived with it (recvFds). */
export interface WithFds {
  data: Uint8Array;
  /** New fds in this process; the caller owns (and closes) them. */
  fds: OwnedFd[];
  /** MSG_CTRUNC: the sender passed more fds than this channel accepts per read; the kernel closed the rest. */
  fdsTruncated: boolean;
}

/** What the last recvSync() on a datagram channel did not fit into the caller's buffer. */
export interface Truncation {
  /** The datagram's real length. */
  length: number;
  /** Bytes stored (the buffer's size). */
  received: number;
}

interface WriteEntry {
  data: Uint8Array;
  written: number;
  /** SCM_RIGHTS: fds that go with the first byte of `data`. */
  fds?: readonly number[];
  resolve(): void;
  reject(err: Error): void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

type Mode = 'idle' | 'async' | 'blocking';

const noop = () => {};
/** takeFds() key for fds received by recvSync(). */
const SYNC_READS = new Uint8Array(0);
const DEFAULT_READ_SIZE = 64 * 1024;
const DEFAULT_HIGH_WATER = 1024 * 1024;

export class FdStreamChannel implements Channel {
  readonly transport: string;
  readonly #readFd: OwnedFd | null;
  readonly #writeFd: OwnedFd | null;
  #readSize: number;
  readonly #highWater: number;
  readonly #shutdownWrite: ((fd: number) => void) | undefined;
  readonly #onClose: (() => void) | undefined;
  readonly #kind: 'stream' | 'datagram' | 'seqpacket';
  readonly #maxMessage: number;
  readonly #receiveFds: number;
  /** Fds received with a chunk and not taken yet (closed with the channel). */
  readonly #fdsOf = new Map<Uint8Array, { fds: OwnedFd[]; fdsTruncated: boolean }>();

  #mode: Mode = 'idle';
  #closed = false;
  #writeEnded = false;

  // read side
  #reading = false; // async reading has been asked for at least once
  readonly #chunks: Uint8Array[] = [];
  #queued = 0;
  readonly #readWaiters = new RecvWaiters();
  #eof = false;
  #readError: Error | null = null;
  #scratch: Buffer | null = null;

  // write side
  readonly #writeQueue: WriteEntry[] = [];
  #writeError: Error | null = null;

  /**
   * Syscalls made so far (reads, writes, including those that said EAGAIN), and `wouldBlock`: sends
   * the kernel refused for now (full buffer or, for AF_UNIX datagrams, a full receiver queue).
   */
  readonly syscalls = { reads: 0, writes: 0, wouldBlock: 0 };

  /** Datagram kinds: set by recvSync() when the last datagram was larger than the buffer, else null. */
  lastTruncation: Truncation | null = null;

  // one watcher per distinct fd
  #readPoller: PollerHandle | null = null;
  #writePoller: PollerHandle | null = null;
  #readEvents = 0;
  #writeEvents = 0;
  #pollErrors = 0;

  constructor(opts: FdStreamChannelOptions) {
    this.transport = opts.transport;
    this.#readFd = opts.readFd;
    this.#writeFd = opts.writeFd;
    this.#readSize = opts.readSize ?? DEFAULT_READ_SIZE;
    this.#highWater = opts.highWaterMark ?? DEFAULT_HIGH_WATER;
    this.#shutdownWrite = opts.shutdownWrite;
    this.#onClose = opts.onClose;
    this.#kind = opts.kind ?? 'stream';
    this.#maxMessage = opts.maxMessage ?? Number.MAX_SAFE_INTEGER;
    this.#receiveFds = opts.receiveFds ?? 0;
    if (this.#kind !== 'stream' && opts.readSize === undefined) this.#readSize = Math.min(this.#maxMessage, 1 << 20);
    if (!Number.isInteger(this.#readSize) || this.#readSize < 1) {
      throw ipcError('ERR_INVALID_ARG_VALUE', `readSize must be a positive integer (got ${this.#readSize})`);
    }
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Bytes read ahead and waiting for recv(). */
  get queuedBytes(): number {
    return this.#queued;
  }

  /** Bytes handed to send() that the kernel has not taken yet. */
  get pendingWriteBytes(): number {
    let n = 0;
    for (const e of this.#writeQueue) n += e.data.byteLength - e.written;
    return n;
  }

  // ---- async path ---------------------------------------------------------------------------------

  send(data: Uint8Array, opts?: SendOptions): Promise<void> {
    return this.sendv([data], opts);
  }

  /**
   * Gather send: the chunks go out in order, as one writev(2) when the kernel has room — the way to
   * batch many small messages into one syscall. Resolves when the kernel has all of them.
   */
  sendv(chunks: readonly Uint8Array[], opts?: SendOptions): Promise<void> {
    if (this.#kind !== 'stream') return this.#sendDatagrams(chunks, opts);
    try {
      for (const c of chunks) assertBytes(c, 'chunk');
      this.#writable();
      if (opts?.signal?.aborted) return Promise.reject(abortError(opts.signal));
      if (chunks.length === 0) return Promise.resolve();
      this.#enterMode('async');
      // No write here: sends made in the same turn of the event loop are gathered and go out together,
      // in one writev(2), from a microtask (that is how 64-byte messages beat one syscall each). The
      // microtask also starts the write watcher if the kernel takes less than everything.
      this.#scheduleFlush();
      return new Promise<void>((resolve, reject) => {
        const last = chunks.length - 1;
        const entries: WriteEntry[] = chunks.map((data, i) => ({
          data,
          written: 0,
          resolve: i === last ? resolve : noop,
          reject: i === last ? reject : noop,
          signal: undefined,
          onAbort: undefined,
        }));
        const signal = opts?.signal;
        if (signal) {
          // Withdrawable only while none of it is in the kernel: a half-sent message would corrupt the stream.
          const head = entries[0]!;
          const tail = entries[last]!;
          tail.signal = signal;
          tail.onAbort = () => {
            const i = this.#writeQueue.indexOf(head);
            if (i < 0 || head.written > 0) return; // already (partly) in the kernel: too late
            this.#writeQueue.splice(i, entries.length);
            reject(abortError(signal));
            this.#updateInterest();
          };
          signal.addEventListener('abort', tail.onAbort, { once: true });
        }
        this.#writeQueue.push(...entries);
      });
    } catch (err) {
      if (this.#isWriteFailure(err)) this.#failWrites(err as Error);
      return Promise.reject(err);
    }
  }

  recv(opts?: RecvOptions): Promise<Uint8Array | null> {
    const chunk = this.#shiftChunk();
    if (chunk) return Promise.resolve(chunk);
    if (this.#readError) return Promise.reject(this.#readError);
    if (this.#eof) return Promise.resolve(null);
    try {
      this.#readable();
    } catch (err) {
      return Promise.reject(err);
    }
    if (opts?.signal?.aborted) return Promise.reject(abortError(opts.signal));
    this.#enterMode('async');
    this.#reading = true;
    const waiting = this.#readWaiters.wait(opts?.signal, () => this.#updateInterest());
    this.#updateInterest();
    return waiting;
  }

  /**
   * Half-close: waits for queued sends, then ends the write direction so the peer reads end of
   * stream; recv keeps working.
   */
  async end(): Promise<void> {
    if (this.#closed || this.#writeEnded) return;
    await this.#drained();
    if (this.#closed || this.#writeEnded) return;
    this.#writeEnded = true;
    const w = this.#writeFd;
    if (!w) return;
    if (w === this.#readFd) {
      if (!this.#shutdownWrite) throw ipcError('ERR_INVALID_ARG_VALUE', `${this.transport}: end() needs shutdownWrite for a shared fd`);
      this.#shutdownWrite(w.fd);
    } else {
      this.#closeWritePoller();
      w.close();
    }
  }

  // ---- passing fds (AF_UNIX, SCM_RIGHTS) ----------------------------------------------------------

  /**
   * Sends `data` with open fds (the receiver gets its own fds for the same open files). The fds stay
   * open here. At least one byte of data; at most SCM_MAX_FD (253) fds.
   */
  sendFds(data: Uint8Array, fds: readonly number[], opts?: SendOptions): Promise<void> {
    try {
      this.#checkFdArgs(data, fds);
      this.#checkSizes([data]);
      const fd = this.#writable();
      if (opts?.signal?.aborted) return Promise.reject(abortError(opts.signal));
      this.#enterMode('async');
      let written = 0;
      if (this.#writeQueue.length === 0) {
        this.syscalls.writes++;
        const n = sendFds(fd, data, fds);
        if (n === data.byteLength) return Promise.resolve();
        if (n < 0) this.syscalls.wouldBlock++;
        written = Math.max(n, 0);
      }
      return new Promise<void>((resolve, reject) => {
        // Once a part is sent the fds went with it: the rest is plain data.
        const entry: WriteEntry = { data, written, resolve, reject, signal: undefined, onAbort: undefined };
        if (written === 0) entry.fds = fds;
        this.#writeQueue.push(entry);
        this.#updateInterest();
      });
    } catch (err) {
      if (this.#isWriteFailure(err)) this.#failWrites(err as Error);
      return Promise.reject(err);
    }
  }

  /** The next chunk or message with the fds that came with it (none: an empty array); null at the end. */
  async recvFds(opts?: RecvOptions): Promise<WithFds | null> {
    const data = await this.recv(opts);
    return data === null ? null : { data, ...this.takeFds(data) };
  }

  /**
   * The fds that arrived with a chunk returned by recv() — or, without an argument, with the data
   * recvSync() returned. The caller owns them from then on; untaken ones are closed with the channel.
   */
  takeFds(chunk?: Uint8Array): { fds: OwnedFd[]; fdsTruncated: boolean } {
    const key = chunk ?? SYNC_READS;
    const got = this.#fdsOf.get(key);
    this.#fdsOf.delete(key);
    return got ?? { fds: [], fdsTruncated: false };
  }

  /** recvSync on a channel that accepts fds: recvmsg(2), keeping whatever fds came for takeFds(). */
  #readKeepingFds(fd: number, into: Uint8Array): number {
    for (;;) {
      const r = recvmsgFast(fd, into, this.#receiveFds);
      if (typeof r === 'number') {
        if (r >= 0) return r;
        poll(fd, constants.POLLIN, -1); // a non-blocking fd: wait like readBlocking does
        continue;
      }
      const kept = this.#fdsOf.get(SYNC_READS) ?? { fds: [], fdsTruncated: false };
      kept.fds.push(...r.fds.map((n) => OwnedFd.own(n, `${this.transport}: received fd`)));
      kept.fdsTruncated ||= r.fdsTruncated;
      this.#fdsOf.set(SYNC_READS, kept);
      return r.bytes;
    }
  }

  sendFdsSync(data: Uint8Array, fds: readonly number[]): void {
    this.#checkFdArgs(data, fds);
    this.#checkSizes([data]);
    const fd = this.#writable();
    this.#enterMode('blocking');
    try {
      this.syscalls.writes++;
      let n = sendFds(fd, data, fds);
      while (n < 0) {
        poll(fd, constants.POLLOUT, -1);
        n = sendFds(fd, data, fds);
      }
      if (n < data.byteLength) writeAll(fd, data, n); // the fds went with the first part
    } catch (err) {
      this.#failWrites(err as Error);
      throw err;
    }
  }

  /** Blocking recvFds: copies the data into `into`; null at the end. */
  recvFdsSync(into: Uint8Array): ({ bytes: number } & Omit<WithFds, 'data'>) | null {
    assertBytes(into, 'into');
    if (this.#chunks.length > 0) {
      const head = this.#chunks[0]!;
      const taken = this.takeFds(head);
      const bytes = this.#copyQueued(into);
      return { bytes, ...taken };
    }
    if (this.#eof) return null;
    const fd = this.#readable();
    this.#enterMode('blocking');
    this.syscalls.reads++;
    let r = recvFds(fd, into, Math.max(this.#receiveFds, 1), this.#kind === 'stream' ? 0 : constants.MSG_TRUNC);
    while (r === -1) {
      poll(fd, constants.POLLIN, -1);
      r = recvFds(fd, into, Math.max(this.#receiveFds, 1), this.#kind === 'stream' ? 0 : constants.MSG_TRUNC);
    }
    const fds = r.fds.map((n) => OwnedFd.own(n, `${this.transport}: received fd`));
    if (r.bytes === 0 && fds.length === 0 && (this.#kind === 'stream' || (this.#kind === 'seqpacket' && this.#peerClosed(fd)))) {
      this.#eof = true;
      return null;
    }
    return { bytes: Math.min(r.bytes, into.byteLength), fds, fdsTruncated: r.fdsTruncated };
  }

  #checkFdArgs(data: Uint8Array, fds: readonly number[]): void {
    assertBytes(data);
    if (!Array.isArray(fds) || !fds.every((f) => Number.isInteger(f) && f >= 0)) {
      throw ipcError('ERR_INVALID_ARG_TYPE', 'fds must be an array of open file descriptors');
    }
    if (fds.length > constants.SCM_MAX_FD) {
      throw ipcError('ERR_INVALID_ARG_VALUE', `at most ${constants.SCM_MAX_FD} fds fit in one message (SCM_MAX_FD), got ${fds.length}`);
    }
    if (data.byteLength === 0) throw ipcError('ERR_INVALID_ARG_VALUE', 'fds must travel with at least one byte of data');
  }

  #attachFds(chunk: Uint8Array, r: ReceivedWithFds): void {
    if (r.fdsTruncated) this.fdsTruncated++;
    this.#fdsOf.set(chunk, { fds: r.fds.map((n) => OwnedFd.own(n, `${this.transport}: received fd`)), fdsTruncated: r.fdsTruncated });
  }

  /** Reads that came with more fds than this channel accepts (MSG_CTRUNC: the kernel closed the rest). */
  fdsTruncated = 0;

  // ---- blocking path ------------------------------------------------------------------------------

  sendSync(data: Uint8Array): void {
    if (this.#kind !== 'stream') return this.sendvSync([data]);
    assertBytes(data);
    const fd = this.#writable();
    this.#enterMode('blocking');
    try {
      this.syscalls.writes++;
      writeAll(fd, data);
    } catch (err) {
      this.#failWrites(err as Error);
      throw err;
    }
  }

  /** Blocking gather send: all chunks in order, one writev(2) per IOV_MAX chunks when they fit. */
  sendvSync(chunks: readonly Uint8Array[]): void {
    for (const c of chunks) assertBytes(c, 'chunk');
    this.#checkSizes(chunks);
    const fd = this.#writable();
    this.#enterMode('blocking');
    if (this.#kind !== 'stream') {
      try {
        for (const c of chunks) {
          this.syscalls.writes++;
          sendBlocking(fd, c); // one datagram each
        }
      } catch (err) {
        this.#failWrites(err as Error);
        throw err;
      }
      return;
    }
    try {
      for (let i = 0; i < chunks.length; i += constants.IOV_MAX) {
        this.syscalls.writes++;
        writevAll(fd, chunks.slice(i, i + constants.IOV_MAX));
      }
    } catch (err) {
      this.#failWrites(err as Error);
      throw err;
    }
  }

  recvSync(into: Uint8Array): number | null {
    assertBytes(into, 'into');
    if (into.byteLength === 0) throw ipcError('ERR_INVALID_ARG_VALUE', 'recvSync needs a non-empty buffer');
    if (this.#chunks.length > 0) return this.#copyQueued(into);
    if (this.#readError) throw this.#readError;
    if (this.#eof) return null;
    const fd = this.#readable();
    this.#enterMode('blocking');
    this.syscalls.reads++;
    if (this.#kind !== 'stream') return this.#recvDatagramSync(fd, into);
    const n = this.#receiveFds > 0 ? this.#readKeepingFds(fd, into) : readBlocking(fd, into);
    if (n === 0) {
      this.#eof = true;
      return null;
    }
    return n;
  }

  // ---- lifecycle ----------------------------------------------------------------------------------

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#closeReadPoller();
    this.#closeWritePoller();
    const closedErr = () => ipcError('ERR_CHANNEL_CLOSED', `${this.transport} channel closed`);
    this.#readWaiters.rejectAll(closedErr());
    for (const e of this.#writeQueue.splice(0)) this.#settleWrite(e, closedErr());
    this.#chunks.length = 0;
    this.#queued = 0;
    for (const { fds } of this.#fdsOf.values()) for (const f of fds) f.close(); // received, never taken
    this.#fdsOf.clear();
    let firstError: unknown = null;
    for (const fd of new Set([this.#readFd, this.#writeFd])) {
      try {
        fd?.close();
      } catch (err) {
        firstError ??= err;
      }
    }
    this.#onClose?.();
    if (firstError) throw firstError;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  fds(): number[] {
    return [...new Set([this.#readFd, this.#writeFd])].filter((f): f is OwnedFd => f !== null && !f.closed).map((f) => f.fd);
  }

  /**
   * Gives up the fds without closing them, for another engine to drive (node:net after the blocking
   * path, say). Only while nothing is queued or pending; the channel is closed afterwards.
   */
  surrender(): OwnedFd[] {
    if (this.#closed) throw ipcError('ERR_CHANNEL_CLOSED', `${this.transport} channel is closed`);
    if (this.#chunks.length > 0 || this.#readWaiters.length > 0 || this.#writeQueue.length > 0) {
      throw ipcError('ERR_CHANNEL_MODE', `${this.transport}: data is still queued in this channel`);
    }
    this.#closeReadPoller();
    this.#closeWritePoller();
    this.#closed = true;
    return [...new Set([this.#readFd, this.#writeFd])].filter((f): f is OwnedFd => f !== null);
  }

  // ---- internals: mode ----------------------------------------------------------------------------

  #enterMode(mode: Mode): void {
    if (this.#mode === mode) return;
    if (mode === 'blocking') {
      if (this.#readWaiters.length > 0) {
        throw ipcError('ERR_CHANNEL_MODE', `${this.transport}: a recv() is pending; the blocking path cannot be used now`);
      }
      this.#flushWritesBlocking();
      this.#closeReadPoller();
      this.#closeWritePoller();
      this.#reading = false;
    }
    const nonBlocking = mode === 'async';
    for (const fd of new Set([this.#readFd, this.#writeFd])) {
      if (fd && !fd.closed) setNonBlocking(fd.fd, nonBlocking);
    }
    this.#mode = mode;
  }

  #flushWritesBlocking(): void {
    while (this.#writeQueue.length > 0) {
      const e = this.#writeQueue[0]!;
      const wfd = this.#writeFd!.fd;
      if (e.fds) {
        let n = sendFds(wfd, e.data, e.fds);
        while (n < 0) {
          poll(wfd, constants.POLLOUT, -1);
          n = sendFds(wfd, e.data, e.fds);
        }
        if (this.#kind === 'stream' && n < e.data.byteLength) writeAll(wfd, e.data, n);
      } else if (this.#kind === 'stream') writeAll(wfd, e.data, e.written);
      else sendBlocking(wfd, e.data);
      this.#writeQueue.shift();
      this.#settleWrite(e, null);
    }
  }

  #readable(): number {
    if (this.#closed) throw ipcError('ERR_CHANNEL_CLOSED', `${this.transport} channel is closed`);
    if (!this.#readFd) throw ipcError('ERR_INVALID_ARG_VALUE', `${this.transport}: this end cannot read`);
    return this.#readFd.fd;
  }

  #writable(): number {
    if (this.#closed) throw ipcError('ERR_CHANNEL_CLOSED', `${this.transport} channel is closed`);
    if (this.#writeError) throw this.#writeError;
    if (this.#writeEnded) throw ipcError('ERR_CHANNEL_CLOSED', `${this.transport}: write side already ended`);
    if (!this.#writeFd) throw ipcError('ERR_INVALID_ARG_VALUE', `${this.transport}: this end cannot write`);
    return this.#writeFd.fd;
  }

  // ---- internals: watchers ------------------------------------------------------------------------

  #updateInterest(): void {
    if (this.#closed || this.#mode !== 'async') return;
    const wantRead =
      this.#reading && !this.#eof && !this.#readError && (this.#readWaiters.length > 0 || this.#queued < this.#highWater);
    const wantWrite = this.#writeQueue.length > 0 && !this.#writeError;
    const { UV_READABLE, UV_WRITABLE } = constants;
    if (this.#readFd && this.#readFd === this.#writeFd) {
      this.#readEvents = this.#setPoller('read', (wantRead ? UV_READABLE : 0) | (wantWrite ? UV_WRITABLE : 0));
    } else {
      if (this.#readFd) this.#readEvents = this.#setPoller('read', wantRead ? UV_READABLE : 0);
      if (this.#writeFd && !this.#writeFd.closed) this.#writeEvents = this.#setPoller('write', wantWrite ? UV_WRITABLE : 0);
    }
  }

  #setPoller(which: 'read' | 'write', events: number): number {
    const current = which === 'read' ? this.#readEvents : this.#writeEvents;
    if (events === current) return current;
    let poller = which === 'read' ? this.#readPoller : this.#writePoller;
    if (events === 0) {
      poller?.stop();
      return 0;
    }
    if (!poller) {
      const fd = (which === 'read' ? this.#readFd : this.#writeFd)!.fd;
      poller = new Poller(fd, (status, ready) => this.#onPoll(which, status, ready));
      if (which === 'read') this.#readPoller = poller;
      else this.#writePoller = poller;
    }
    poller.start(events);
    return events;
  }

  #onPoll(which: 'read' | 'write', status: number, events: number): void {
    if (this.#closed) return;
    if (status < 0) {
      // libuv reports POLLERR as UV_EBADF and stops the handle. The fd is fine; the real error (EPIPE
      // when the reader of a pipe is gone, a socket's pending error) comes from the I/O itself.
      if (which === 'read') this.#readEvents = 0;
      else this.#writeEvents = 0;
      const failuresBefore = Number(this.#readError !== null) + Number(this.#writeError !== null);
      if (this.#writeQueue.length > 0) this.#flushWrites();
      if (this.#reading) this.#readAvailable();
      const failuresAfter = Number(this.#readError !== null) + Number(this.#writeError !== null);
      if (failuresAfter === failuresBefore && ++this.#pollErrors > 1) {
        // The condition persists and no syscall explains it: report what libuv said.
        const err = errnoError(status, 'poll');
        this.#failReads(err);
        this.#failWrites(err);
      }
      this.#updateInterest();
      return;
    }
    this.#pollErrors = 0;
    if (events & constants.UV_WRITABLE) this.#flushWrites();
    if (events & constants.UV_READABLE) this.#readAvailable();
    this.#updateInterest();
  }

  #closeReadPoller(): void {
    this.#readPoller?.close();
    this.#readPoller = null;
    this.#readEvents = 0;
  }

  #closeWritePoller(): void {
    this.#writePoller?.close();
    this.#writePoller = null;
    this.#writeEvents = 0;
  }

  // ---- internals: reading -------------------------------------------------------------------------

  #readAvailable(): void {
    const fd = this.#readFd;
    if (!fd || fd.closed || this.#eof || this.#readError) return;
    if (this.#kind !== 'stream') return this.#readDatagrams(fd.fd);
    while (this.#readWaiters.length > 0 || this.#queued < this.#highWater) {
      const buf = this.#scratch ?? Buffer.allocUnsafeSlow(this.#readSize);
      let n: number;
      let passed: ReceivedWithFds | null = null;
      try {
        this.syscalls.reads++;
        if (this.#receiveFds > 0) {
          const r = recvmsgFast(fd.fd, buf, this.#receiveFds);
          if (typeof r === 'number') n = r;
          else {
            n = r.bytes;
            passed = r;
          }
        } else {
          n = read(fd.fd, buf, 0, this.#readSize);
        }
      } catch (err) {
        this.#failReads(err as Error);
        return;
      }
      if (n < 0) return; // drained
      if (n === 0) {
        this.#eof = true;
        this.#readWaiters.endAll();
        return;
      }
      // Hand a mostly-full buffer over as is; copy a small read out so a 1-byte message does not pin
      // a 64 KiB allocation, and reuse the buffer.
      let chunk: Uint8Array;
      if (n * 2 >= this.#readSize) {
        chunk = buf.subarray(0, n);
        this.#scratch = null;
      } else {
        chunk = Buffer.from(buf.subarray(0, n));
        this.#scratch = buf;
      }
      if (passed) this.#attachFds(chunk, passed);
      this.#deliver(chunk);
      // A short read means the kernel buffer is empty now: skip the read(2) that would say EAGAIN.
      if (n < this.#readSize) return;
    }
  }

  #deliver(chunk: Uint8Array): void {
    if (this.#readWaiters.deliver(chunk)) return;
    this.#chunks.push(chunk);
    this.#queued += chunk.byteLength;
  }

  #shiftChunk(): Uint8Array | undefined {
    const chunk = this.#chunks.shift();
    if (chunk) {
      this.#queued -= chunk.byteLength;
      if (this.#reading) this.#updateInterest();
    }
    return chunk;
  }

  #copyQueued(into: Uint8Array): number {
    if (this.#kind !== 'stream') {
      // One queued message per call; what does not fit is lost, as with recv(2).
      const msg = this.#chunks.shift()!;
      this.#queued -= msg.byteLength;
      const n = Math.min(msg.byteLength, into.byteLength);
      into.set(msg.subarray(0, n));
      this.lastTruncation = msg.byteLength > n ? { length: msg.byteLength, received: n } : null;
      return n;
    }
    let n = 0;
    while (n < into.byteLength && this.#chunks.length > 0) {
      const head = this.#chunks[0]!;
      const take = Math.min(head.byteLength, into.byteLength - n);
      into.set(head.subarray(0, take), n);
      n += take;
      if (take === head.byteLength) this.#chunks.shift();
      else this.#chunks[0] = head.subarray(take);
      this.#queued -= take;
    }
    return n;
  }

  #failReads(err: Error): void {
    if (this.#readError) return;
    this.#readError = err;
    this.#readWaiters.rejectAll(err);
    this.#updateInterest();
  }


  #flushScheduled = false;

  #scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    queueMicrotask(() => {
      this.#flushScheduled = false;
      if (this.#closed || this.#mode !== 'async') return;
      this.#flushWrites();
      this.#updateInterest();
    });
  }

  // ---- internals: datagrams -----------------------------------------------------------------------

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

  /** Each chunk is one datagram, sent whole or not at all; what the kernel refuses now waits in order. */
  #sendDatagrams(chunks: readonly Uint8Array[], opts?: SendOptions): Promise<void> {
    try {
      for (const c of chunks) assertBytes(c, 'chunk');
      this.#checkSizes(chunks);
      const fd = this.#writable();
      if (opts?.signal?.aborted) return Promise.reject(abortError(opts.signal));
      this.#enterMode('async');
      let start = 0;
      while (this.#writeQueue.length === 0 && start < chunks.length) {
        this.syscalls.writes++;
        if (send(fd, chunks[start]!) < 0) {
          this.syscalls.wouldBlock++;
          break;
        }
        start++;
      }
      if (start === chunks.length) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        for (let i = start; i < chunks.length; i++) {
          const last = i === chunks.length - 1;
          this.#writeQueue.push({ data: chunks[i]!, written: 0, resolve: last ? resolve : noop, reject: last ? reject : noop, signal: undefined, onAbort: undefined });
        }
        this.#updateInterest();
      });
    } catch (err) {
      if (this.#isWriteFailure(err)) this.#failWrites(err as Error);
      return Promise.reject(err);
    }
  }

  #flushDatagrams(): void {
    const fd = this.#writeFd;
    while (this.#writeQueue.length > 0 && fd && !fd.closed) {
      const e = this.#writeQueue[0]!;
      this.syscalls.writes++;
      try {
        if ((e.fds ? sendFds(fd.fd, e.data, e.fds) : send(fd.fd, e.data)) < 0) {
          this.syscalls.wouldBlock++;
          return;
        }
      } catch (err) {
        this.#failWrites(err as Error);
        return;
      }
      this.#writeQueue.shift();
      this.#settleWrite(e, null);
    }
    this.#resolveDrain();
  }

  /** Reads every waiting datagram (a copy of exactly its length each). */
  #readDatagrams(fd: number): void {
    this.#scratch ??= Buffer.allocUnsafeSlow(this.#readSize);
    const buf = this.#scratch;
    while (this.#readWaiters.length > 0 || this.#queued < this.#highWater) {
      let n: number;
      let passed: ReceivedWithFds | null = null;
      try {
        this.syscalls.reads++;
        if (this.#receiveFds > 0) {
          const r = recvmsgFast(fd, buf, this.#receiveFds, constants.MSG_TRUNC);
          if (typeof r === 'number') n = r;
          else {
            n = r.bytes;
            passed = r;
          }
        } else {
          n = recv(fd, buf, constants.MSG_TRUNC);
        }
      } catch (err) {
        this.#failReads(err as Error);
        return;
      }
      if (n < 0) return;
      if (n === 0 && this.#kind === 'seqpacket' && this.#peerClosed(fd)) {
        this.#eof = true;
        this.#readWaiters.endAll();
        return;
      }
      // A datagram longer than the buffer (only above the transport's maximum) is cut by the kernel.
      const msg = Buffer.from(buf.subarray(0, Math.min(n, buf.length)));
      if (passed) this.#attachFds(msg, passed);
      this.#deliver(msg);
    }
  }

  #recvDatagramSync(fd: number, into: Uint8Array): number | null {
    const n = recvBlocking(fd, into, constants.MSG_TRUNC);
    if (n === 0 && this.#kind === 'seqpacket' && this.#peerClosed(fd)) {
      this.#eof = true;
      return null;
    }
    const stored = Math.min(n, into.byteLength);
    this.lastTruncation = n > stored ? { length: n, received: stored } : null;
    return stored;
  }

  /** A 0-byte recv on a seqpacket socket is either an empty message or the end: poll tells. */
  #peerClosed(fd: number): boolean {
    return (poll(fd, constants.POLLRDHUP | constants.POLLHUP, 0) & (constants.POLLRDHUP | constants.POLLHUP)) !== 0;
  }

  // ---- internals: writing -------------------------------------------------------------------------

  #flushWrites(): void {
    if (this.#kind !== 'stream') return this.#flushDatagrams();
    const fd = this.#writeFd;
    while (this.#writeQueue.length > 0 && fd && !fd.closed) {
      const head = this.#writeQueue[0]!;
      if (head.fds) {
        // Fds ride with the first byte: one sendmsg(2) for this entry alone.
        let n: number;
        try {
          this.syscalls.writes++;
          n = sendFds(fd.fd, head.data, head.fds);
        } catch (err) {
          this.#failWrites(err as Error);
          return;
        }
        if (n < 0) return;
        delete head.fds;
        head.written = n;
        if (n < head.data.byteLength) continue; // the rest is plain data now
        this.#writeQueue.shift();
        this.#settleWrite(head, null);
        continue;
      }
      let batchEnd = 1;
      while (batchEnd < Math.min(this.#writeQueue.length, constants.IOV_MAX) && !this.#writeQueue[batchEnd]!.fds) batchEnd++;
      const batch = this.#writeQueue.slice(0, batchEnd);
      let wanted = 0;
      for (const e of batch) wanted += e.data.byteLength - e.written;
      let n: number;
      try {
        this.syscalls.writes++;
        n = batch.length === 1
          ? write(fd.fd, batch[0]!.data, batch[0]!.written)
          : writev(fd.fd, batch.map((e) => e.data), batch[0]!.written);
      } catch (err) {
        this.#failWrites(err as Error);
        return;
      }
      if (n < 0) return; // full again
      let left = n;
      while (left > 0 || (this.#writeQueue.length > 0 && this.#writeQueue[0]!.data.byteLength === this.#writeQueue[0]!.written)) {
        const e = this.#writeQueue[0]!;
        const take = Math.min(left, e.data.byteLength - e.written);
        e.written += take;
        left -= take;
        if (e.written < e.data.byteLength) break;
        this.#writeQueue.shift();
        this.#settleWrite(e, null);
      }
      if (n < wanted) return;
    }
    this.#resolveDrain();
  }

  #drainWaiters: Array<() => void> = [];

  #drained(): Promise<void> {
    if (this.#writeQueue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#drainWaiters.push(resolve));
  }

  #resolveDrain(): void {
    if (this.#writeQueue.length === 0) for (const r of this.#drainWaiters.splice(0)) r();
  }

  #isWriteFailure(err: unknown): boolean {
    return err instanceof Error && typeof (err as { errno?: unknown }).errno === 'number';
  }

  #failWrites(err: Error): void {
    if (this.#writeError) return;
    this.#writeError = err;
    for (const e of this.#writeQueue.splice(0)) this.#settleWrite(e, err);
    this.#resolveDrain();
    this.#updateInterest();
  }

  #settleWrite(e: WriteEntry, err: Error | null): void {
    if (e.onAbort) e.signal!.removeEventListener('abort', e.onAbort);
    if (err) e.reject(err);
    else e.resolve();
  }
}
