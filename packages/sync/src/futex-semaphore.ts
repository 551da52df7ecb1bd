// A counting semaphore whose post and uncontended wait never leave JavaScript: two 32-bit words of
// shared memory — the count, and how many waiters may be asleep — changed with Atomics; futex(2)
// (not FUTEX_PRIVATE: across processes) only to sleep when the count is 0 and to wake a sleeper.
// A waiter announces itself before its last look at the count, and post adds to the count before it
// looks for sleepers, so a post never misses a waiter about to sleep (and FUTEX_WAIT sleeps only if
// the count is still 0).
import { abortError, validateInteger } from '@ipc-compare/core';
import { futexWait, futexWake } from '@ipc-compare/native';
import { closedPrimitive, timedOut } from './errors.js';
import { checkPlacement } from './placement.js';
import { checkTimeout, waitAsync, type WaitOptions } from './wait.js';

const COUNT = 0;
const SLEEPERS = 1;

export class FutexSemaphore {
  static readonly bytes = 8;
  static readonly align = 4;

  readonly buffer: SharedArrayBuffer;
  readonly offset: number;
  readonly #w: Int32Array;
  #closed = false;

  private constructor(buffer: SharedArrayBuffer, offset: number) {
    checkPlacement(buffer, offset, FutexSemaphore.bytes, FutexSemaphore.align);
    this.buffer = buffer;
    this.offset = offset;
    this.#w = new Int32Array(buffer, offset, 2);
  }

  /** Sets up a semaphore with `value` units at `offset` (once; the others use at()). */
  static create(buffer: SharedArrayBuffer, offset: number, value = 0): FutexSemaphore {
    validateInteger(value, 'value', 0, 2 ** 31 - 1);
    const s = new FutexSemaphore(buffer, offset);
    Atomics.store(s.#w, SLEEPERS, 0);
    Atomics.store(s.#w, COUNT, value);
    return s;
  }

  static at(buffer: SharedArrayBuffer, offset: number): FutexSemaphore {
    return new FutexSemaphore(buffer, offset);
  }

  /** Takes a unit if there is one. JS only. */
  tryWait(): boolean {
    this.#check();
    for (let c = Atomics.load(this.#w, COUNT); c > 0; c = Atomics.load(this.#w, COUNT)) {
      if (Atomics.compareExchange(this.#w, COUNT, c, c - 1) === c) return true;
    }
    return false;
  }

  /** Adds a unit; a futex wake only if someone may be asleep. */
  post(): void {
    this.#check();
    if (Atomics.add(this.#w, COUNT, 1) === 2 ** 31 - 1) {
      Atomics.sub(this.#w, COUNT, 1);
      throw Object.assign(new RangeError('The semaphore is at its maximum count'), { code: 'ERR_OUT_OF_RANGE' });
    }
    if (Atomics.load(this.#w, SLEEPERS) > 0) futexWake(this.buffer, this.offset, 1);
  }

  /** Blocks the calling thread until it takes a unit (ETIMEDOUT after `timeoutMs`). */
  waitSync(timeoutMs?: number): void {
    this.#check();
    checkTimeout(timeoutMs);
    if (this.tryWait()) return;
    const deadline = timeoutMs === undefined ? Infinity : Date.now() + timeoutMs;
    Atomics.add(this.#w, SLEEPERS, 1);
    try {
      while (!this.tryWait()) {
        const left = deadline - Date.now();
        if (left <= 0) throw timedOut('futex', timeoutMs);
        futexWait(this.buffer, this.offset, 0, deadline === Infinity ? undefined : Math.ceil(left));
      }
    } finally {
      Atomics.sub(this.#w, SLEEPERS, 1);
    }
  }

  /** Resolves once a unit is taken; sleeps off the JS thread. An aborted wait takes nothing. */
  async wait(opts: WaitOptions = {}): Promise<void> {
    this.#check();
    checkTimeout(opts.timeoutMs);
    if (opts.signal?.aborted) throw abortError(opts.signal);
    if (this.tryWait()) return;
    const deadline = opts.timeoutMs === undefined ? Infinity : Date.now() + opts.timeoutMs;
    Atomics.add(this.#w, SLEEPERS, 1);
    try {
      while (!this.tryWait()) {
        const left = deadline - Date.now();
        if (left <= 0) throw timedOut('futex', opts.timeoutMs);
        // A wake that reaches a wait being aborted is passed on: another sleeper may be waiting for it.
        await waitAsync({ kind: 'futex', buffer: this.buffer, offset: this.offset, expected: 0 }, { signal: opts.signal, timeoutMs: deadline === Infinity ? undefined : Math.ceil(left) }, () =>
          futexWake(this.buffer, this.offset, 1),
        );
        this.#check();
      }
    } finally {
      Atomics.sub(this.#w, SLEEPERS, 1);
    }
  }

  get value(): number {
    this.#check();
    return Atomics.load(this.#w, COUNT);
  }

  close(): void {
    this.#closed = true;
  }

  #check(): void {
    if (this.#closed) throw closedPrimitive('the futex semaphore');
  }
}
