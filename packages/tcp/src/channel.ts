// A TCP connection as a Channel. The async path is node:net (a net.Socket on the connected fd); the
// blocking path is the native socket, one read(2)/write(2) per call. node:net reads ahead and owns the
// socket once it has it, so the first async call hands the fd over for good: blocking calls after
// that fail with ERR_CHANNEL_MODE (blocking first, async later is fine).
import net from 'node:net';
import { NodeStreamChannel, assertBytes, ipcError, type Channel, type OwnedFd, type RecvOptions, type SendOptions } from '@ipc-compare/core';
import { constants, readBlocking, setNonBlocking, shutdown, writeAll, writevAll } from '@ipc-compare/native';

export class TcpChannel implements Channel {
  readonly transport: string;
  readonly #fd: OwnedFd;
  readonly #noDelay: boolean;
  #net: NodeStreamChannel | null = null;
  #blocking = false;
  #closed = false;

  constructor(transport: string, fd: OwnedFd, noDelay: boolean) {
    this.transport = transport;
    this.#fd = fd;
    this.#noDelay = noDelay;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The underlying fd (for socket options and tests). */
  get fd(): number {
    return this.#fd.fd;
  }

  send(data: Uint8Array, opts?: SendOptions): Promise<void> {
    try {
      return this.#async().send(data, opts);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  sendv(chunks: readonly Uint8Array[], opts?: SendOptions): Promise<void> {
    try {
      return this.#async().sendv(chunks, opts);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  recv(opts?: RecvOptions): Promise<Uint8Array | null> {
    try {
      return this.#async().recv(opts);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Half-close: FIN to the peer (it reads end of stream); this side can still receive. */
  async end(): Promise<void> {
    if (this.#net) return this.#net.end();
    if (!this.#closed) shutdown(this.#fd.fd, constants.SHUT_WR);
  }

  sendSync(data: Uint8Array): void {
    assertBytes(data);
    writeAll(this.#blockingFd(), data);
  }

  sendvSync(chunks: readonly Uint8Array[]): void {
    for (const c of chunks) assertBytes(c, 'chunk');
    const fd = this.#blockingFd();
    for (let i = 0; i < chunks.length; i += constants.IOV_MAX) writevAll(fd, chunks.slice(i, i + constants.IOV_MAX));
  }

  recvSync(into: Uint8Array): number | null {
    assertBytes(into, 'into');
    if (into.byteLength === 0) throw ipcError('ERR_INVALID_ARG_VALUE', 'recvSync needs a non-empty buffer');
    const n = readBlocking(this.#blockingFd(), into);
    return n === 0 ? null : n;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#net) await this.#net.close();
    else this.#fd.close();
  }

  fds(): number[] {
    return this.#closed ? [] : [this.#fd.fd];
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #async(): NodeStreamChannel {
    if (this.#net) return this.#net;
    if (this.#closed) throw ipcError('ERR_CHANNEL_CLOSED', `${this.transport} channel is closed`);
    // libuv takes the fd (and makes it non-blocking); it stays marked in use here until the socket closes.
    const socket = new net.Socket({ fd: this.#fd.handOver(), readable: true, writable: true, allowHalfOpen: true });
    socket.setNoDelay(this.#noDelay);
    socket.once('close', () => this.#fd.released());
    this.#net = new NodeStreamChannel({ transport: this.transport, readable: socket, writable: socket });
    return this.#net;
  }

  #blockingFd(): number {
    if (this.#closed) throw ipcError('ERR_CHANNEL_CLOSED', `${this.transport} channel is closed`);
    if (this.#net) throw ipcError('ERR_CHANNEL_MODE', `${this.transport}: node:net owns this socket since the first async call; the blocking path is no longer available`);
    if (!this.#blocking) {
      setNonBlocking(this.#fd.fd, false);
      this.#blocking = true;
    }
    return this.#fd.fd;
  }
}
