// The sends not yet in the kernel, oldest first, and the promises waiting on them. Every way a send can
// end goes through here: written, withdrawn by its AbortSignal (only while none of it is in the kernel),
// or failed together with every other pending send and every end() waiting for the queue to drain
// (`failAll`: what close() and I/O errors call) — so no caller is ever left waiting.
import { AbortGroups } from '../abort-groups.js';
import { abortError } from '../errors.js';

/** One send()/sendv()/sendFds() call: settles when its last entry is in the kernel. */
interface SendOp {
  left: number;
  started: boolean;
  resolve(): void;
  reject(err: Error): void;
  signal: AbortSignal | undefined;
}

export interface WriteEntry {
  readonly data: Uint8Array;
  /** Bytes of `data` already written (streams can take part of an entry). */
  written: number;
  /** SCM_RIGHTS: fds that travel with the first byte of `data`. */
  fds: readonly number[] | undefined;
  readonly op: SendOp;
}

export class WriteQueue {
  readonly #entries: WriteEntry[] = [];
  readonly #drainWaiters: Array<{ resolve(): void; reject(err: Error): void }> = [];
  readonly #aborts = new AbortGroups<SendOp>((signal, ops) => this.#aborted(signal, ops));
  #onWithdrawn: () => void = () => {};

  get length(): number {
    return this.#entries.length;
  }

  /** Bytes handed to send() that the kernel has not taken yet. */
  get pendingBytes(): number {
    let n = 0;
    for (const e of this.#entries) n += e.data.byteLength - e.written;
    return n;
  }

  /** The entry at `i` (0: the oldest). */
  at(i: number): WriteEntry | undefined {
    return this.#entries[i];
  }

  /**
   * Queues one send of `chunks` (with `fds` riding on the first). `onWithdrawn` runs after an abort
   * took the send out of the queue.
   */
  push(chunks: readonly Uint8Array[], fds: readonly number[] | undefined, signal: AbortSignal | undefined, onWithdrawn: () => void): Promise<void> {
    this.#onWithdrawn = onWithdrawn;
    return new Promise<void>((resolve, reject) => {
      const op: SendOp = { left: chunks.length, started: false, resolve, reject, signal };
      if (signal) this.#aborts.add(signal, op);
      for (let i = 0; i < chunks.length; i++) this.#entries.push({ data: chunks[i]!, written: 0, fds: i === 0 ? fds : undefined, op });
    });
  }

  /** Withdraws every send of `signal` none of which is in the kernel yet (a half-sent one would corrupt the stream). */
  #aborted(signal: AbortSignal, ops: ReadonlySet<SendOp>): void {
    const withdrawn = new Set([...ops].filter((op) => !op.started));
    if (withdrawn.size === 0) return;
    for (let i = this.#entries.length - 1; i >= 0; i--) if (withdrawn.has(this.#entries[i]!.op)) this.#entries.splice(i, 1);
    for (const op of withdrawn) op.reject(abortError(signal));
    this.#checkDrained();
    this.#onWithdrawn();
  }

  /** Streams: the kernel took `n` more bytes from the head of the queue (a write, writev or sendmsg). */
  consumed(n: number): void {
    let left = n;
    while (this.#entries.length > 0) {
      const e = this.#entries[0]!;
      const take = Math.min(left, e.data.byteLength - e.written);
      if (take > 0) {
        e.written += take;
        left -= take;
        e.op.started = true;
        e.fds = undefined; // fds go with the first byte written
      }
      if (e.written < e.data.byteLength) break; // empty entries complete as soon as they are reached
      this.#complete();
    }
    this.#checkDrained();
  }

  /** Datagrams: the head entry went out as one datagram. */
  sentOne(): void {
    const e = this.#entries[0];
    if (!e) return;
    e.op.started = true;
    this.#complete();
    this.#checkDrained();
  }

  #complete(): void {
    const e = this.#entries.shift()!;
    if (--e.op.left === 0) this.#settle(e.op, null);
  }

  #settle(op: SendOp, err: Error | null): void {
    if (op.signal) this.#aborts.delete(op.signal, op);
    if (err) op.reject(err);
    else op.resolve();
  }

  /** Every pending send, and every drain waiter, fails with `err`. */
  failAll(err: Error): void {
    const ops = new Set(this.#entries.splice(0).map((e) => e.op));
    for (const op of ops) this.#settle(op, err);
    for (const w of this.#drainWaiters.splice(0)) w.reject(err);
  }

  /** Resolves once every queued send is in the kernel; rejects if they fail (failAll). */
  drained(): Promise<void> {
    if (this.#entries.length === 0) return Promise.resolve();
    return new Promise((resolve, reject) => this.#drainWaiters.push({ resolve, reject }));
  }

  #checkDrained(): void {
    if (this.#entries.length === 0) for (const w of this.#drainWaiters.splice(0)) w.resolve();
  }
}
