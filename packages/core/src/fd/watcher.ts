// Readiness of a channel's fds on Node's event loop: one libuv poll watcher per distinct fd (a socket
// is one fd for both directions, a pipe pair two), started only for what the engine wants right now.
import { Poller, constants, type Poller as PollerHandle } from '@ipc-compare/native';
import type { OwnedFd } from '../owned-fd.js';

export type Direction = 'read' | 'write';
/** `status` < 0: libuv's error for the watcher (POLLERR arrives as UV_EBADF, and libuv stops it). */
export type ReadyCallback = (which: Direction, status: number, events: number) => void;

class Watch {
  #poller: PollerHandle | null = null;
  #events = 0;

  constructor(readonly fd: OwnedFd, readonly which: Direction, readonly onReady: ReadyCallback) {}

  set(events: number): void {
    if (events === this.#events || this.fd.closed) return;
    this.#events = events;
    if (events === 0) return this.#poller?.stop();
    this.#poller ??= new Poller(this.fd.fd, (status, ready) => {
      if (status < 0) this.#events = 0; // libuv stopped the handle
      this.onReady(this.which, status, ready);
    });
    this.#poller.start(events);
  }

  /** The watcher is gone synchronously (the fd may be closed right after). */
  close(): void {
    this.#poller?.close();
    this.#poller = null;
    this.#events = 0;
  }
}

export class FdWatcher {
  readonly #read: Watch | null;
  readonly #write: Watch | null;

  constructor(readFd: OwnedFd | null, writeFd: OwnedFd | null, onReady: ReadyCallback) {
    this.#read = readFd ? new Watch(readFd, 'read', onReady) : null;
    this.#write = writeFd && writeFd !== readFd ? new Watch(writeFd, 'write', onReady) : null;
  }

  /** Watch for exactly these directions now. */
  want(read: boolean, write: boolean): void {
    const { UV_READABLE, UV_WRITABLE } = constants;
    if (this.#write === null) {
      this.#read?.set((read ? UV_READABLE : 0) | (write ? UV_WRITABLE : 0)); // one fd for both
      return;
    }
    this.#read?.set(read ? UV_READABLE : 0);
    this.#write.set(write ? UV_WRITABLE : 0);
  }

  /** Stops watching the write fd for good (before it is closed by end()). */
  closeWrite(): void {
    this.#write?.close();
  }

  close(): void {
    this.#read?.close();
    this.#write?.close();
  }
}
