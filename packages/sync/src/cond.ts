// A process-shared pthread condition variable in shared memory (PTHREAD_PROCESS_SHARED), on
// CLOCK_MONOTONIC: wall-clock changes neither shorten nor stretch a timed wait. It is used with a
// Mutex: waitSync() with a mutex this JS thread locked itself (lockSync/tryLock); wait() with one
// taken through lock(), whose lock agent then waits on its own thread. Both return — resolve, reject
// or throw — with the mutex held again, as pthread_cond_wait does: on a timeout and on abort too.
// Wake-ups may be spurious (and an aborted async wait broadcasts to get its agent out, which wakes
// the other waiters spuriously): always wait in a loop over the condition.
import { condBroadcast, condDestroy, condInit, condSignal, condWait, syncSizes } from '@ipc-compare/native';
import { ipcError } from '@ipc-compare/core';
import { EOWNERDEAD, ETIMEDOUT, closedPrimitive, timedOut } from './errors.js';
import { type Mutex, ownerDied, topHold } from './mutex.js';
import { checkPlacement } from './placement.js';
import { checkTimeout, type WaitOptions } from './wait.js';

export class Cond {
  static readonly bytes = syncSizes.cond;
  static readonly align = 8;

  readonly buffer: SharedArrayBuffer;
  readonly offset: number;
  #closed = false;

  private constructor(buffer: SharedArrayBuffer, offset: number) {
    this.buffer = buffer;
    this.offset = offset;
  }

  /** pthread_cond_init at `offset` (once, by one process; the others use at()). */
  static create(buffer: SharedArrayBuffer, offset: number): Cond {
    checkPlacement(buffer, offset, Cond.bytes, Cond.align);
    condInit(buffer, offset);
    return new Cond(buffer, offset);
  }

  /** The cond another thread or process created at `offset`. */
  static at(buffer: SharedArrayBuffer, offset: number): Cond {
    checkPlacement(buffer, offset, Cond.bytes, Cond.align);
    return new Cond(buffer, offset);
  }

  /**
   * Blocks the calling thread: unlocks `mutex` (locked by this thread through lockSync/tryLock), waits
   * for a signal, locks it again. ETIMEDOUT after `timeoutMs`, EOWNERDEAD as Mutex.lockSync — both with
   * the mutex held.
   */
  waitSync(mutex: Mutex, timeoutMs?: number): void {
    this.#check();
    checkTimeout(timeoutMs);
    const hold = mutex[topHold]();
    if (hold !== 'sync') throw heldOtherwise(hold === undefined ? 'not held through this handle: lockSync() it first' : 'held through lock() (a lock agent): use await cond.wait(mutex)');
    const r = condWait(this.buffer, this.offset, mutex.buffer, mutex.offset, timeoutMs);
    if (r === ETIMEDOUT) throw timedOut('pthread_cond_clockwait', timeoutMs);
    if (r === EOWNERDEAD) throw ownerDied(timeoutMs === undefined ? 'pthread_cond_wait' : 'pthread_cond_clockwait');
  }

  /**
   * The async wait: `mutex` must have been taken with `await mutex.lock()`; its lock agent waits on
   * the cond on its own thread. Rejects with ETIMEDOUT, AbortError or EOWNERDEAD — the mutex held
   * again in every case (unlock() it as after any wait).
   */
  async wait(mutex: Mutex, opts: WaitOptions = {}): Promise<void> {
    this.#check();
    const hold = mutex[topHold]();
    if (hold === undefined || hold === 'sync') throw heldOtherwise(hold === undefined ? 'not held through this handle: await mutex.lock() first' : 'held by the JS thread itself (lockSync/tryLock): use waitSync(), or take it with lock()');
    const syscall = opts.timeoutMs === undefined ? 'pthread_cond_wait' : 'pthread_cond_clockwait';
    const r = await hold.condWait(this.buffer, this.offset, opts, () => ownerDied(syscall));
    if (r === 'timed-out') throw timedOut(syscall, opts.timeoutMs);
  }

  /** Wakes one waiter (in any process), if there is one. */
  signal(): void {
    this.#check();
    condSignal(this.buffer, this.offset);
  }

  /** Wakes every waiter. */
  broadcast(): void {
    this.#check();
    condBroadcast(this.buffer, this.offset);
  }

  /** Done with this handle; `destroy: true` (the creator, once no one waits) also pthread_cond_destroy. */
  close(opts: { destroy?: boolean } = {}): void {
    if (this.#closed) return;
    this.#closed = true;
    if (opts.destroy) condDestroy(this.buffer, this.offset);
  }

  #check(): void {
    if (this.#closed) throw closedPrimitive('the cond');
  }
}

function heldOtherwise(why: string) {
  return ipcError('ERR_INVALID_STATE', `cannot wait on the cond with this mutex: it is ${why}`);
}
