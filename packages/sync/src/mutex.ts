// A process-shared pthread mutex in shared memory (PTHREAD_PROCESS_SHARED): normal, errorcheck
// (relock → EDEADLK, unlock by a non-owner → EPERM) or recursive, and optionally robust: when its
// holder dies, the next locker gets the lock with an EOWNERDEAD error, repairs the data and calls
// consistent(); unlocked without that, the mutex is ENOTRECOVERABLE for good.
//
// A pthread mutex belongs to the thread that locked it. lockSync/tryLock take it on the calling
// thread; lock() has a lock agent (lock-agent.ts) take it on a thread of its own and hold it for this
// JS thread, so that unlock(), consistent() and Cond.wait() are then done by that agent. unlock()
// releases this handle's most recent acquisition, however it was taken. With nothing held through
// this handle it calls pthread_mutex_unlock as it is: EPERM for an errorcheck or robust mutex this
// thread does not own; a normal mutex is unlocked whoever holds it (undefined behaviour in POSIX,
// what glibc does).
import { mutexConsistent, mutexDestroy, mutexInit, mutexLock, mutexTryLock, mutexUnlock, syncSizes, errnoError } from '@ipc-compare/native';
import { ipcError, validateBoolean, validateOneOf } from '@ipc-compare/core';
import { EBUSY, EOWNERDEAD, ETIMEDOUT, closedPrimitive, timedOut } from './errors.js';
import { acquire, type AgentHold, type PendingAcquisition } from './lock-agent.js';
import { checkPlacement } from './placement.js';
import { checkTimeout, type WaitOptions } from './wait.js';

/**
 * Handles that hold their mutex, kept reachable until unlocked: a held handle's SharedArrayBuffer
 * must not be collected, or its pages are unmapped under the lock — and a robust mutex whose holder
 * then dies is never marked EOWNERDEAD (the kernel cannot read its robust-list entry): it stays
 * locked for ever. Seen: a holder that dropped its handle after lockSync().
 */
const holding = new Set<Mutex>();

/** What one acquisition through a handle holds: the JS thread itself, or a lock agent. */
export type Hold = 'sync' | AgentHold;

/** @internal Cond's access to a mutex handle's most recent acquisition. */
export const topHold = Symbol('topHold');

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
  readonly #holds: Hold[] = [];
  readonly #pending = new Set<PendingAcquisition>();

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
    this.#checkNoAgent();
    const r = mutexLock(this.buffer, this.offset, timeoutMs);
    if (r === ETIMEDOUT) throw timedOut('pthread_mutex_clocklock', timeoutMs);
    this.#held('sync');
    if (r === EOWNERDEAD) throw ownerDied('pthread_mutex_lock');
  }

  /** Takes the lock if it is free: true, else false (EOWNERDEAD thrown as by lockSync). */
  tryLock(): boolean {
    this.#check();
    const r = mutexTryLock(this.buffer, this.offset);
    if (r === EBUSY) return false;
    this.#held('sync');
    if (r === EOWNERDEAD) throw ownerDied('pthread_mutex_trylock');
    return true;
  }

  /**
   * Resolves once a lock agent (a thread of its own; not the threadpool) holds the lock for this JS
   * thread, until unlock(). Rejects with ETIMEDOUT after `timeoutMs`, or with AbortError — the lock is
   * then not held. On a robust mutex whose holder died, rejects with EOWNERDEAD *with the lock held*
   * (even if aborted meanwhile: the data needs repair): repair, then consistent().
   */
  async lock(opts: WaitOptions = {}): Promise<void> {
    this.#check();
    const { hold, ownerDead } = await acquire('mutex', this.buffer, this.offset, opts, 'pthread_mutex_clocklock', this.#pending);
    if (this.#closed && !ownerDead) {
      hold.release(); // closed while the result was on its way
      throw closedPrimitive('the mutex');
    }
    this.#held(hold);
    if (ownerDead) throw ownerDied('pthread_mutex_clocklock');
  }

  /** Releases this handle's most recent acquisition (see the file comment for none). */
  unlock(): void {
    this.#check();
    const top = this.#holds.at(-1);
    if (top === undefined || top === 'sync') mutexUnlock(this.buffer, this.offset);
    else top.release(); // ERR_INVALID_STATE while a Cond.wait() is using it
    if (top !== undefined) this.#holds.pop();
    if (this.#holds.length === 0) holding.delete(this);
  }

  #held(h: Hold): void {
    this.#holds.push(h);
    holding.add(this);
  }

  /** After EOWNERDEAD: the protected data is repaired, the mutex works normally again. */
  consistent(): void {
    this.#check();
    const top = this.#holds.at(-1);
    if (top !== undefined && top !== 'sync') top.consistent();
    else mutexConsistent(this.buffer, this.offset);
  }

  /**
   * Done with this handle: pending lock()s reject with ERR_INVALID_STATE and whatever this handle
   * still holds is unlocked. `destroy: true` (the creator) also runs pthread_mutex_destroy.
   */
  close(opts: { destroy?: boolean } = {}): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const p of this.#pending) p.cancel(closedPrimitive('the mutex'));
    this.#pending.clear();
    while (this.#holds.length > 0) {
      const top = this.#holds.pop()!;
      if (top === 'sync') mutexUnlock(this.buffer, this.offset);
      else top.release();
    }
    holding.delete(this);
    if (opts.destroy) mutexDestroy(this.buffer, this.offset);
  }

  /** @internal The most recent acquisition through this handle, for Cond. */
  [topHold](): Hold | undefined {
    this.#check();
    return this.#holds.at(-1);
  }

  #check(): void {
    if (this.#closed) throw closedPrimitive('the mutex');
  }

  // A lock agent of this handle holds the lock and waits for this thread's unlock(): blocking on the
  // lock here would wait for ever.
  #checkNoAgent(): void {
    if (this.#holds.some((h) => h !== 'sync')) throw ipcError('ERR_INVALID_STATE', 'this handle holds the mutex through lock(): unlock() it before lockSync() (it would wait for itself)');
  }
}

/** The EOWNERDEAD error of a robust mutex whose holder died; the lock is held by the caller. */
export function ownerDied(syscall: string) {
  const err = errnoError(EOWNERDEAD, syscall) as ReturnType<typeof errnoError> & { lockHeld: true };
  err.message += ': the lock is now held by this thread; repair the data, then call consistent()';
  err.lockHeld = true;
  return err;
}
