// A Channel over two rings in a shared region (ring.ts): messages keep their boundaries at any size,
// the sender waits (never drops) when the ring is full, close() is end of stream for the other side.
//  - async path: a send copies into the ring at once when there is room and resolves; otherwise it
//    queues and a pump waits for room. A recv takes a waiting message at once; otherwise it waits.
//    Waiting is off the JS thread (a watcher thread per direction on the futex word, never libuv's threadpool)
//    raced against the peer's pidfd on the event loop, so a dead peer ends every wait.
//  - blocking path: sendSync/recvSync spin briefly, then sleep in futex(2) in slices, looking at the
//    peer's pidfd between slices: a dead peer is an error within a slice, never a hang.
//  - zero-copy (blocking): claimSync/commitClaim write a message in place in the ring; recvViewSync
//    returns a view of it in place, whose space the producer gets back only at the next recv.
import { AbortGroups, OwnedFd, abortError, closedError, ipcError, validateBytes, validateInteger, waitFd, type Channel, type RecvOptions, type SendOptions } from '@ipc-compare/core';
import { FutexWatcher, constants, errnoError, futexWait, pidfdOpen, poll } from '@ipc-compare/native';
import { constants as os } from 'node:os';
import type { Region } from './regions.js';
import { RingConsumer, RingProducer, type RingWaiter } from './ring.js';

/** Blocking waits sleep this long at most before they look at the peer's pidfd again. */
const SLICE_MS = 100;
/** Sends settled at once per event-loop turn before the next one waits for a turn (timers must run). */
const SENDS_PER_TURN = 64;
/** A blocking wait whose spin budget fell to 0 spins in full once every this many waits (see #waitSync). */
const PROBE_EVERY = 256;

export interface ShmChannelOptions {
  transport: string;
  region: Region;
  /** Ring 0 carries the creator's messages: the creator sends on 0, the attacher on 1. */
  side: 'creator' | 'attacher';
  capacity: number;
  peerPid: number;
  /** Loads of the ring's index before a side sleeps (0: sleep at once; Infinity: never sleep, blocking path). */
  spin: number;
}

interface QueuedSend {
  data: Uint8Array;
  from: number;
  resolve: () => void;
  reject: (err: Error) => void;
  signal?: AbortSignal;
}

interface PendingRecv {
  resolve: (m: Uint8Array | null) => void;
  reject: (err: Error) => void;
  signal?: AbortSignal;
}

export class ShmChannel implements Channel {
  readonly transport: string;
  readonly #region: Region;
  readonly #tx: RingProducer;
  readonly #rx: RingConsumer;
  /** Null when the peer had already exited by the time this side made the channel (see the constructor). */
  readonly #pidfd: OwnedFd | null;
  readonly #spin: number;
  /** The blocking path's spin budget now: `#spin` halved after each spin that did not pay. */
  #spinBudget: number;
  #zeroBudgetWaits = 0;
  #closed = false;
  #ended = false;
  #peerGone = false;
  /** The message being reassembled from fragments (async path). */
  #parts: Uint8Array[] = [];
  readonly #sends: QueuedSend[] = [];
  readonly #recvs: PendingRecv[] = [];
  #sendPump: Promise<void> = Promise.resolve();
  #recvPump: Promise<void> = Promise.resolve();
  #sendPumping = false;
  #recvPumping = false;
  #sentThisTurn = 0;
  #endPromise: Promise<void> | null = null;
  /** The length of a claimSync() not committed yet. */
  #claimed: number | null = null;
  /** recvViewSync() handed out a view into the ring: its space goes back to the producer at the next recv. */
  #viewHeld = false;
  /** Each direction's watcher thread, made on its first sleep; the one sleeping now (cancelled when nobody waits any more). */
  readonly #watchers: { tx: FutexWatcher | null; rx: FutexWatcher | null } = { tx: null, rx: null };
  readonly #sleeping: { tx: FutexWatcher | null; rx: FutexWatcher | null } = { tx: null, rx: null };
  readonly #woken: { tx: (() => void) | null; rx: (() => void) | null } = { tx: null, rx: null };
  #peerWatch: AbortController | null = null;
  readonly #sendAborts = new AbortGroups<QueuedSend>((signal, members) => this.#abortSends(signal, members));
  readonly #recvAborts = new AbortGroups<PendingRecv>((signal, members) => this.#abortRecvs(signal, members));
  lastTruncation: { length: number; received: number } | null = null;

