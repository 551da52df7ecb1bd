// Datagram and seqpacket sockets: one send is one datagram, sent whole or not at all, and one read is
// one message. A message longer than the read buffer is never passed on cut short without saying so:
// the async path fails that recv() with ERR_MESSAGE_TRUNCATED, the blocking path sets lastTruncation.
import { constants, poll, recv, recvBlocking, recvFds, recvmsgFast, send, sendBlocking, sendFds, type ReceivedWithFds } from '@ipc-compare/native';
import { ipcError } from '../errors.js';
import type { IoOptions, KindIo, SyncWithFds, Truncation } from './io.js';
import { OwnedFd } from '../owned-fd.js';
import type { ReadQueue } from './read-queue.js';
import type { WriteQueue } from './write-queue.js';

export class DatagramIo implements KindIo {
  readonly #o: IoOptions;
  /** seqpacket: a connection, so a 0-byte read can be its end. */
  readonly #connected: boolean;
  #scratch: Buffer | null = null;
  lastTruncation: Truncation | null = null;

  constructor(o: IoOptions, connected: boolean) {
    this.#o = o;
    this.#connected = connected;
  }

  flush(fd: number, q: WriteQueue): boolean {
    const stats = this.#o.stats;
    while (q.length > 0) {
      const e = q.at(0)!;
      stats.writes++;
      if ((e.fds ? sendFds(fd, e.data, e.fds) : send(fd, e.data)) < 0) {
        stats.wouldBlock++;
        return false;
      }
      q.sentOne();
    }
    return true;
  }

  read(fd: number, rq: ReadQueue): void {
    const { stats, readSize, highWater, receiveFds, transport } = this.#o;
    this.#scratch ??= Buffer.allocUnsafeSlow(readSize);
    const buf = this.#scratch;
    while (!rq.eof && (rq.waiting > 0 || rq.bytes < highWater)) {
      let n: number;
      let passed: ReceivedWithFds | null = null;
      stats.reads++;
      if (receiveFds > 0) {
        const r = recvmsgFast(fd, buf, receiveFds, constants.MSG_TRUNC);
        if (typeof r === 'number') n = r;
        else {
          n = r.bytes;
          passed = r;
        }
      } else {
        n = recv(fd, buf, constants.MSG_TRUNC);
      }
      if (n < 0) return;
      if (n === 0 && !passed && this.#peerClosed(fd)) return rq.end();
      if (n > buf.length) {
        // MSG_TRUNC returned the real length: the kernel dropped the rest of this message.
        for (const f of passed?.fds ?? []) OwnedFd.own(f, `${transport}: received fd`).close();
        rq.deliverError(truncated(transport, n, buf.length));
        continue;
      }
      rq.deliver(Buffer.from(buf.subarray(0, n)), passed ?? undefined, `${transport}: received fd`);
    }
  }

  flushSync(fd: number, q: WriteQueue): void {
    while (q.length > 0) {
      const e = q.at(0)!;
      if (e.fds) this.sendFdsSync(fd, e.data, e.fds);
      else sendBlocking(fd, e.data);
      q.sentOne();
    }
  }

  sendSync(fd: number, chunks: readonly Uint8Array[]): void {
    for (const c of chunks) {
      this.#o.stats.writes++;
      sendBlocking(fd, c);
    }
  }

  sendFdsSync(fd: number, data: Uint8Array, fds: readonly number[]): void {
    this.#o.stats.writes++;
    while (sendFds(fd, data, fds) < 0) poll(fd, constants.POLLOUT, -1);
  }

  recvSync(fd: number, into: Uint8Array): number | null {
    this.#o.stats.reads++;
    const n = recvBlocking(fd, into, constants.MSG_TRUNC);
    if (n === 0 && this.#peerClosed(fd)) return null;
    return this.#stored(n, into);
  }

  recvFdsSync(fd: number, into: Uint8Array): SyncWithFds | null {
    this.#o.stats.reads++;
    const max = Math.max(this.#o.receiveFds, 1);
    let r = recvFds(fd, into, max, constants.MSG_TRUNC);
    while (r === -1) {
      poll(fd, constants.POLLIN, -1);
      r = recvFds(fd, into, max, constants.MSG_TRUNC);
    }
    if (r.bytes === 0 && r.fds.length === 0 && this.#peerClosed(fd)) return null;
    return { bytes: this.#stored(r.bytes, into), fds: r.fds, fdsTruncated: r.fdsTruncated };
  }

  #stored(n: number, into: Uint8Array): number {
    const stored = Math.min(n, into.byteLength);
    this.lastTruncation = n > stored ? { length: n, received: stored } : null;
    return stored;
  }

  /** A 0-byte read on a seqpacket socket is an empty message or the end: poll tells which. */
  #peerClosed(fd: number): boolean {
    if (!this.#connected) return false;
    const hup = constants.POLLRDHUP | constants.POLLHUP;
    return (poll(fd, hup, 0) & hup) !== 0;
  }
}

function truncated(transport: string, length: number, received: number) {
  return ipcError('ERR_MESSAGE_TRUNCATED', `${transport}: a ${length}-byte datagram arrived, larger than the ${received}-byte read buffer; the rest was dropped by the kernel`, { length, received });
}
