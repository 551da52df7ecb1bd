// What has been read ahead and not yet asked for, and the recv() calls waiting for more (oldest first).
// An item is a chunk (or message), or an Error that belongs to one message (a datagram cut short): it
// fails the recv that reaches it, in order, and the channel goes on. Fds that arrived with a chunk stay
// beside it until recvFds() takes them; recv() or close() closes them, so none is ever leaked.
import { abortError } from '../errors.js';
import { OwnedFd } from '../owned-fd.js';

export interface ReceivedFds {
  fds: OwnedFd[];
  /** MSG_CTRUNC: more fds were sent than this channel accepts per read; the kernel closed the rest. */
  fdsTruncated: boolean;
}

/** A chunk together with the fds that came with it (recvFds). */
export interface WithFds extends ReceivedFds {
  data: Uint8Array;
}

type Item = Uint8Array | Error;

interface Waiter {
  withFds: boolean;
  resolve(v: Uint8Array | WithFds | null): void;
  reject(err: Error): void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

const NO_FDS: ReceivedFds = Object.freeze({ fds: [], fdsTruncated: false }) as ReceivedFds;

export class ReadQueue {
  readonly #items: Item[] = [];
  readonly #fds = new Map<Uint8Array, ReceivedFds>();
  readonly #waiters: Waiter[] = [];
  #bytes = 0;
  /** End of stream was read (sticky). */
  eof = false;
  /** The read side failed (sticky, after what was queued before it). */
  error: Error | null = null;

  /** Bytes read ahead and waiting. */
  get bytes(): number {
    return this.#bytes;
  }

  get length(): number {
    return this.#items.length;
  }

  get waiting(): number {
    return this.#waiters.length;
  }

  /** A chunk read from the kernel, with the fd numbers that came with it (owned from now on). */
  deliver(chunk: Uint8Array, passed?: { fds: number[]; fdsTruncated: boolean }, label = 'received fd'): void {
    const fds: ReceivedFds = passed ? { fds: passed.fds.map((n) => OwnedFd.own(n, label)), fdsTruncated: passed.fdsTruncated } : NO_FDS;
    const w = this.#take();
    if (w) return w.resolve(w.withFds ? { data: chunk, ...fds } : dropFds(chunk, fds));
    if (passed) this.#fds.set(chunk, fds);
    this.#items.push(chunk);
    this.#bytes += chunk.byteLength;
  }

  /** A failure of one message, delivered in its place. */
  deliverError(err: Error): void {
    const w = this.#take();
    if (w) w.reject(err);
    else this.#items.push(err);
  }

  end(): void {
    this.eof = true;
    for (const w of this.#takeAll()) w.resolve(null);
  }

  fail(err: Error): void {
    if (this.error) return;
    this.error = err;
    for (const w of this.#takeAll()) w.reject(err);
  }

  /** Waits for the next item. `onAbort` runs after an abort removed the waiter. */
  wait(signal: AbortSignal | undefined, withFds: false, onAbort: () => void): Promise<Uint8Array | null>;
  wait(signal: AbortSignal | undefined, withFds: true, onAbort: () => void): Promise<WithFds | null>;
  wait(signal: AbortSignal | undefined, withFds: boolean, onAbort: () => void): Promise<Uint8Array | WithFds | null> {
    return new Promise((resolve, reject) => {
      const w: Waiter = { withFds, resolve, reject, signal, onAbort: undefined };
      if (signal) {
        w.onAbort = () => {
          const i = this.#waiters.indexOf(w);
          if (i >= 0) this.#waiters.splice(i, 1);
          reject(abortError(signal));
          onAbort();
        };
        signal.addEventListener('abort', w.onAbort, { once: true });
      }
      this.#waiters.push(w);
    });
  }

  /** The next queued item (a chunk, its fds closed; or a per-message Error), or undefined. */
  shift(): Item | undefined {
    const item = this.#items.shift();
    if (item === undefined || item instanceof Error) return item;
    this.#bytes -= item.byteLength;
    return dropFds(item, this.#takeFds(item));
  }

  /** The next queued item with the fds that came with it, or undefined. */
  shiftWithFds(): WithFds | Error | undefined {
    const item = this.#items.shift();
    if (item === undefined || item instanceof Error) return item;
    this.#bytes -= item.byteLength;
    return { data: item, ...this.#takeFds(item) };
  }

  /** Copies queued stream data into `into` (across chunks, as one read(2) would). */
  copyStream(into: Uint8Array): number {
    let n = 0;
    while (n < into.byteLength && this.#items.length > 0) {
      const head = this.#items[0]!;
      if (head instanceof Error) {
        if (n > 0) break;
        this.#items.shift();
        throw head;
      }
      const take = Math.min(head.byteLength, into.byteLength - n);
      into.set(head.subarray(0, take), n);
      n += take;
      this.#bytes -= take;
      const fds = this.#takeFds(head);
      if (take === head.byteLength) {
        this.#items.shift();
        dropFds(head, fds); // a blocking read does not take fds
      } else {
        const rest = head.subarray(take);
        this.#items[0] = rest;
        if (fds !== NO_FDS) this.#fds.set(rest, fds); // they stay with what is left of the chunk
      }
    }
    return n;
  }

  /** Drops everything: waiters get `err`, queued chunks go, fds not taken are closed. */
  clear(err: Error): void {
    for (const w of this.#takeAll()) w.reject(err);
    this.#items.length = 0;
    this.#bytes = 0;
    for (const { fds } of this.#fds.values()) for (const f of fds) f.close();
    this.#fds.clear();
  }

  #takeFds(chunk: Uint8Array): ReceivedFds {
    const fds = this.#fds.get(chunk);
    if (!fds) return NO_FDS;
    this.#fds.delete(chunk);
    return fds;
  }

  #take(): Waiter | undefined {
    const w = this.#waiters.shift();
    if (w?.onAbort) w.signal!.removeEventListener('abort', w.onAbort);
    return w;
  }

  #takeAll(): Waiter[] {
    const all = this.#waiters.splice(0);
    for (const w of all) if (w.onAbort) w.signal!.removeEventListener('abort', w.onAbort);
    return all;
  }
}

function dropFds(chunk: Uint8Array, fds: ReceivedFds): Uint8Array {
  for (const f of fds.fds) f.close();
  return chunk;
}
