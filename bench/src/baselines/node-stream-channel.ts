// A Channel over Node's own streams (net.Socket and friends): how the built-in baselines run (node:net
// on a pipe, a UNIX socket path, TCP) beside this project's engine on the same kernel objects.
import type { Readable, Writable } from 'node:stream';
import { AbortGroups, abortError, ipcError, validateBytes as assertBytes, type Channel, type RecvOptions, type SendOptions } from '@ipc-compare/core';
import { RecvWaiters } from './recv-waiters.js';

interface PendingSend {
  chunks: Uint8Array[];
  left: number;
  resolve(): void;
  reject(err: Error): void;
  signal: AbortSignal | undefined;
}

export interface NodeStreamChannelOptions {
  transport: string;
  readable: Readable | null;
  /** May be the same object as `readable` (a net.Socket). */
  writable: Writable | null;
  /** Pause the stream when this many bytes wait for recv(). Default 1 MiB. */
  highWaterMark?: number;
  onClose?: () => void;
}

export class NodeStreamChannel implements Channel {
  readonly transport: string;
  readonly #readable: Readable | null;
  readonly #writable: Writable | null;
  readonly #highWater: number;
  readonly #onClose: (() => void) | undefined;
  readonly #chunks: Uint8Array[] = [];
  #queued = 0;
  readonly #waiters = new RecvWaiters();
  #eof = false;
  #error: Error | null = null;
  #closed = false;