  constructor(o: ShmChannelOptions) {
    this.transport = o.transport;
    this.#region = o.region;
    const out = o.side === 'creator' ? 0 : 1;
    this.#tx = new RingProducer(o.region.buffer, out, o.capacity);
    this.#rx = new RingConsumer(o.region.buffer, out === 0 ? 1 : 0, o.capacity);
    // A peer may attach, send, close and exit before this side gets round to it (a short-lived sender,
    // or this event loop busy meanwhile): what it wrote is in the ring all the same, so the channel is
    // made with the peer known to be gone — its messages, then its end of stream, are read as usual.
    let pidfd: OwnedFd | null = null;
    try {
      pidfd = OwnedFd.own(pidfdOpen(o.peerPid), `${o.transport} peer pidfd`);
    } catch (err) {
      if ((err as { code?: string }).code !== 'ESRCH') throw err;
      this.#peerGone = true;
    }
    this.#pidfd = pidfd;
    this.#spin = o.spin;
    this.#spinBudget = o.spin;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Futex wakes this side made (the rest of its publishes cost no syscall). */
  get syscalls(): { reads: number; writes: number; wouldBlock: number } {
    return { reads: this.#rx.wakes, writes: this.#tx.wakes, wouldBlock: 0 };
  }

  fds(): number[] {
    return [];
  }

  // ---- async send ----------------------------------------------------------------------------------

  send(data: Uint8Array, opts: SendOptions = {}): Promise<void> {
    try {
      validateBytes(data, 'data');
      this.#checkSend();
    } catch (err) {
      return Promise.reject(err);
    }
    const { signal } = opts;
    if (signal?.aborted) return Promise.reject(abortError(signal));
    if (this.#sends.length === 0 && this.#sentThisTurn < SENDS_PER_TURN) {
      const from = this.#tx.write(data, 0);
      if (from === -1) {
        if (this.#sentThisTurn++ === 0) setImmediate(() => (this.#sentThisTurn = 0));
        return Promise.resolve();
      }
      return this.#queue(data, from, signal);
    }
    return this.#queue(data, 0, signal);
  }

  /** Each chunk is a message of its own (boundaries), queued together in order. */
  sendv(chunks: readonly Uint8Array[], opts: SendOptions = {}): Promise<void> {
    if (!Array.isArray(chunks)) return Promise.reject(ipcError('ERR_INVALID_ARG_TYPE', 'The "chunks" argument must be an array of Uint8Array'));
    return Promise.all(chunks.map((c) => this.send(c, opts))).then(() => {});
  }

  sendvSync(chunks: readonly Uint8Array[]): void {
    for (const c of chunks) this.sendSync(c);
  }

  #queue(data: Uint8Array, from: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const item: QueuedSend = { data, from, resolve, reject, signal };
      this.#sends.push(item);
      if (signal) this.#sendAborts.add(signal, item);
      this.#kickSends();
    });
  }

  // A pump clears its flag itself, synchronously, as its loop ends (a flag cleared in a later
  // .finally() would strand an operation queued in between), and may end before its first await:
  // the peer, in another process, can make room or data appear at any moment.
  #kickSends(): void {
    if (this.#sendPumping) return;
    this.#sendPumping = true;
    this.#sendPump = this.#pumpSends();
  }

  #kickRecvs(): void {
    if (this.#recvPumping) return;
    this.#recvPumping = true;
    this.#recvPump = this.#pumpRecvs();
  }

