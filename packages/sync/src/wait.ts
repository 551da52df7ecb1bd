// An async wait as a promise: the wait runs on a thread of its own (native SyncWaiter), never on the
// JS thread or libuv's threadpool, and honours a timeout and an AbortSignal.
import { abortError, validateInteger } from '@ipc-compare/core';
import { SyncWaiter, type NamedSemaphoreHandle, type WaitOutcome } from '@ipc-compare/native';

export interface WaitOptions {
  /** Give up after this many ms (ETIMEDOUT); none: wait for ever. */
  timeoutMs?: number;
  /** Abort the wait (AbortError). A semaphore unit taken at that very moment is given back. */
  signal?: AbortSignal;
}

type Target =
  | { kind: 'futex'; buffer: SharedArrayBuffer; offset: number; expected: number }
  | { kind: 'sem'; buffer: SharedArrayBuffer; offset: number }
  | { kind: 'named-sem'; sem: NamedSemaphoreHandle }
  | { kind: 'xsi-sem'; id: number; undo: boolean };

/**
 * Waits for `target`; resolves with how the wait ended. `giveBack` undoes a success that raced with
 * an abort — a semaphore posts its unit back, a futex wait passes its wake on to the next sleeper —
 * so an aborted wait has no effect, and takes no wake-up from anyone.
 */
export function waitAsync(target: Target, opts: WaitOptions = {}, giveBack?: () => void): Promise<WaitOutcome> {
  checkTimeout(opts.timeoutMs);
  const { signal } = opts;
  if (signal?.aborted) return Promise.reject(abortError(signal));
  return new Promise<WaitOutcome>((resolve, reject) => {
    const timeout = opts.timeoutMs ?? -1;
    const done = (err: Error | null, outcome: WaitOutcome | 'cancelled' | undefined) => {
      signal?.removeEventListener('abort', onAbort);
      if (err) return reject(err);
      if (signal?.aborted) {
        if (outcome === 'ok') giveBack?.();
        return reject(abortError(signal));
      }
      resolve(outcome as WaitOutcome);
    };
    const waiter =
      target.kind === 'futex'
        ? new SyncWaiter('futex', target.buffer, target.offset, target.expected, timeout, done)
        : target.kind === 'sem'
          ? new SyncWaiter('sem', target.buffer, target.offset, 0, timeout, done)
          : target.kind === 'named-sem'
            ? new SyncWaiter('named-sem', target.sem, null, 0, timeout, done)
            : new SyncWaiter('xsi-sem', target.id, null, target.undo ? 1 : 0, timeout, done);
    const onAbort = () => waiter.cancel();
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** A timeout is an integer number of ms, 0 … 2^31 − 1 (what the native side takes). */
export function checkTimeout(timeoutMs: number | undefined): void {
  if (timeoutMs !== undefined) validateInteger(timeoutMs, 'timeoutMs', 0, 2 ** 31 - 1);
}
