// eventfd(2) (Linux): a 64-bit counter in the kernel behind an fd. post(n) adds n; a wait takes the
// whole counter (resetting it to 0) — or, in semaphore mode, one unit (returning 1). The fd is
// readable while the counter is > 0, so the async wait is plain event-loop polling (no thread, no
// threadpool) and a child that inherits the fd (as a stdio fd) posts to the same counter. The fd is
// close-on-exec and non-blocking; waitSync reads it, polling while it is empty (one addon call).
import { OwnedFd, abortError, ipcError, validateBoolean, validateInteger, waitFd } from '@ipc-compare/core';
import { constants, errnoError, eventfdCreate, eventfdRead, eventfdWait, eventfdWrite, fcntl, setNonBlocking } from '@ipc-compare/native';
import { readlinkSync } from 'node:fs';
import { constants as os } from 'node:os';
import { closedPrimitive, timedOut } from './errors.js';
import { checkTimeout, type WaitOptions } from './wait.js';

export interface EventFdOptions {
  /** The counter's first value (0 … 2^31 − 1). */
  initial?: number;
  /** Each wait takes one unit and returns 1 (EFD_SEMAPHORE), instead of taking the whole counter. */
  semaphore?: boolean;
}

interface SharedPoll {
  promise: Promise<void>;
  stop: AbortController;
  users: number;
  failure: Error | null;
}

export class EventFd {
  readonly #fd: OwnedFd;
  #poll: SharedPoll | null = null;

  private constructor(fd: OwnedFd) {
    this.#fd = fd;
  }

  static create(opts: EventFdOptions = {}): EventFd {
    const initial = opts.initial ?? 0;
    validateInteger(initial, 'initial', 0, 2 ** 31 - 1);
    if (opts.semaphore !== undefined) validateBoolean(opts.semaphore, 'semaphore');
    return new EventFd(OwnedFd.own(eventfdCreate(initial, opts.semaphore ?? false), 'eventfd'));
  }

  /** Takes over an eventfd this process inherited (e.g. fd 3 of a child); ERR_INVALID_ARG_VALUE if it is not one. */
  static inherit(fd: number): EventFd {
    validateInteger(fd, 'fd', 0, 2 ** 31 - 1);
    const owned = OwnedFd.adopt(fd, 'eventfd');
    let what = '';
    try {
      what = readlinkSync(`/proc/self/fd/${fd}`);
    } catch {}
    if (what !== 'anon_inode:[eventfd]') {
      owned.transfer(); // not ours to close
      throw ipcError('ERR_INVALID_ARG_VALUE', `fd ${fd} is not an eventfd (${what || 'unknown'})`);
    }
    // An inherited stdio fd is no longer close-on-exec: make it so again, so it goes no further.
    fcntl(fd, constants.F_SETFD, fcntl(fd, constants.F_GETFD) | constants.FD_CLOEXEC);
    setNonBlocking(fd, true);
    return new EventFd(owned);
  }

  /** The fd, to pass to a child (in spawn's stdio array). Throws once closed. */
  get fd(): number {
    if (this.#fd.closed) throw closedPrimitive('the eventfd');
    return this.#fd.fd;
  }

  /** Adds `n` (1 … 2^53 − 1) to the counter, waking waiters. EAGAIN if it would pass 2^64 − 2. */
  post(n = 1): void {
    validateInteger(n, 'n', 1, Number.MAX_SAFE_INTEGER);
    if (!eventfdWrite(this.fd, n)) {
      const err = errnoError(os.errno.EAGAIN, 'write');
      err.message += ' (the eventfd counter would pass its maximum, 2^64 - 2)';
      throw err;
    }
  }

  /** The counter (reset to 0), 1 in semaphore mode, or 0 if it is 0. Never blocks. */
  tryWait(): number {
    const v = eventfdRead(this.fd);
    return v < 0 ? 0 : v;
  }

  /** Blocks the calling thread (read; poll(2) while empty) until the counter is > 0; ETIMEDOUT after `timeoutMs`. */
  waitSync(timeoutMs?: number): number {
    checkTimeout(timeoutMs);
    const v = eventfdWait(this.fd, timeoutMs);
    if (v < 0) throw timedOut('poll', timeoutMs);
    return v;
  }

  /** Resolves with what waitSync returns, waiting on the event loop; ETIMEDOUT, AbortError. */
  async wait(opts: WaitOptions = {}): Promise<number> {
    checkTimeout(opts.timeoutMs);
    const deadline = opts.timeoutMs === undefined ? Infinity : performance.now() + opts.timeoutMs;
    for (;;) {
      const v = eventfdRead(this.fd);
      if (v >= 0) return v;
      const left = deadline === Infinity ? undefined : Math.max(0, Math.ceil(deadline - performance.now()));
      await this.#readable(opts.signal, left, opts.timeoutMs);
    }
  }

  // libuv allows one poll handle per fd (a second uv_poll_init is EEXIST), so concurrent waits share
  // one readiness wait; each has its own abort and timeout, and the last one to leave stops it.
  #readable(signal: AbortSignal | undefined, left: number | undefined, timeoutMs: number | undefined): Promise<void> {
    if (signal?.aborted) return Promise.reject(abortError(signal));
    let poll = this.#poll;
    if (!poll) {
      const stop = new AbortController();
      const entry: SharedPoll = { promise: waitFd(this.fd, 'read', { signal: stop.signal }), stop, users: 0, failure: null };
      void entry.promise.then(
        () => this.#poll === entry && (this.#poll = null),
        () => this.#poll === entry && (this.#poll = null),
      );
      poll = this.#poll = entry;
    }
    const shared = poll;
    shared.users++;
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      let timer: NodeJS.Timeout | undefined;
      const done = (err: Error | null) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (--shared.users === 0 && this.#poll === shared && err) {
          this.#poll = null;
          shared.stop.abort(); // nobody waits for it any more
        }
        if (err) reject(err);
        else resolve();
      };
      const onAbort = () => done(abortError(signal!));
      shared.promise.then(
        () => done(null),
        (err: Error) => done(shared.failure ?? err),
      );
      signal?.addEventListener('abort', onAbort, { once: true });
      if (left !== undefined) timer = setTimeout(() => done(timedOut('poll', timeoutMs)), left);
    });
  }

  /** Closes the fd (a child's inherited copy stays open); pending waits reject with ERR_INVALID_STATE. Idempotent. */
  close(): void {
    const poll = this.#poll;
    if (poll) {
      // Stop libuv's poll handle before the fd goes (a poll on a closed fd number is libuv's undoing).
      this.#poll = null;
      poll.failure = closedPrimitive('the eventfd');
      poll.stop.abort();
    }
    this.#fd.close();
  }
}
