// An XSI (System V) semaphore: a set of one semaphore in the kernel, named by an integer id (semget
// IPC_PRIVATE, mode 0600). Processes that share nothing reach it by its id alone — ids are global,
// guarded only by the mode bits — and it lives until IPC_RMID, past its creator's exit, so the
// creator owns it: its close() removes it.
//
// With `undo` (the default) every operation is made with SEM_UNDO: the kernel reverses a process's
// operations when it exits, so a holder that dies with the unit taken gives it back. That is right
// for a lock (each process takes and gives back its own units) and wrong for a signal: a post made
// with SEM_UNDO is taken back too when the poster exits. A process that only posts (or only waits)
// for another's sake uses `undo: false`.
import { abortError, ipcError, validateBoolean, validateInteger } from '@ipc-compare/core';
import { xsiSemCreate, xsiSemPost, xsiSemRemove, xsiSemStat, xsiSemTryWait, xsiSemValue, xsiSemWait, xsiSemWaiters } from '@ipc-compare/native';
import { closedPrimitive, timedOut } from './errors.js';
import { checkTimeout, waitAsync, type WaitOptions } from './wait.js';

/** Linux's SEMVMX: the most a semaphore holds. */
export const XSI_SEM_MAX = 32767;

export interface XsiSemaphoreOptions {
  /** SEM_UNDO on every operation of this handle: undone when this process exits. Default true. */
  undo?: boolean;
}

export class XsiSemaphore {
  readonly id: number;
  readonly undo: boolean;
  readonly #owner: boolean;
  #closed = false;

  private constructor(id: number, undo: boolean, owner: boolean) {
    this.id = id;
    this.undo = undo;
    this.#owner = owner;
  }

  /** A new set of one semaphore holding `value` (0 … 32767), mode 0600. This handle owns it. */
  static create(opts: XsiSemaphoreOptions & { value?: number } = {}): XsiSemaphore {
    const value = opts.value ?? 0;
    validateInteger(value, 'value', 0, XSI_SEM_MAX);
    const undo = undoOf(opts); // every check before semget: a refused call leaves no set behind
    return new XsiSemaphore(xsiSemCreate(value, 0o600), undo, true);
  }

  /**
   * The set another process made, by its id (EINVAL if there is none, EACCES without the permission:
   * 0600 is its creator's uid). Closing this handle does not remove it.
   */
  static open(id: number, opts: XsiSemaphoreOptions = {}): XsiSemaphore {
    validateInteger(id, 'id', 0, 2 ** 31 - 1);
    const undo = undoOf(opts);
    const { nsems } = xsiSemStat(id);
    if (nsems !== 1) throw ipcError('ERR_INVALID_ARG_VALUE', `XSI semaphore set ${id} has ${nsems} semaphores, not 1: not one of these`);
    return new XsiSemaphore(id, undo, false);
  }

  post(): void {
    this.#check();
    xsiSemPost(this.id, this.undo);
  }

  /** Takes a unit if there is one: true, else false. Never blocks. */
  tryWait(): boolean {
    this.#check();
    return xsiSemTryWait(this.id, this.undo);
  }

  /** Blocks the calling thread until it takes a unit (ETIMEDOUT after `timeoutMs`; EIDRM if the set is removed). */
  waitSync(timeoutMs?: number): void {
    this.#check();
    checkTimeout(timeoutMs);
    if (!xsiSemWait(this.id, this.undo, timeoutMs)) throw timedOut('semtimedop', timeoutMs);
  }

  /** Resolves once a unit is taken; waits on a thread of its own (semtimedop), off the threadpool. */
  async wait(opts: WaitOptions = {}): Promise<void> {
    this.#check();
    checkTimeout(opts.timeoutMs);
    if (opts.signal?.aborted) throw abortError(opts.signal); // an aborted wait takes nothing, even when a unit is there
    if (this.tryWait()) return;
    const r = await waitAsync({ kind: 'xsi-sem', id: this.id, undo: this.undo }, opts, () => xsiSemPost(this.id, this.undo));
    if (r === 'timed-out') throw timedOut('semtimedop', opts.timeoutMs);
  }

  get value(): number {
    this.#check();
    return xsiSemValue(this.id);
  }

  /** How many threads, in any process, sleep waiting to take a unit (GETNCNT). */
  get waiters(): number {
    this.#check();
    return xsiSemWaiters(this.id);
  }

  /** Done with this handle; the creator's also removes the set (IPC_RMID: at once, waiters get EIDRM). Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (!this.#owner) return;
    try {
      xsiSemRemove(this.id);
    } catch (err) {
      if ((err as { code?: string }).code !== 'EINVAL') throw err; // already removed
    }
  }

  #check(): void {
    if (this.#closed) throw closedPrimitive(`the XSI semaphore ${this.id}`);
  }
}

function undoOf(opts: XsiSemaphoreOptions): boolean {
  if (opts.undo !== undefined) validateBoolean(opts.undo, 'undo');
  return opts.undo ?? true;
}
