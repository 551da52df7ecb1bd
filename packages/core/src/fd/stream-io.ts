// Byte streams (pipes, FIFOs, stream sockets): sends are gathered into one writev(2) per batch, reads
// are eager up to a high-water mark like node:net's. Fds (SCM_RIGHTS) ride on the first byte of the
// send that carries them, which therefore goes out alone in one sendmsg(2).
import { constants, poll, read, readBlocking, recvFds, recvmsgFast, sendFds, write, writeAll, writev, writevAll, type ReceivedWithFds } from '@ipc-compare/native';
import type { IoOptions, KindIo, SyncWithFds } from './io.js';
import type { ReadQueue } from './read-queue.js';
import type { WriteQueue } from './write-queue.js';

export class StreamIo implements KindIo {
  readonly #o: IoOptions;
  #scratch: Buffer | null = null;
  readonly lastTruncation = null;

  constructor(o: IoOptions) {
    this.#o = o;
  }

  flush(fd: number, q: WriteQueue): boolean {
    const stats = this.#o.stats;
    while (q.length > 0) {
      const head = q.at(0)!;
      if (head.fds) {
        stats.writes++;
        const n = sendFds(fd, head.data.subarray(head.written), head.fds);
        if (n < 0) return this.#full();
        q.consumed(n);
        continue;
      }
      let end = 1;
      let wanted = head.data.byteLength - head.written;
      for (; end < Math.min(q.length, constants.IOV_MAX) && !q.at(end)!.fds; end++) wanted += q.at(end)!.data.byteLength;
      if (wanted === 0) {
        q.consumed(0); // empty sends only
        continue;
      }
      stats.writes++;
      let n: number;
      if (end === 1) n = write(fd, head.data, head.written);
      else {
        const batch: Uint8Array[] = [];
        for (let i = 0; i < end; i++) batch.push(q.at(i)!.data);
        n = writev(fd, batch, head.written);
      }
      if (n < 0) return this.#full();
      q.consumed(n);
      if (n < wanted) return false; // the kernel took less: wait until writable
    }
    return true;
  }

  #full(): false {
    this.#o.stats.wouldBlock++;
    return false;
  }

  read(fd: number, rq: ReadQueue): void {
    const { stats, readSize, highWater, receiveFds, transport } = this.#o;
    while (!rq.eof && (rq.waiting > 0 || rq.bytes < highWater)) {
      const buf = this.#scratch ?? Buffer.allocUnsafeSlow(readSize);
      let n: number;
      let passed: ReceivedWithFds | null = null;
      stats.reads++;
      if (receiveFds > 0) {
        const r = recvmsgFast(fd, buf, receiveFds);
        if (typeof r === 'number') n = r;
        else {
          n = r.bytes;
          passed = r;
        }
      } else {
        n = read(fd, buf, 0, readSize);
      }
      if (n < 0) return; // drained
      if (n === 0 && !passed) return rq.end();
      // Hand a mostly-full buffer over as is; copy a small read out (so a 1-byte message does not pin a
      // 64 KiB allocation) and reuse the buffer.
      let chunk: Uint8Array;
      if (n * 2 >= readSize) {
        chunk = buf.subarray(0, n);
        this.#scratch = null;
      } else {
        chunk = Buffer.from(buf.subarray(0, n));
        this.#scratch = buf;
      }
      rq.deliver(chunk, passed ?? undefined, `${transport}: received fd`);
      if (n < readSize) return; // a short read: the kernel buffer is empty now
    }
  }

  flushSync(fd: number, q: WriteQueue): void {
    while (q.length > 0) {
      const e = q.at(0)!;
      if (e.fds) this.sendFdsSync(fd, e.data.subarray(e.written), e.fds);
      else writeAll(fd, e.data, e.written);
      q.consumed(e.data.byteLength - e.written);
    }
  }

  sendSync(fd: number, chunks: readonly Uint8Array[]): void {
    this.#o.stats.writes++;
    if (chunks.length === 1) {
      writeAll(fd, chunks[0]!);
      return;
    }
    for (let i = 0; i < chunks.length; i += constants.IOV_MAX) writevAll(fd, chunks.slice(i, i + constants.IOV_MAX));
  }

  sendFdsSync(fd: number, data: Uint8Array, fds: readonly number[]): void {
    this.#o.stats.writes++;
    let n = sendFds(fd, data, fds);
    while (n < 0) {
      poll(fd, constants.POLLOUT, -1); // a non-blocking fd (still watched by libuv elsewhere): wait here
      n = sendFds(fd, data, fds);
    }
    if (n < data.byteLength) writeAll(fd, data, n); // the fds went with the first part
  }

  recvSync(fd: number, into: Uint8Array): number | null {
    this.#o.stats.reads++;
    // read(2): any fds that came are closed by the kernel (recvFdsSync is the way to take them).
    const n = readBlocking(fd, into);
    return n === 0 ? null : n;
  }

  recvFdsSync(fd: number, into: Uint8Array): SyncWithFds | null {
    this.#o.stats.reads++;
    const max = Math.max(this.#o.receiveFds, 1);
    let r = recvFds(fd, into, max);
    while (r === -1) {
      poll(fd, constants.POLLIN, -1);
      r = recvFds(fd, into, max);
    }
    if (r.bytes === 0 && r.fds.length === 0) return null;
    return { bytes: r.bytes, fds: r.fds, fdsTruncated: r.fdsTruncated };
  }
}
