// A process-shared pthread mutex in shared memory (PTHREAD_PROCESS_SHARED): normal, errorcheck
// (relock → EDEADLK, unlock by a non-owner → EPERM) or recursive, and optionally robust: when its
// holder dies, the next locker gets the lock with an EOWNERDEAD error, repairs the data and calls
// consistent(); unlocked without that, the mutex is ENOTRECOVERABLE for good.
//
// A pthread mutex belongs to the thread that locked it, so only the blocking form exists here: an
// async lock would be taken by a waiter thread, which would then own it. Use lockSync in workers, or
// FutexMutex (no owner) for an async lock on the main thread.
import { mutexConsistent, mutexDestroy, mutexInit, mutexLock, mutexTryLock, mutexUnlock, syncSizes, errnoError } from '@ipc-compare/native';
import { validateBoolean, validateOneOf } from '@ipc-compare/core';
import { EBUSY, EOWNERDEAD, ETIMEDOUT, closedPrimitive, timedOut } from './errors.js';
import { checkPlacement } from './placement.js';
import { checkTimeout } from './wait.js';

export type MutexType = 'normal' | 'errorcheck' | 'recursive';
export interface MutexOptions {
  type?: MutexType;
  robust?: boolean;
}

const TYPES: readonly MutexType[] = ['normal', 'errorcheck', 'recursive'];

export class Mutex {
  static readonly bytes = syncSizes.mutex;
  static readonly align = 8;

  readonly buffer: SharedArrayBuffer;
  readonly offset: number;
  #closed = false;

  private constructor(buffer: SharedArrayBuffer, offset: number) {
    this.buffer = buffer;
    this.offset = offset;
  }

  /** pthread_mutex_init at `offset` (once, by one process; the others use at()). */
  static create(buffer: SharedArrayBuffer, offset: number, opts: MutexOptions = {}): Mutex {
    checkPlacement(buffer, offset, Mutex.bytes, Mutex.align);
    const type = opts.type ?? 'normal';
    validateOneOf(type, 'type', TYPES);
    if (opts.robust !== undefined) validateBoolean(opts.robust, 'robust');
    mutexInit(buffer, offset, TYPES.indexOf(type) as 0 | 1 | 2, opts.robust ?? false);
    return new Mutex(buffer, offset);
  }

  /** The mutex another thread or process created at `offset`. */
  static at(buffer: SharedArrayBuffer, offset: number): Mutex {
    checkPlacement(buffer, offset, Mutex.bytes, Mutex.align);
    return new Mutex(buffer, offset);
  }

  /**
   * Blocks until this thread holds the lock (ETIMEDOUT after `timeoutMs`). On a robust mutex whose
   * holder died, throws an EOWNERDEAD error *with the lock held*: repair, then consistent().
   */
  lockSync(timeoutMs?: number): void {
    this.#check();
    checkTimeout(timeoutMs);
    const r = mutexLock(this.buffer, this.offset, timeoutMs);
    if (r === ETIMEDOUT) throw timedOut('pthread_mutex_clocklock', timeoutMs);
    if (r === EOWNERDEAD) throw ownerDied('pthread_mutex_lock');
  }

  /** Takes the lock if it is free: true, else false (EOWNERDEAD thrown as by lockSync). */
  tryLock(): boolean {
    this.#check();
    const r = mutexTryLock(this.buffer, this.offset);
    if (r === EOWNERDEAD) throw ownerDied('pthread_mutex_trylock');
    return r !== EBUSY;
  }

  unlock(): void {
    this.#check();
    mutexUnlock(this.buffer, this.offset);
  }

  /** After EOWNERDEAD: the protected data is repaired, the mutex works normally again. */
  consistent(): void {
    this.#check();
    mutexConsistent(this.buffer, this.offset);
  }

  /** Done with this handle; `destroy: true` (the creator, once unlocked) also pthread_mutex_destroy. */
  close(opts: { destroy?: boolean } = {}): void {
    if (this.#closed) return;
    this.#closed = true;
    if (opts.destroy) mutexDestroy(this.buffer, this.offset);
  }

  #check(): void {
    if (this.#closed) throw closedPrimitive('the mutex');
  }
}

function ownerDied(syscall: string) {
  const err = errnoError(EOWNERDEAD, syscall) as ReturnType<typeof errnoError> & { lockHeld: true };
  err.message += ': the lock is now held by this thread; repair the data, then call consistent()';
  err.lockHeld = true;
  return err;
}
