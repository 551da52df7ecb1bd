// A socket channel with two engines: the native fd engine for the blocking path, and Node's own API
// (node:net, node:dgram) for the async path — the way TCP and UDP are used from Node. Node reads ahead
// and owns the socket once it has it, so the first async call hands the fd over for good: blocking
// calls after that fail with ERR_CHANNEL_MODE (blocking first, async later is fine).
import { ipcError } from './errors.js';
import { FdStreamChannel, type FdStreamChannelOptions, type Truncation } from './fd-stream-channel.js';
import type { OwnedFd } from './owned-fd.js';
import type { Channel, RecvOptions, SendOptions } from './types.js';

export interface HandOverChannelOptions {
  transport: string;
  fd: OwnedFd;
  kind?: FdStreamChannelOptions['kind'];
  maxMessage?: number;
  shutdownWrite?: (fd: number) => void;
  /** Builds the Node-API channel on the fd; must call `released()` once Node has closed the fd. */
  makeAsync: (fd: number, released: () => void) => Channel;
}

export class HandOverChannel implements Channel {
  readonly transport: string;
  readonly #blocking: FdStreamChannel;
  readonly #makeAsync: HandOverChannelOptions['makeAsync'];
  #async: Channel | null = null;
  #closed = false;

  constructor(o: HandOverChannelOptions) {
    this.transport = o.transport;
    this.#makeAsync = o.makeAsync;
    this.#blocking = new FdStreamChannel({
      transport: o.transport,
      readFd: o.fd,
      writeFd: o.fd,
      ...(o.kind === undefined ? {} : { kind: o.kind }),
      ...(o.maxMessage === undefined ? {} : { maxMessage: o.maxMessage }),
      ...(o.shutdownWrite === undefined ? {} : { shutdownWrite: o.shutdownWrite }),
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Datagram kinds: what the last recvSync() could not fit into its buffer (null if it all fit). */
  get lastTruncation(): Truncation | null {
    return this.#blocking.lastTruncation;
  }

  send(data: Uint8Array, opts?: SendOptions): Promise<void> {
    return this.#call((ch) => ch.send(data, opts));
  }

  sendv(chunks: readonly Uint8Array[], opts?: SendOptions): Promise<void> {
    return this.#call((ch) => (ch.sendv ? ch.sendv(chunks, opts) : Promise.all(chunks.map((c) => ch.send(c, opts))).then(() => {})));
  }

  recv(opts?: RecvOptions): Promise<Uint8Array | null> {
    return this.#call((ch) => ch.recv(opts));
  }

  end(): Promise<void> {
    if (this.#async) return this.#async.end?.() ?? Promise.resolve();
    return this.#blocking.end();
  }

  sendSync(data: Uint8Array): void {
    this.#sync().sendSync(data);
  }

  sendvSync(chunks: readonly Uint8Array[]): void {
    this.#sync().sendvSync(chunks);
  }

  recvSync(into: Uint8Array): number | null {
    return this.#sync().recvSync(into);
  }

  fds(): number[] {
    return (this.#async ?? this.#blocking).fds?.() ?? [];
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await (this.#async ?? this.#blocking).close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #call<T>(fn: (ch: Channel) => Promise<T>): Promise<T> {
    try {
      return fn(this.#asyncChannel());
    } catch (err) {
      return Promise.reject(err);
    }
  }

  #asyncChannel(): Channel {
    if (this.#async) return this.#async;
    if (this.#closed) throw ipcError('ERR_CHANNEL_CLOSED', `${this.transport} channel is closed`);
    const [own] = this.#blocking.surrender();
    this.#async = this.#makeAsync(own!.handOver(), () => own!.released());
    return this.#async;
  }

  #sync(): FdStreamChannel {
    if (this.#closed) throw ipcError('ERR_CHANNEL_CLOSED', `${this.transport} channel is closed`);
    if (this.#async) {
      throw ipcError('ERR_CHANNEL_MODE', `${this.transport}: Node's own API owns this socket since the first async call; the blocking path is no longer available`);
    }
    return this.#blocking;
  }
}
