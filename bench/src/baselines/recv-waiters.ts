// The recv() calls waiting for data, oldest first: every channel engine keeps one such queue, with the
// same rules — a waiter withdrawn by its AbortSignal leaves the queue, settling one drops its listener.
import { abortError } from '@ipc-compare/core';

interface Waiter {
  resolve(chunk: Uint8Array | null): void;
  reject(err: Error): void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

export class RecvWaiters {
  readonly #list: Waiter[] = [];

  get length(): number {
    return this.#list.length;
  }

  /** A promise for the next chunk (null: end of stream). `onAbort` runs after an abort removed it. */
  wait(signal: AbortSignal | undefined, onAbort?: () => void): Promise<Uint8Array | null> {
    return new Promise((resolve, reject) => {
      const w: Waiter = { resolve, reject, signal, onAbort: undefined };
      if (signal) {
        w.onAbort = () => {
          const i = this.#list.indexOf(w);
          if (i >= 0) this.#list.splice(i, 1);
          reject(abortError(signal));
          onAbort?.();
        };
        signal.addEventListener('abort', w.onAbort, { once: true });
      }
      this.#list.push(w);
    });
  }

  /** Gives `chunk` to the oldest waiter; false if nobody waits. */
  deliver(chunk: Uint8Array | null): boolean {
    const w = this.#list.shift();
    if (!w) return false;
    this.#detach(w);
    w.resolve(chunk);
    return true;
  }

  /** The oldest waiter gets `err` (a per-message failure, e.g. a truncated datagram); false if nobody waits. */
  rejectOne(err: Error): boolean {
    const w = this.#list.shift();
    if (!w) return false;
    this.#detach(w);
    w.reject(err);
    return true;
  }

  /** Every waiter gets end of stream. */
  endAll(): void {
    for (const w of this.#list.splice(0)) {
      this.#detach(w);
      w.resolve(null);
    }
  }

  rejectAll(err: Error): void {
    for (const w of this.#list.splice(0)) {
      this.#detach(w);
      w.reject(err);
    }
  }

  #detach(w: Waiter): void {
    if (w.onAbort) w.signal!.removeEventListener('abort', w.onAbort);
  }
}
