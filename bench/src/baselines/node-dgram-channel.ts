// A Channel over a connected node:dgram socket: the Node built-in way to do UDP, measured beside the
// UDP transport. UDP has no flow control, so neither does this: what the kernel drops is
// lost, and what Node reads beyond the high-water mark is dropped here and counted.
import type { Socket } from 'node:dgram';
import { abortError, ipcError, validateBytes as assertBytes, type Channel, type RecvOptions, type SendOptions } from '@ipc-compare/core';
import { RecvWaiters } from './recv-waiters.js';

export interface NodeDgramChannelOptions {
  transport: string;
  socket: Socket;
  maxMessage: number;
  /** Keep at most this many bytes of unread datagrams; drop (and count) the rest. Default 16 MiB. */
  highWaterMark?: number;
  /** Accept datagrams from this address only (others are dropped and counted as `strangers`). */
  expectFrom?: { address: string; port: number };
  /** Resolves when socket.connect() has completed (node:dgram sends to its peer only after that). */
  connected?: Promise<void>;
  onClose?: () => void;
}

export class NodeDgramChannel implements Channel {
  readonly transport: string;
  readonly #socket: Socket;
  readonly #maxMessage: number;
  readonly #highWater: number;
  readonly #onClose: (() => void) | undefined;
  readonly #queue: Uint8Array[] = [];
  #queued = 0;
  readonly #waiters = new RecvWaiters();
  #error: Error | null = null;
  #closed = false;
  readonly #socketClosed: Promise<void>;
  #connected: Promise<void> | null;
  /** Datagrams Node read that nobody took before the high-water mark: dropped, as UDP would. */
  dropped = 0;
  /** Datagrams from other addresses than `expectFrom`, dropped. */
  strangers = 0;

  constructor(o: NodeDgramChannelOptions) {
    this.transport = o.transport;
    this.#socket = o.socket;
    this.#maxMessage = o.maxMessage;
    this.#highWater = o.highWaterMark ?? 16 << 20;
    this.#onClose = o.onClose;
    const from = o.expectFrom;
    this.#socket.on('message', (msg: Buffer, rinfo: { address: string; port: number }) => {
      if (from && (rinfo.port !== from.port || rinfo.address !== from.address)) {
        this.strangers++;
        return;
      }
      if (this.#waiters.deliver(msg)) return;
      if (this.#queued + msg.byteLength > this.#highWater) {
        this.dropped++;
        return;
      }
      this.#queue.push(msg);
      this.#queued += msg.byteLength;
    });
    this.#socket.on('error', (err) => {
      this.#error = err;
      this.#waiters.rejectAll(err);
    });
    this.#socketClosed = new Promise((resolve) => this.#socket.once('close', () => resolve()));
    this.#connected = o.connected ?? null;
    this.#connected?.then(() => (this.#connected = null), () => {});
  }

  get closed(): boolean {
    return this.#closed;
  }

  send(data: Uint8Array, opts?: SendOptions): Promise<void> {
    try {
      assertBytes(data);
      if (this.#closed) throw ipcError('ERR_CHANNEL_CLOSED', `${this.transport} channel is closed`);
      if (this.#error) throw this.#error;
      if (opts?.signal?.aborted) throw abortError(opts.signal);
      if (data.byteLength > this.#maxMessage) {
        throw ipcError('ERR_MESSAGE_TOO_LARGE', `${this.transport}: a datagram of ${data.byteLength} bytes exceeds the ${this.#maxMessage}-byte maximum`, {
          size: data.byteLength,
          maxSize: this.#maxMessage,
        });
      }
    } catch (err) {
      return Promise.reject(err);
    }
    const go = () => new Promise<void>((resolve, reject) => this.#socket.send(data, (err) => (err ? reject(err) : resolve())));
    return this.#connected ? this.#connected.then(go) : go();
  }

  recv(opts?: RecvOptions): Promise<Uint8Array | null> {
    const m = this.#queue.shift();
    if (m) {
      this.#queued -= m.byteLength;
      return Promise.resolve(m);
    }
    if (this.#closed) return Promise.reject(ipcError('ERR_CHANNEL_CLOSED', `${this.transport} channel is closed`));
    if (this.#error) return Promise.reject(this.#error);
    if (opts?.signal?.aborted) return Promise.reject(abortError(opts.signal));
    return this.#waiters.wait(opts?.signal);
  }

  fds(): number[] {
    const fd = (this.#socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
    return typeof fd === 'number' && fd >= 0 ? [fd] : [];
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#waiters.rejectAll(ipcError('ERR_CHANNEL_CLOSED', `${this.transport} channel closed`));
    this.#queue.length = 0;
    this.#socket.close();
    await this.#socketClosed;
    this.#onClose?.();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

}
