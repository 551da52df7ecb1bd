// A named POSIX semaphore (sem_open): processes that share no memory find it by name. It lives in
// /dev/shm/sem.NAME until unlinked — past the creator's exit — so the creator owns the name: its
// close() unlinks it. New names are the project's prefix and a random part, O_CREAT|O_EXCL, 0600.
import { randomBytes } from 'node:crypto';
import { abortError, ipcError, validateInteger, validateString } from '@ipc-compare/core';
import { NamedSemaphore as Native, constants, type NamedSemaphoreHandle } from '@ipc-compare/native';
import { timedOut } from './errors.js';
import { checkTimeout, waitAsync, type WaitOptions } from './wait.js';

export const NAME_PREFIX = '/ipc-compare-';

export class NamedSemaphore {
  readonly name: string;
  readonly #sem: NamedSemaphoreHandle;
  readonly #owner: boolean;
  #closed = false;

  private constructor(name: string, sem: NamedSemaphoreHandle, owner: boolean) {
    this.name = name;
    this.#sem = sem;
    this.#owner = owner;
  }

  /** A new semaphore (EEXIST if `name` is taken); without a name, one nobody can guess. */
  static create(opts: { value?: number; name?: string } = {}): NamedSemaphore {
    const value = opts.value ?? 0;
    validateInteger(value, 'value', 0, 2 ** 31 - 1);
    const name = opts.name ?? `${NAME_PREFIX}${randomBytes(8).toString('hex')}`;
    checkName(name);
    return new NamedSemaphore(name, new Native(name, constants.O_CREAT | constants.O_EXCL, 0o600, value), true);
  }

  /** An existing semaphore by name (ENOENT if there is none). Closing it does not unlink it. */
  static open(name: string): NamedSemaphore {
    checkName(name);
    return new NamedSemaphore(name, new Native(name, 0), false);
  }

  /** sem_unlink: removes the name (ENOENT if it is not there). */
  static unlink(name: string): void {
    checkName(name);
    Native.unlink(name);
  }

  post(): void {
    this.#sem.post();
  }

  tryWait(): boolean {
    return this.#sem.tryWait();
  }

  /** Blocks the calling thread until it takes a unit (ETIMEDOUT after `timeoutMs`). */
  waitSync(timeoutMs?: number): void {
    checkTimeout(timeoutMs);
    if (!this.#sem.wait(timeoutMs)) throw timedOut('sem_clockwait', timeoutMs);
  }

  /** Resolves once a unit is taken; waits off the JS thread and off the threadpool. */
  async wait(opts: WaitOptions = {}): Promise<void> {
    checkTimeout(opts.timeoutMs);
    if (opts.signal?.aborted) throw abortError(opts.signal); // an aborted wait takes nothing, even when a unit is there
    if (this.#sem.tryWait()) return;
    const r = await waitAsync({ kind: 'named-sem', sem: this.#sem }, opts, () => this.#sem.post());
    if (r === 'timed-out') throw timedOut('sem_clockwait', opts.timeoutMs);
  }

  get value(): number {
    return this.#sem.value();
  }

  /** sem_close; the creator also unlinks the name (already gone: fine). Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#sem.close();
    if (this.#owner) {
      try {
        Native.unlink(this.name);
      } catch (err) {
        if ((err as { code?: string }).code !== 'ENOENT') throw err;
      }
    }
  }
}

function checkName(name: string): void {
  validateString(name, 'name');
  if (!/^\/[^/]{1,250}$/.test(name)) throw ipcError('ERR_INVALID_ARG_VALUE', `A semaphore name is "/" and 1…250 characters without "/": ${JSON.stringify(name)}`);
}
