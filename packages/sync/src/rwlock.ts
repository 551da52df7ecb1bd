// A process-shared pthread read-write lock in shared memory (PTHREAD_PROCESS_SHARED): any number of
// readers at once, or one writer. glibc prefers readers by default — a steady stream of them keeps a
// writer waiting for ever; `preferWriters: true` makes a waiting writer hold new readers back.
//
// Like Mutex, the lock belongs to the thread that took it (glibc tells a writer's unlock from a
// reader's by the caller's thread id), so the async forms have a lock agent take and hold it, and
// unlock() releases this handle's most recent acquisition, however it was taken. Unlike Mutex, an
// unlock() with nothing held through this handle is refused (ERR_INVALID_STATE): a rwlock cannot tell
// and would count a reader out that never came in. Not robust: a process that dies holding it leaves
// it held.
import { rwlockDestroy, rwlockInit, rwlockRdLock, rwlockTryRdLock, rwlockTryWrLock, rwlockUnlock, rwlockWrLock, syncSizes } from '@ipc-compare/native';
import { ipcError, validateBoolean } from '@ipc-compare/core';
import { EBUSY, ETIMEDOUT, closedPrimitive, timedOut } from './errors.js';
import { acquire, type AgentHold, type PendingAcquisition } from './lock-agent.js';
import { checkPlacement } from './placement.js';
import { checkTimeout, type WaitOptions } from './wait.js';

export interface RwLockOptions {
  /** A waiting writer holds back new readers (glibc's PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP). */
  preferWriters?: boolean;
}

type Hold = 'sync' | AgentHold;

export class RwLock {
  static readonly bytes = syncSizes.rwlock;
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

  /** pthread_rwlock_init at `offset` (once, by one process; the others use at()). */
  static create(buffer: SharedArrayBuffer, offset: number, opts: RwLockOptions = {}): RwLock {
    checkPlacement(buffer, offset, RwLock.bytes, RwLock.align);
    if (opts.preferWriters !== undefined) validateBoolean(opts.preferWriters, 'preferWriters');
    rwlockInit(buffer, offset, opts.preferWriters ?? false);
    return new RwLock(buffer, offset);
  }

  /** The rwlock another thread or process created at `offset`. */
  static at(buffer: SharedArrayBuffer, offset: number): RwLock {
    checkPlacement(buffer, offset, RwLock.bytes, RwLock.align);
    return new RwLock(buffer, offset);
  }

  /** Blocks until this thread holds it for reading (ETIMEDOUT after `timeoutMs`). */
  rdLockSync(timeoutMs?: number): void {
    this.#lockSync(false, timeoutMs);
  }

  /** Blocks until this thread holds it for writing (ETIMEDOUT after `timeoutMs`; EDEADLK if it already does). */
  wrLockSync(timeoutMs?: number): void {
    this.#lockSync(true, timeoutMs);
  }

  /** Takes it for reading if no writer holds (or, preferring writers, waits for) it: true, else false. */
  tryRdLock(): boolean {
    return this.#try(false);
  }

  /** Takes it for writing if nobody holds it: true, else false. */
  tryWrLock(): boolean {
    return this.#try(true);
  }

  /** Resolves once a lock agent holds it for reading for this JS thread (see Mutex.lock). */
  rdLock(opts: WaitOptions = {}): Promise<void> {
    return this.#lock('read', opts);
  }

  /** Resolves once a lock agent holds it for writing for this JS thread (see Mutex.lock). */
  wrLock(opts: WaitOptions = {}): Promise<void> {
    return this.#lock('write', opts);
  }

  /** Releases this handle's most recent acquisition; ERR_INVALID_STATE if it holds none. */
  unlock(): void {
    this.#check();
    const top = this.#holds.at(-1);
    if (top === undefined) throw ipcError('ERR_INVALID_STATE', 'the rwlock is not held through this handle');
    if (top === 'sync') rwlockUnlock(this.buffer, this.offset);
    else top.release();
    this.#holds.pop();
  }

  /**
   * Done with this handle: pending rdLock()/wrLock()s reject with ERR_INVALID_STATE and whatever this
   * handle still holds is unlocked. `destroy: true` (the creator) also runs pthread_rwlock_destroy.
   */
  close(opts: { destroy?: boolean } = {}): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const p of this.#pending) p.cancel(closedPrimitive('the rwlock'));
    this.#pending.clear();
    while (this.#holds.length > 0) {
      const top = this.#holds.pop()!;
      if (top === 'sync') rwlockUnlock(this.buffer, this.offset);
      else top.release();
    }
    if (opts.destroy) rwlockDestroy(this.buffer, this.offset);
  }

  #lockSync(write: boolean, timeoutMs: number | undefined): void {
    this.#check();
    checkTimeout(timeoutMs);
    // An agent of this handle holds it and waits for this thread's unlock(): blocking here could wait
    // for ever (a writer, or a waiting writer that holds new readers back).
    if (this.#holds.some((h) => h !== 'sync')) throw ipcError('ERR_INVALID_STATE', 'this handle holds the rwlock through rdLock()/wrLock(): unlock() it before a blocking lock (it could wait for itself)');
    const r = write ? rwlockWrLock(this.buffer, this.offset, timeoutMs) : rwlockRdLock(this.buffer, this.offset, timeoutMs);
    if (r === ETIMEDOUT) throw timedOut(write ? 'pthread_rwlock_clockwrlock' : 'pthread_rwlock_clockrdlock', timeoutMs);
    this.#holds.push('sync');
  }

  #try(write: boolean): boolean {
    this.#check();
    const r = write ? rwlockTryWrLock(this.buffer, this.offset) : rwlockTryRdLock(this.buffer, this.offset);
    if (r === EBUSY) return false;
    this.#holds.push('sync');
    return true;
  }

  async #lock(kind: 'read' | 'write', opts: WaitOptions): Promise<void> {
    this.#check();
    const { hold } = await acquire(kind, this.buffer, this.offset, opts, kind === 'read' ? 'pthread_rwlock_clockrdlock' : 'pthread_rwlock_clockwrlock', this.#pending);
    if (this.#closed) {
      hold.release();
      throw closedPrimitive('the rwlock');
    }
    this.#holds.push(hold);
  }

  #check(): void {
    if (this.#closed) throw closedPrimitive('the rwlock');
  }
}
