// A mutex whose uncontended lock and unlock never leave JavaScript: one 32-bit word of shared memory
// changed with Atomics, and futex(2) — without FUTEX_PRIVATE_FLAG, so across processes — only when
// someone has to sleep or be woken. Ulrich Drepper's "Futexes Are Tricky", mutex 2:
//   0 unlocked, 1 locked, 2 locked and maybe someone sleeps.
// No owner is recorded (like a binary semaphore): unlocking it from another thread or process is
// allowed, and a holder that dies leaves it locked (use Mutex with robust: true for that).
import { abortError, ipcError } from '@ipc-compare/core';
import { futexWait, futexWake } from '@ipc-compare/native';
import { closedPrimitive, timedOut } from './errors.js';
import { checkPlacement } from './placement.js';
import { checkTimeout, waitAsync, type WaitOptions } from './wait.js';

export class FutexMutex {
  static readonly bytes = 4;
  static readonly align = 4;

  readonly buffer: SharedArrayBuffer;
  readonly offset: number;
  readonly #word: Int32Array;
  #closed = false;

  /** The mutex at `offset` (4 bytes, 4-aligned). A zeroed word is an unlocked mutex: no init step. */
  constructor(buffer: SharedArrayBuffer, offset: number) {
    checkPlacement(buffer, offset, FutexMutex.bytes, FutexMutex.align);
    this.buffer = buffer;
    this.offset = offset;
    this.#word = new Int32Array(buffer, offset, 1);
  }

  /** Takes the lock if it is free: true, else false. JS only. */
  tryLock(): boolean {
    this.#check();
    return Atomics.compareExchange(this.#word, 0, 0, 1) === 0;
  }

  /** Blocks the calling thread until it holds the lock (ETIMEDOUT after `timeoutMs`). */
  lockSync(timeoutMs?: number): void {
    this.#check();
    checkTimeout(timeoutMs);
    let c = Atomics.compareExchange(this.#word, 0, 0, 1);
    if (c === 0) return; // the fast path: no syscall
    const deadline = timeoutMs === undefined ? Infinity : Date.now() + timeoutMs;
    if (c !== 2) c = Atomics.exchange(this.#word, 0, 2);
    while (c !== 0) {
      const left = deadline - Date.now();
      if (left <= 0) throw timedOut('futex', timeoutMs);
      futexWait(this.buffer, this.offset, 2, deadline === Infinity ? undefined : Math.ceil(left));
      c = Atomics.exchange(this.#word, 0, 2);
    }
  }

  /** Resolves once this thread holds the lock; the waiting is done off the JS thread. */
  async lock(opts: WaitOptions = {}): Promise<void> {
    this.#check();
    checkTimeout(opts.timeoutMs);
    if (opts.signal?.aborted) throw abortError(opts.signal); // an aborted lock takes nothing, even when free
    let c = Atomics.compareExchange(this.#word, 0, 0, 1);
    if (c === 0) return;
    const deadline = opts.timeoutMs === undefined ? Infinity : Date.now() + opts.timeoutMs;
    if (c !== 2) c = Atomics.exchange(this.#word, 0, 2);
    while (c !== 0) {
      const left = deadline - Date.now();
      if (left <= 0) throw timedOut('futex', opts.timeoutMs);
      // A wake that reaches a wait being aborted is passed on: another sleeper may be waiting for it.
      await waitAsync({ kind: 'futex', buffer: this.buffer, offset: this.offset, expected: 2 }, { signal: opts.signal, timeoutMs: deadline === Infinity ? undefined : Math.ceil(left) }, () =>
        futexWake(this.buffer, this.offset, 1),
      );
      this.#check();
      c = Atomics.exchange(this.#word, 0, 2);
    }
  }

  /** Releases the lock; wakes one sleeper if there may be one. ERR_INVALID_STATE if it is not locked. */
  unlock(): void {
    this.#check();
    const c = Atomics.sub(this.#word, 0, 1);
    if (c === 1) return; // nobody waits: no syscall
    if (c === 0) {
      Atomics.add(this.#word, 0, 1); // undo: it was not locked
      throw ipcError('ERR_INVALID_STATE', 'the futex mutex is not locked');
    }
    Atomics.store(this.#word, 0, 0);
    futexWake(this.buffer, this.offset, 1);
  }

  /** This handle is done; the word stays as it is (other handles may still use it). */
  close(): void {
    this.#closed = true;
  }

  #check(): void {
    if (this.#closed) throw closedPrimitive('the futex mutex');
  }
}
