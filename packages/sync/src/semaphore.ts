// An unnamed POSIX semaphore (sem_init with pshared = 1) in shared memory: between worker threads
// and between processes that map the same region. Blocking and async waits.
import { semDestroy, semInit, semPost, semTryWait, semValue, semWait, syncSizes } from '@ipc-compare/native';
import { abortError, validateInteger } from '@ipc-compare/core';
import { closedPrimitive, timedOut } from './errors.js';
import { checkPlacement } from './placement.js';
import { checkTimeout, waitAsync, type WaitOptions } from './wait.js';

export class Semaphore {
  static readonly bytes = syncSizes.sem;
  static readonly align = 8;

  readonly buffer: SharedArrayBuffer;
  readonly offset: number;
  #closed = false;

  private constructor(buffer: SharedArrayBuffer, offset: number) {
    this.buffer = buffer;
    this.offset = offset;
  }

  /** Initialises a semaphore with `value` units at `offset` (once, by one process; the others use at()). */
  static create(buffer: SharedArrayBuffer, offset: number, value = 0): Semaphore {
    checkPlacement(buffer, offset, Semaphore.bytes, Semaphore.align);
    validateInteger(value, 'value', 0, 2 ** 31 - 1);
    semInit(buffer, offset, value);
    return new Semaphore(buffer, offset);
  }

  /** The semaphore another thread or process created at `offset`. */
  static at(buffer: SharedArrayBuffer, offset: number): Semaphore {
    checkPlacement(buffer, offset, Semaphore.bytes, Semaphore.align);
    return new Semaphore(buffer, offset);
  }

  post(): void {
    this.#check();
    semPost(this.buffer, this.offset);
  }

  /** Takes a unit if there is one: true, else false. Never blocks. */
  tryWait(): boolean {
    this.#check();
    return semTryWait(this.buffer, this.offset);
  }

  /** Blocks the calling thread until it takes a unit (ETIMEDOUT after `timeoutMs`). */
  waitSync(timeoutMs?: number): void {
    this.#check();
    checkTimeout(timeoutMs);
    if (!semWait(this.buffer, this.offset, timeoutMs)) throw timedOut('sem_clockwait', timeoutMs);
  }

  /** Resolves once a unit is taken; the waiting is done off the JS thread and off the threadpool. */
  async wait(opts: WaitOptions = {}): Promise<void> {
    this.#check();
    checkTimeout(opts.timeoutMs);
    if (opts.signal?.aborted) throw abortError(opts.signal); // an aborted wait takes nothing, even when a unit is there
    if (this.tryWait()) return;
    const r = await waitAsync({ kind: 'sem', buffer: this.buffer, offset: this.offset }, opts, () => semPost(this.buffer, this.offset));
    if (r === 'timed-out') throw timedOut('sem_clockwait', opts.timeoutMs);
  }

  get value(): number {
    this.#check();
    return semValue(this.buffer, this.offset);
  }

  /**
   * Done with this handle. `destroy: true` (for the creator, once no one waits) also runs
   * sem_destroy. The memory is untouched either way: other handles fail only if it was destroyed.
   */
  close(opts: { destroy?: boolean } = {}): void {
    if (this.#closed) return;
    this.#closed = true;
    if (opts.destroy) semDestroy(this.buffer, this.offset);
  }

  #check(): void {
    if (this.#closed) throw closedPrimitive('the semaphore');
  }
}
