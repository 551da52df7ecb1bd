// The async form of an owned pthread lock (Mutex, RwLock). A pthread lock belongs to the thread that
// took it, so a waiter thread cannot take it and hand it to the JS thread. Instead a native "lock
// agent" — a thread of its own, never libuv's threadpool — takes it, reports on the event loop, and
// then keeps holding it on the JS thread's behalf: unlock(), consistent() and Cond.wait() of a lock
// taken this way are done by the agent, on its thread.
//
// Each handle keeps a stack of what it holds ('sync': taken by the JS thread itself, or an agent), so
// unlock() knows who has to let go: the most recent acquisition, whichever way it was taken.
import { abortError } from '@ipc-compare/core';
import { LockAgent, type ErrnoException, type LockAgentEvent } from '@ipc-compare/native';
import { timedOut } from './errors.js';
import { checkTimeout, type WaitOptions } from './wait.js';

type Listener = (err: ErrnoException | null, event: LockAgentEvent) => void;

/** A lock held by an agent thread for this JS thread. */
export class AgentHold {
  readonly #agent: LockAgent;
  readonly #events: { next: Listener | null };

  /** @internal */
  constructor(agent: LockAgent, events: { next: Listener | null }) {
    this.#agent = agent;
    this.#events = events;
  }

  /** The agent unlocks (on its thread) and ends; the lock is free when this returns. */
  release(): void {
    this.#agent.release();
  }

  consistent(): void {
    this.#agent.consistent();
  }

  /**
   * The agent waits on the cond at `offset` with the mutex it holds. Resolves 'ok' (signalled, or a
   * spurious wake-up) or 'timed-out'; rejects with AbortError or the owner-died error. In every case
   * the mutex is held again afterwards, as pthread_cond_wait returns.
   */
  condWait(buffer: SharedArrayBuffer, offset: number, opts: WaitOptions, onOwnerDead: () => Error): Promise<'ok' | 'timed-out'> {
    checkTimeout(opts.timeoutMs);
    const { signal } = opts;
    if (signal?.aborted) return Promise.reject(abortError(signal));
    this.#agent.condWait(buffer, offset, opts.timeoutMs ?? -1);
    return new Promise((resolve, reject) => {
      const onAbort = () => this.#agent.cancel();
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#events.next = (err, event) => {
        this.#events.next = null;
        signal?.removeEventListener('abort', onAbort);
        if (event === 'owner-dead') return reject(onOwnerDead());
        if (err) return reject(err);
        if (signal?.aborted) return reject(abortError(signal));
        resolve(event === 'timed-out' ? 'timed-out' : 'ok');
      };
    });
  }
}

/** A pending acquisition, cancellable by the handle's close() with the error its promise rejects with. */
export interface PendingAcquisition {
  cancel(reason: Error): void;
}

/**
 * Starts an agent that takes the lock. Resolves once it holds it (`ownerDead`: a robust mutex whose
 * holder died; the lock is held and the data needs repair); rejects with ETIMEDOUT after
 * `timeoutMs`, with AbortError (the lock is then not held: an acquisition that won the race with the
 * abort is released at once), or with the lock's error. `pending` holds the acquisition meanwhile.
 */
export function acquire(kind: 'mutex' | 'read' | 'write', buffer: SharedArrayBuffer, offset: number, opts: WaitOptions, syscall: string, pending: Set<PendingAcquisition>): Promise<{ hold: AgentHold; ownerDead: boolean }> {
  checkTimeout(opts.timeoutMs);
  const { signal } = opts;
  if (signal?.aborted) return Promise.reject(abortError(signal));
  return new Promise((resolve, reject) => {
    let reason: Error | null = null;
    const events: { next: Listener | null } = { next: null };
    const entry: PendingAcquisition = {
      cancel(why) {
        reason ??= why;
        agent.cancel();
      },
    };
    const onAbort = () => entry.cancel(abortError(signal!));
    const first: Listener = (err, event) => {
      pending.delete(entry);
      signal?.removeEventListener('abort', onAbort);
      const hold = new AgentHold(agent, events);
      if (event === 'owner-dead') return resolve({ hold, ownerDead: true }); // held: the caller must repair
      if (event === 'locked') {
        if (reason) {
          hold.release();
          return reject(reason);
        }
        return resolve({ hold, ownerDead: false });
      }
      if (event === 'cancelled') return reject(reason ?? abortError(signal!));
      if (event === 'timed-out') return reject(timedOut(syscall, opts.timeoutMs));
      reject(err);
    };
    events.next = first;
    // The callback closes over `agent`, so the native object lives as long as its thread reports.
    const agent: LockAgent = new LockAgent(kind, buffer, offset, opts.timeoutMs ?? -1, (err, event) => events.next?.(err, event));
    pending.add(entry);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