  constructor(o: NodeStreamChannelOptions) {
    this.transport = o.transport;
    this.#readable = o.readable;
    this.#writable = o.writable;
    this.#highWater = o.highWaterMark ?? 1024 * 1024;
    this.#onClose = o.onClose;
    const fail = (err: Error) => this.#fail(err);
    if (this.#readable) {
      this.#readable.on('data', (chunk: Buffer) => this.#deliver(chunk));
      this.#readable.on('end', () => {
        this.#eof = true;
        this.#waiters.endAll();
      });
      this.#readable.on('error', fail);
      this.#readable.pause(); // flowing starts with the first recv()
    }
    if (this.#writable && (this.#writable as unknown) !== this.#readable) this.#writable.on('error', fail);
    // The 'close' event (not the `closed` flag, which is set a tick earlier) is when the handle and its
    // fd are gone and the listeners of whoever lent the fd have run.
    const streams = new Set([this.#readable, this.#writable].filter((x): x is Readable | Writable => x !== null));
    this.#streamsClosed = Promise.all([...streams].map((x) => new Promise<void>((resolve) => x.once('close', () => resolve()))));
  }

  readonly #streamsClosed: Promise<unknown>;

  get closed(): boolean {
    return this.#closed;
  }

  send(data: Uint8Array, opts?: SendOptions): Promise<void> {
    return this.sendv([data], opts);
  }

  /**
   * Gather send: the chunks are corked together, so node:net hands them to the kernel in one writev.
   * Sends go to the socket only while node:net holds nothing unwritten, and wait here otherwise (then
   * all that waited goes at once, corked: one writev), so that an AbortSignal can still withdraw them
   * and close() can settle them — node:net can do neither once a write is in its buffer.
   */
  sendv(chunks: readonly Uint8Array[], opts?: SendOptions): Promise<void> {
    try {
      for (const c of chunks) assertBytes(c, 'chunk');
      if (this.#closed) throw ipcError('ERR_CHANNEL_CLOSED', `${this.transport} channel is closed`);
      if (this.#error) throw this.#error;
      if (!this.#writable) throw ipcError('ERR_INVALID_ARG_VALUE', `${this.transport}: this end cannot write`);
      if (this.#writable.writableEnded) throw ipcError('ERR_CHANNEL_CLOSED', `${this.transport}: write side already ended`);
      if (opts?.signal?.aborted) throw abortError(opts.signal);
    } catch (err) {
      return Promise.reject(err);
    }
    if (chunks.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const op: PendingSend = { chunks: [...chunks], left: chunks.length, resolve, reject, signal: opts?.signal };
      if (op.signal) this.#aborts.add(op.signal, op);
      this.#held.push(op);
      if (this.#writable!.writableLength === 0) this.#handHeld();
    });
  }

  readonly #held: PendingSend[] = [];
  /** An abort withdraws the sends of its signal still held here; those with node:net are too late. */
  readonly #aborts = new AbortGroups<PendingSend>((signal, ops) => {
    for (const op of ops) {
      const i = this.#held.indexOf(op);
      if (i < 0) continue;
      this.#held.splice(i, 1);
      this.#settle(op, abortError(signal));
    }
  });
  #ending: { resolve(): void; reject(err: Error): void } | null = null;
  readonly #handed = new Set<PendingSend>();

  /** Hands everything waiting to node:net in one corked batch. */
  #handHeld(): void {
    const w = this.#writable!;
    const ops = this.#held.splice(0);
    if (ops.length === 0) return;
    w.cork();
    for (const op of ops) {
      this.#handed.add(op);
      // The write callback runs once libuv has handed the bytes to the kernel (or failed to).
      for (const c of op.chunks) {
        w.write(c, (err) => {
          if (err) this.#settle(op, err);
          else if (--op.left === 0) this.#settle(op, null);
          if (!this.#closed && w.writableLength === 0) this.#handHeld();
        });
      }
    }
    process.nextTick(() => w.uncork());
  }

  #settle(op: PendingSend, err: Error | null): void {
    if (!this.#handed.delete(op) && err === null) return;
    if (op.signal) this.#aborts.delete(op.signal, op);
    if (err) op.reject(err);
    else op.resolve();
  }

  recv(opts?: RecvOptions): Promise<Uint8Array | null> {
    const chunk = this.#chunks.shift();
    if (chunk) {
      this.#queued -= chunk.byteLength;
      if (this.#queued < this.#highWater) this.#readable?.resume();
      return Promise.resolve(chunk);
    }
    if (this.#closed) return Promise.reject(ipcError('ERR_CHANNEL_CLOSED', `${this.transport} channel is closed`));
    if (this.#error) return Promise.reject(this.#error);
    if (this.#eof) return Promise.resolve(null);
    if (!this.#readable) return Promise.reject(ipcError('ERR_INVALID_ARG_VALUE', `${this.transport}: this end cannot read`));
    if (opts?.signal?.aborted) return Promise.reject(abortError(opts.signal));
    this.#readable.resume();
    return this.#waiters.wait(opts?.signal);
  }

  /** Half-close: flushes and ends the write side (FIN on a socket, close on a pipe). */
  end(): Promise<void> {
    const w = this.#writable;
    if (this.#closed) return Promise.reject(ipcError('ERR_CHANNEL_CLOSED', `${this.transport} channel is closed`));
    if (!w || w.writableEnded) return Promise.resolve();
    this.#handHeld(); // what waits here goes before the end
    // The callback gets an error if the stream fails first: reject with it, never resolve with it;
    // close() settles it first (ERR_CHANNEL_CLOSED), as it does every pending send.
    return new Promise((resolve, reject) => {
      this.#ending = { resolve, reject };
      w.end((err?: Error | null) => {
        const e = this.#ending;
        this.#ending = null;
        if (err) e?.reject(err);
        else e?.resolve();
      });
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const closedErr = () => ipcError('ERR_CHANNEL_CLOSED', `${this.transport} channel closed`);
    this.#waiters.rejectAll(closedErr());
    for (const op of [...this.#held.splice(0), ...this.#handed]) {
      this.#handed.add(op);
      this.#settle(op, closedErr());
    }
    this.#ending?.reject(closedErr());
    this.#ending = null;
    this.#chunks.length = 0;
    this.#readable?.destroy();
    this.#writable?.destroy();
    await this.#streamsClosed;
    this.#onClose?.();
  }

  fds(): number[] {
    // libuv's handle knows the fd (net.Socket keeps it in _handle.fd); there is no public accessor.
    const fdOf = (s: unknown) => (s as { _handle?: { fd?: number } } | null)?._handle?.fd;
    return [...new Set([fdOf(this.#readable), fdOf(this.#writable)])].filter((fd): fd is number => typeof fd === 'number' && fd >= 0);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #deliver(chunk: Buffer): void {
    if (this.#waiters.deliver(chunk)) return;
    this.#chunks.push(chunk);
    this.#queued += chunk.byteLength;
    if (this.#queued >= this.#highWater) this.#readable?.pause();
  }

  #fail(err: Error): void {
    if (this.#error) return;
    this.#error = err;
    this.#waiters.rejectAll(err);
    for (const op of [...this.#held.splice(0), ...this.#handed]) {
      this.#handed.add(op);
      this.#settle(op, err);
    }
  }

}
