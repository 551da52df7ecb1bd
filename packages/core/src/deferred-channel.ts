// A Channel whose kernel object is still being connected (a FIFO waiting for its partner, a socket
// still connecting). Calls made before it is ready wait for it: async ones on the promise, blocking
// ones by blocking (`waitSync`), as the underlying syscalls would.
import { assertBytes, ipcError } from './errors.js';
import type { Channel, RecvOptions, SendOptions } from './types.js';

export interface DeferredChannelOptions {
  transport: string;
  ready: Promise<Channel>;
  /** Blocks until the channel exists and returns it (the blocking path cannot await). */
  waitSync: () => Channel;
  /** Abandons a connection still in progress (close() before ready). */
  cancel: () => void;
  /** Datagram kinds: larger sends fail at once (ERR_MESSAGE_TOO_LARGE), not once a peer turns up. */
  maxMessage?: number;
}

export class DeferredChannel implements Channel {
  readonly transport: string;
  readonly #ready: Promise<Channel>;
  readonly #waitSync: () => Channel;
  readonly #cancel: () => void;
  readonly #maxMessage: number;
  #channel: Channel | null = null;
  #closed = false;

  constructor(o: DeferredChannelOptions) {
    this.transport = o.transport;
    this.#waitSync = o.waitSync;
    this.#cancel = o.cancel;
    this.#maxMessage = o.maxMessage ?? Infinity;
    this.#ready = o.ready.then(
      async (ch) => {
        if (this.#closed) {
          await ch.close();
          throw ipcError('ERR_CHANNEL_CLOSED', `${this.transport} channel closed before it was connected`);
        }
        this.#channel = ch;
        return ch;
      },
      (err: unknown) => {
        throw this.#closed ? ipcError('ERR_CHANNEL_CLOSED', `${this.transport} channel is closed`) : err;
      },
    );
    this.#ready.catch(() => {}); // reported through the calls that wait on it
  }

  /** Resolves once connected; rejects if connecting failed or was cancelled. */
  get ready(): Promise<void> {
    return this.#ready.then(() => undefined);
  }

  get closed(): boolean {
    return this.#closed;
  }

  send(data: Uint8Array, opts?: SendOptions): Promise<void> {
    if (this.#channel) return this.#channel.send(data, opts);
    try {
      assertBytes(data); // bad arguments fail now, not once a peer turns up
      this.#checkSize(data);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.#whenReady().then((ch) => ch.send(data, opts));
  }

  sendv(chunks: readonly Uint8Array[], opts?: SendOptions): Promise<void> {
    try {
      for (const c of chunks) {
        assertBytes(c, 'chunk');
        this.#checkSize(c);
      }
    } catch (err) {
      return Promise.reject(err);
    }
    const go = (ch: Channel) => (ch.sendv ? ch.sendv(chunks, opts) : ch.send(Buffer.concat(chunks), opts));
    if (this.#channel) return go(this.#channel);
    return this.#whenReady().then(go);
  }

  recv(opts?: RecvOptions): Promise<Uint8Array | null> {
    if (this.#channel) return this.#channel.recv(opts);
    return this.#whenReady().then((ch) => ch.recv(opts));
  }

  sendFds(data: Uint8Array, fds: readonly number[], opts?: SendOptions): Promise<void> {
    return this.#whenReady().then((ch) => {
      if (!ch.sendFds) throw ipcError('ERR_INVALID_ARG_VALUE', `${this.transport} cannot pass fds`);
      return ch.sendFds(data, fds, opts);
    });
  }

  recvFds(opts?: RecvOptions): ReturnType<NonNullable<Channel['recvFds']>> {
    return this.#whenReady().then((ch) => {
      if (!ch.recvFds) throw ipcError('ERR_INVALID_ARG_VALUE', `${this.transport} cannot pass fds`);
      return ch.recvFds(opts);
    });
  }

  end(): Promise<void> {
    return this.#whenReady().then((ch) => ch.end?.());
  }

  sendSync(data: Uint8Array): void {
    assertBytes(data);
    this.#sync().sendSync!(data);
  }

  sendvSync(chunks: readonly Uint8Array[]): void {
    const ch = this.#sync();
    if (ch.sendvSync) ch.sendvSync(chunks);
    else ch.sendSync!(Buffer.concat(chunks));
  }

  recvSync(into: Uint8Array): number | null {
    return this.#sync().recvSync!(into);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#channel) return this.#channel.close();
    this.#cancel();
    await this.#ready.catch(() => {});
  }

  fds(): number[] {
    return this.#channel?.fds?.() ?? [];
  }

  get syscalls(): { reads: number; writes: number; wouldBlock: number } | undefined {
    return this.#channel?.syscalls;
  }

  get lastTruncation(): { length: number; received: number } | null {
    return this.#channel?.lastTruncation ?? null;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #checkSize(data: Uint8Array): void {
    if (data.byteLength > this.#maxMessage) {
      throw ipcError('ERR_MESSAGE_TOO_LARGE', `${this.transport}: a message of ${data.byteLength} bytes exceeds the ${this.#maxMessage}-byte maximum`, {
        size: data.byteLength,
        maxSize: this.#maxMessage,
      });
    }
  }

  #whenReady(): Promise<Channel> {
    if (this.#closed) return Promise.reject(ipcError('ERR_CHANNEL_CLOSED', `${this.transport} channel is closed`));
    return this.#ready;
  }

  #sync(): Channel {
    if (this.#closed) throw ipcError('ERR_CHANNEL_CLOSED', `${this.transport} channel is closed`);
    this.#channel ??= this.#waitSync();
    return this.#channel;
  }
}

/** Something that waits for the peer (ListenerAcceptor, DatagramGreeter): async, blocking, or given up. */
export interface PeerWaiter<T> {
  readonly ready: Promise<T>;
  waitSync(): T;
  cancel(): void;
}

/**
 * The creating side's channel for a rendezvous by address: a DeferredChannel that becomes `make(x)`
 * once `waiter` has the peer — built once, whichever path (async or blocking) gets there first.
 */
export function channelOnceConnected<T>(o: {
  transport: string;
  waiter: PeerWaiter<T>;
  make: (connected: T) => Channel;
  /** Extra cleanup when closed before a peer came. */
  cancel?: () => void;
  maxMessage?: number;
}): DeferredChannel {
  let channel: Channel | null = null;
  const made = (connected: T) => (channel ??= o.make(connected));
  return new DeferredChannel({
    transport: o.transport,
    ...(o.maxMessage === undefined ? {} : { maxMessage: o.maxMessage }),
    ready: o.waiter.ready.then(made),
    waitSync: () => made(o.waiter.waitSync()),
    cancel: () => {
      o.waiter.cancel();
      o.cancel?.();
    },
  });
}