  async #pumpSends(): Promise<void> {
    try {
      if (this.#sentThisTurn >= SENDS_PER_TURN) await new Promise<void>((r) => setImmediate(r));
      while (this.#sends.length > 0 && !this.#closed) {
        const item = this.#sends[0]!;
        if (this.#peerGone || this.#tx.readerClosed) return this.#failSends(this.#pipeError());
        const from = this.#tx.write(item.data, item.from);
        if (from === -1) {
          this.#sends.shift();
          if (item.signal) this.#sendAborts.delete(item.signal, item);
          item.resolve();
          continue;
        }
        item.from = from;
        this.#tx.need = this.#tx.recordBytes(item.data.length - from);
        if (this.#tx.prepareSleep()) await this.#sleepAsync('tx', this.#tx.waitWord);
      }
    } finally {
      this.#sendPumping = false;
    }
  }

  #abortSends(signal: AbortSignal, members: ReadonlySet<QueuedSend>): void {
    for (const item of members) {
      const i = this.#sends.indexOf(item);
      // A message some of whose fragments are in the ring must go on whole: only untouched ones leave.
      if (i < 0 || (i === 0 && item.from > 0)) continue;
      this.#sends.splice(i, 1);
      item.reject(abortError(signal));
    }
    if (this.#sends.length === 0) this.#sleeping.tx?.cancel(); // nobody waits for room now
  }

  #failSends(err: Error): void {
    for (const item of this.#sends.splice(0)) {
      if (item.signal) this.#sendAborts.delete(item.signal, item);
      item.reject(err);
    }
  }

  end(): Promise<void> {
    if (this.#closed) return Promise.reject(closedError(this.transport));
    if (this.#claimed !== null) return Promise.reject(this.#claimPending());
    this.#endPromise ??= (async () => {
      this.#ended = true;
      while (this.#sendPumping) await this.#sendPump;
      if (this.#closed) throw closedError(this.transport, 'channel was closed before end() completed');
      this.#tx.closeWriter();
    })();
    return this.#endPromise;
  }

  // ---- async recv ----------------------------------------------------------------------------------

  recv(opts: RecvOptions = {}): Promise<Uint8Array | null> {
    if (this.#closed) return Promise.reject(closedError(this.transport));
    const { signal } = opts;
    if (signal?.aborted) return Promise.reject(abortError(signal));
    this.#releaseView();
    if (this.#recvs.length === 0) {
      const m = this.#takeMessage();
      if (m !== undefined) return Promise.resolve(m);
    }
    return new Promise<Uint8Array | null>((resolve, reject) => {
      const r: PendingRecv = { resolve, reject, signal };
      this.#recvs.push(r);
      if (signal) this.#recvAborts.add(signal, r);
      this.#kickRecvs();
    });
  }

  /** A whole message, null at the end of stream, undefined if none is complete yet. Throws ECONNRESET for a dead peer. */
  #takeMessage(): Uint8Array | null | undefined {
    const rx = this.#rx;
    let took = false;
    try {
      while (rx.hasData()) {
        const f = rx.peek();
        took = true;
        if (f.pad) {
          rx.take(f.length, null, 0);
          continue;
        }
        const out = new Uint8Array(f.length);
        rx.take(f.length, out, 0);
        if (f.more) {
          this.#parts.push(out);
          continue;
        }
        if (this.#parts.length === 0) return out;
        this.#parts.push(out);
        const whole = Buffer.concat(this.#parts);
        this.#parts = [];
        return new Uint8Array(whole.buffer, whole.byteOffset, whole.length);
      }
    } finally {
      if (took) rx.commit();
    }
    if (rx.writerClosed && !rx.hasData()) return null;
    if (this.#peerGone || this.#peerExited()) throw this.#resetError();
    return undefined;
  }

  async #pumpRecvs(): Promise<void> {
    try {
      while (this.#recvs.length > 0 && !this.#closed) {
        let m: Uint8Array | null | undefined;
        try {
          m = this.#takeMessage();
        } catch (err) {
          for (const r of this.#recvs.splice(0)) r.reject(err as Error);
          return;
        }
        if (m === undefined) {
          if (this.#rx.prepareSleep()) await this.#sleepAsync('rx', this.#rx.waitWord);
          continue;
        }
        const r = this.#recvs.shift()!;
        if (r.signal) this.#recvAborts.delete(r.signal, r);
        r.resolve(m);
        if (m === null) for (const rest of this.#recvs.splice(0)) rest.resolve(null);
      }
    } finally {
      this.#recvPumping = false;
    }
  }

  #abortRecvs(signal: AbortSignal, members: ReadonlySet<PendingRecv>): void {
    for (const r of members) {
      const i = this.#recvs.indexOf(r);
      if (i < 0) continue;
      this.#recvs.splice(i, 1);
      r.reject(abortError(signal));
    }
    if (this.#recvs.length === 0) this.#sleeping.rx?.cancel(); // nobody waits for data now
  }

  /**
   * Sleeps on `word` (expected 1) on this direction's watcher thread (one per direction for the
   * channel's life, not one per sleep), until the other side wakes it, the peer dies (its pidfd turns
   * readable on the event loop) or the channel closes.
   */
  #sleepAsync(direction: 'tx' | 'rx', word: number): Promise<void> {
    if (this.#closed || this.#peerGone) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const w = (this.#watchers[direction] ??= this.#watcher(direction, word));
      this.#woken[direction] = resolve;
      w.watch(1);
      this.#sleeping[direction] = w;
      this.#watchPeer();
    });
  }

  #watcher(direction: 'tx' | 'rx', word: number): FutexWatcher {
    return new FutexWatcher(this.#region.buffer, word * 4, () => {
      this.#sleeping[direction] = null;
      if (!this.#sleeping.tx && !this.#sleeping.rx) this.#peerWatch?.abort(); // nobody sleeps: stop watching
      const woken = this.#woken[direction];
      this.#woken[direction] = null;
      woken?.();
    });
  }

  /**
   * One readiness watch on the peer's pidfd for both directions (libuv takes one poll handle per fd: a
   * second one on the same fd aborts the process), while anything sleeps.
   */
  #watchPeer(): void {
    if (this.#peerWatch || this.#pidfd === null) return;
    const ac = (this.#peerWatch = new AbortController());
    waitFd(this.#pidfd.fd, 'read', { signal: ac.signal }).then(
      () => {
        this.#peerGone = true;
        this.#sleeping.tx?.cancel();
        this.#sleeping.rx?.cancel();
      },
      () => {},
    ).finally(() => {
      if (this.#peerWatch === ac) this.#peerWatch = null;
    });
  }

  // ---- blocking path -------------------------------------------------------------------------------

  sendSync(data: Uint8Array): void {
    validateBytes(data, 'data');
    this.#checkSend();
    if (this.#sends.length > 0) throw ipcError('ERR_CHANNEL_MODE', `${this.transport}: async sends are still queued; await them before sendSync()`);
    let from = 0;
    for (;;) {
      from = this.#tx.write(data, from);
      if (from === -1) return;
      this.#tx.need = this.#tx.recordBytes(data.length - from);
      this.#waitSync(this.#tx);
      if (this.#tx.readerClosed) throw this.#pipeError();
    }
  }

  recvSync(into: Uint8Array): number | null {
    validateBytes(into, 'into');
    if (into.length === 0) throw ipcError('ERR_INVALID_ARG_VALUE', 'recvSync needs a buffer of at least 1 byte');
    if (this.#closed) throw closedError(this.transport);
    if (this.#recvs.length > 0 || this.#parts.length > 0) throw ipcError('ERR_CHANNEL_MODE', `${this.transport}: an async recv() is in progress`);
    this.#releaseView();
    const rx = this.#rx;
    let got = 0;
    let total = 0;
    for (;;) {
      if (!rx.hasData()) {
        if (rx.writerClosed && !rx.hasData()) {
          if (total > 0) throw ipcError('ERR_UNEXPECTED_EOF', `${this.transport}: end of stream inside a message`);
          return null;
        }
        this.#waitSync(rx);
        continue;
      }
      const f = rx.peek();
      if (f.pad) {
        rx.take(f.length, null, 0);
        continue;
      }
      rx.take(f.length, got < into.length ? into : null, got);
      const n = Math.min(f.length, into.length - got);
      got += n;
      total += f.length;
      if (!f.more) break;
      rx.commit(); // let the producer go on with the next fragment
    }
    rx.commit();
    this.lastTruncation = total > got ? { length: total, received: got } : null;
    return got;
  }

  // ---- zero-copy (blocking path) -------------------------------------------------------------------

  /**
   * Zero-copy send: a view of `length` bytes (1 … a quarter of the ring) in the ring itself, waiting
   * for room like sendSync. Write the message there, then commitClaim() publishes it; nothing else may
   * be sent in between. Bytes written into the view after the commit are seen by the receiver (it is
   * the same memory): the semantics probe shows it; a real program must not do it.
   */
  claimSync(length: number): Uint8Array {
    validateInteger(length, 'length', 1, this.#tx.maxFragment);
    this.#checkSend();
    if (this.#sends.length > 0) throw ipcError('ERR_CHANNEL_MODE', `${this.transport}: async sends are still queued; await them before claimSync()`);
    const tx = this.#tx;
    for (;;) {
      const at = tx.claim(length);
      if (at >= 0) {
        this.#claimed = length;
        return tx.view.data.subarray(at, at + length);
      }
      tx.need = tx.claimBytes(length);
      this.#waitSync(tx);
      if (tx.readerClosed) throw this.#pipeError();
    }
  }

  /** Publishes the message written into the view claimSync() returned (waking the peer if it sleeps). */
  commitClaim(): void {
    if (this.#closed) throw closedError(this.transport);
    if (this.#claimed === null) throw ipcError('ERR_INVALID_STATE', `${this.transport}: commitClaim() without a claimSync()`);
    this.#tx.commitClaim(this.#claimed);
    this.#claimed = null;
  }

  /**
   * Zero-copy receive: the next message as a view into the ring, valid until the next recv of any kind
   * (or close): only then does its space go back to the producer. A message that does not lie in one
   * piece there (one sent in fragments, or wrapping around the ring's end — claimSync never makes
   * those) comes as a copy instead; `view.buffer instanceof SharedArrayBuffer` tells which. Null at
   * the end of stream.
   */
  recvViewSync(): Uint8Array | null {
    if (this.#closed) throw closedError(this.transport);
    if (this.#recvs.length > 0) throw ipcError('ERR_CHANNEL_MODE', `${this.transport}: an async recv() is in progress`);
    this.#releaseView();
    const rx = this.#rx;
    for (;;) {
      if (this.#parts.length === 0 && rx.hasData()) {
        const f = rx.peek();
        if (f.pad) {
          rx.take(f.length, null, 0);
          rx.commit();
          continue;
        }
        const view = f.more ? null : rx.takeView(f.length);
        if (view !== null) {
          this.#viewHeld = true;
          return view;
        }
      }
      const m = this.#takeMessage();
      if (m !== undefined) return m;
      this.#waitSync(rx);
    }
  }

  /** The view recvViewSync() gave is done with: its space goes back to the producer. */
  #releaseView(): void {
    if (!this.#viewHeld) return;
    this.#viewHeld = false;
    this.#rx.commit();
  }

  #claimPending(): Error {
    return ipcError('ERR_INVALID_STATE', `${this.transport}: a claimSync() is not committed yet`);
  }

  /**
   * Spins, then sleeps in slices until `ready`; throws for a dead peer or a closed channel. The spin
   * adapts: one that did not pay (the side had to sleep anyway) halves the next one's budget, one that
   * did restores it. On one CPU the peer cannot publish while this side spins, so the budget falls to 0
   * within a few waits (a JS load loop costs ≈ 13 ns a turn: 64 turns were ≈ 0.9 µs of each side's
   * round trip); every PROBE_EVERY-th wait at 0 spins in full again, to notice the peer has moved to
   * another CPU, where spinning saves the futex sleep and wake.
   */
  #waitSync(w: RingWaiter): void {
    if (this.#spin === Infinity) return this.#spinSync(w);
    const budget = this.#spinBudget > 0 || ++this.#zeroBudgetWaits % PROBE_EVERY !== 0 ? this.#spinBudget : this.#spin;
    for (let i = 0; i < budget; i++) {
      if (w.ready()) {
        this.#spinBudget = this.#spin;
        return;
      }
    }
    this.#spinBudget = budget >> 1;
    for (;;) {
      if (this.#closed) throw closedError(this.transport);
      if (!w.prepareSleep()) return;
      if (futexWait(this.#tx.view.buffer, w.waitWord * 4, 1, SLICE_MS) !== 'timed-out') {
        if (w.ready()) return;
        continue;
      }
      Atomics.store(this.#tx.view.i32, w.waitWord, 0);
      if (w.ready()) return;
      if (this.#peerExited()) throw this.#resetError();
    }
  }

  /** wake: 'spin' — busy-polls; every 2^20 polls (≈ 5 ms) it looks whether the peer is still there. */
  #spinSync(w: RingWaiter): void {
    for (let i = 1; ; i++) {
      if (w.ready()) return;
      if ((i & 0xfffff) === 0 && this.#peerExited()) throw this.#resetError();
    }
  }

  // ---- lifecycle -----------------------------------------------------------------------------------

  #checkSend(): void {
    if (this.#closed) throw closedError(this.transport);
    if (this.#ended) throw ipcError('ERR_INVALID_STATE', `${this.transport}: end() was called: no more sends`);
    if (this.#claimed !== null) throw this.#claimPending();
    if (this.#peerGone || this.#tx.readerClosed) throw this.#pipeError();
  }

  #peerExited(): boolean {
    if (this.#peerGone) return true;
    if (this.#pidfd !== null && (poll(this.#pidfd.fd, constants.POLLIN, 0) & constants.POLLIN) === 0) return false;
    this.#peerGone = true;
    return true;
  }

  #pipeError(): Error {
    const err = errnoError(os.errno.EPIPE, 'send');
    err.message += this.#peerGone ? ' (the peer process is gone)' : ' (the peer closed its end)';
    return err;
  }

  #resetError(): Error {
    const err = errnoError(os.errno.ECONNRESET, 'recv');
    err.message += ' (the peer process ended without closing the channel)';
    return err;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#tx.closeWriter();
    this.#rx.closeReader();
    this.#sleeping.tx?.cancel();
    this.#sleeping.rx?.cancel();
    const err = closedError(this.transport);
    this.#failSends(err);
    for (const r of this.#recvs.splice(0)) r.reject(err);
    await Promise.all([this.#sendPump, this.#recvPump]);
    this.#peerWatch?.abort(); // before the pidfd closes: libuv must not poll a closed fd
    this.#watchers.tx?.close();
    this.#watchers.rx?.close();
    this.#pidfd?.close();
    this.#region.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
