// The creating side's half of a rendezvous (types.ts `Opened`): it owns what open() made until the
// peer is there and connect() hands the channel over — there is no stand-in channel to forward calls
// through while waiting, so nothing can reorder or lose them.
import { abortError, closedError, ipcError } from './errors.js';
import type { Channel, ConnectOptions, Opened, PeerSpec, Transport } from './types.js';

export interface OpenedParts {
  transport: Transport;
  peer: PeerSpec;
  /** The channel once the peer is there (a channel already: inherited fds). */
  connected: Promise<Channel> | Channel;
  /**
   * Stops waiting for the peer and removes what the rendezvous made (listener, names); called only
   * before the peer is there. It must make `connected` settle soon, or throw (close() then rejects
   * with that error instead of waiting).
   */
  cancel?: () => void;
  /** Closes this process's copies of the fds the peer inherits. Idempotent. */
  handOff?: () => void;
}

class OpenedRendezvous implements Opened {
  readonly transport: Transport;
  readonly peer: PeerSpec;
  readonly #ready: Promise<Channel>;
  readonly #cancel: () => void;
  readonly handOff: () => void;
  #connecting: Promise<Channel> | null = null;
  #channel: Channel | null = null;
  #closed = false;

  constructor(p: OpenedParts) {
    this.transport = p.transport;
    this.peer = p.peer;
    this.#cancel = p.cancel ?? (() => {});
    this.handOff = p.handOff ?? (() => {});
    this.#ready = Promise.resolve(p.connected).then(
      async (ch) => {
        if (this.#closed) {
          await ch.close(); // came in after close(): nobody will ever take it
          throw closedError(this.transport.id, 'rendezvous closed before the peer came');
        }
        this.#channel = ch;
        return ch;
      },
      (err: unknown) => {
        throw this.#closed ? closedError(this.transport.id, 'rendezvous closed before the peer came') : err;
      },
    );
    this.#ready.catch(() => {}); // reported through connect()
  }

  connect(opts: ConnectOptions = {}): Promise<Channel> {
    if (this.#connecting) return Promise.reject(ipcError('ERR_INVALID_STATE', `${this.transport.id}: connect() was already called`));
    if (this.#closed) return Promise.reject(closedError(this.transport.id, 'rendezvous is closed'));
    const signal = opts.signal;
    if (signal?.aborted) {
      void this.close();
      return Promise.reject(abortError(signal));
    }
    this.#connecting = new Promise<Channel>((resolve, reject) => {
      const onAbort = () => {
        reject(abortError(signal!));
        void this.close();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#ready.then(
        (ch) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(ch);
        },
        (err: unknown) => {
          signal?.removeEventListener('abort', onAbort);
          reject(err as Error);
        },
      );
    });
    return this.#connecting;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      if (!this.#channel) this.#cancel(); // once connected, what the rendezvous made belongs to the channel
    } finally {
      this.handOff();
    }
    // A channel that connect() has not handed over belongs to this rendezvous still.
    if (this.#channel && !this.#connecting) await this.#channel.close();
    await this.#ready.catch(() => {});
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

export function makeOpened(parts: OpenedParts): Opened {
  return new OpenedRendezvous(parts);
}
