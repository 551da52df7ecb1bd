// The sends not yet in the kernel, oldest first, and the promises waiting on them. Every way a send can
// end goes through here: written, withdrawn by its AbortSignal (only while none of it is in the kernel),
// or failed together with every other pending send and every end() waiting for the queue to drain
// (`failAll`: what close() and I/O errors call) — so no caller is ever left waiting.
import { abortError } from '../errors.js';

/** One send()/sendv()/sendFds() call: settles when its last entry is in the kernel. */
interface SendOp {
  left: number;
  started: boolean;
  resolve(): void;
  reject(err: Error): void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
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
    return new Promise<void>((resolve, reject) => {
      const op: SendOp = { left: chunks.length, started: false, resolve, reject, signal, onAbort: undefined };
      const entries = chunks.map((data, i): WriteEntry => ({ data, written: 0, fds: i === 0 ? fds : undefined, op }));
      if (signal) {
        op.onAbort = () => {
          if (op.started) return; // part of it is in the kernel: withdrawing now would corrupt the stream
          for (let i = this.#entries.length - 1; i >= 0; i--) if (this.#entries[i]!.op === op) this.#entries.splice(i, 1);
          reject(abortError(signal));
          this.#checkDrained();
          onWithdrawn();
        };
        signal.addEventListener('abort', op.onAbort, { once: true });
      }
      this.#entries.push(...entries);
    });
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
    if (--e.op.left === 0) settle(e.op, null);
  }

  /** Every pending send, and every drain waiter, fails with `err`. */
  failAll(err: Error): void {
    const ops = new Set(this.#entries.splice(0).map((e) => e.op));
    for (const op of ops) settle(op, err);
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

function settle(op: SendOp, err: Error | null): void {
  if (op.onAbort) op.signal!.removeEventListener('abort', op.onAbort);
  if (err) op.reject(err);
  else op.resolve();
}
