// The blocking path's retry and wait (io.h): every binding retries EINTR and, while the fd would
// block, waits in one poll helper that treats an fd that is not open (POLLNVAL) as EBADF.
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import * as native from '../src/index.js';

const addonPath = new URL('../build/Release/ipc_native.node', import.meta.url).pathname;

/** An fd number that is certainly not open in this process. */
function closedFd(): number {
  const [r, w] = native.pipe2();
  native.close(r);
  native.close(w);
  return r;
}

describe('blocking calls on an fd that is not open', () => {
  it('sendBlocking, recvBlocking, readBlocking, writeAll and writevAll throw EBADF at once', () => {
    const fd = closedFd();
    const buf = Buffer.alloc(8);
    const ebadf = (syscall: string) => expect.objectContaining({ code: 'EBADF', errno: -9, syscall });
    expect(() => native.sendBlocking(fd, buf)).toThrow(ebadf('send'));
    expect(() => native.recvBlocking(fd, buf)).toThrow(ebadf('recv'));
    expect(() => native.readBlocking(fd, buf)).toThrow(ebadf('read'));
    expect(() => native.writeAll(fd, buf)).toThrow(ebadf('write'));
    expect(() => native.writevAll(fd, [buf])).toThrow(ebadf('writev'));
  });
});

describe('a thread blocked in recvBlocking', () => {
  // close(2) from another thread does not wake a poll(2) (it holds its own reference to the file),
  // so the owner that wants a blocked reader back uses shutdown(2): the reader sees end of stream.
  it('is woken by shutdown(2) of its socket and returns 0 (end of stream)', async () => {
    const [a, b] = native.socketpair('stream', true); // non-blocking: recvBlocking waits in poll
    const worker = new Worker(
      `const n = require(${JSON.stringify(addonPath)});
       const { parentPort } = require('node:worker_threads');
       parentPort.postMessage('waiting');
       parentPort.postMessage(n.recvBlocking(${a}, Buffer.alloc(16)));`,
      { eval: true },
    );
    const messages: unknown[] = [];
    const got = new Promise<unknown>((resolve, reject) => {
      worker.on('message', (m) => {
        messages.push(m);
        if (messages.length === 2) resolve(m);
      });
      worker.once('error', reject);
    });
    await new Promise<void>((resolve) => worker.once('message', () => resolve()));
    native.shutdown(a, native.constants.SHUT_RDWR);
    expect(await got).toBe(0);
    await worker.terminate();
    native.close(a);
    native.close(b);
  });
});
