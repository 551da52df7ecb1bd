import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import * as native from '../src/index.js';

describe('errors look like Node SystemErrors', () => {
  it('a failed syscall has code, errno, syscall and the same message format as fs', () => {
    let err: unknown;
    try {
      native.close(1_000_000);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(Error);
    expect(err).toMatchObject({ code: 'EBADF', errno: -9, syscall: 'close', message: 'EBADF: bad file descriptor, close' });
  });

  it('errnoError builds the same shape, with a path when given', () => {
    expect(native.errnoError(2, 'open', '/nope')).toMatchObject({
      code: 'ENOENT',
      errno: -2,
      syscall: 'open',
      path: '/nope',
      message: "ENOENT: no such file or directory, open '/nope'",
    });
    expect(native.errnoError(-11, 'read').code).toBe('EAGAIN');
  });

  it('bad arguments are TypeErrors/RangeErrors with Node codes, not crashes', () => {
    expect(() => native.read('3' as unknown as number, Buffer.alloc(1))).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => native.read(-1, Buffer.alloc(1))).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => native.read(0, 'x' as unknown as Uint8Array)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => native.write(1, Buffer.alloc(4), 2, 3)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => native.writev(1, [Buffer.alloc(1), 'x' as unknown as Uint8Array])).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => native.setAffinity(0, [-1])).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => new native.Poller(0, 'cb' as unknown as () => void)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
  });
});

describe('fd syscalls', () => {
  it('pipe2 gives close-on-exec FIFO-type fds; read/write report "would block" as -1', () => {
    const [r, w] = native.pipe2();
    expect(native.fstat(r).type).toBe('fifo');
    expect(native.fcntl(r, native.constants.F_GETFD) & native.constants.FD_CLOEXEC).toBe(native.constants.FD_CLOEXEC);
    native.setNonBlocking(r, true);
    expect(native.read(r, Buffer.alloc(8))).toBe(-1);
    expect(native.writev(w, [Buffer.from('ab'), Buffer.from('cd')], 1)).toBe(3);
    const buf = Buffer.alloc(8);
    expect(native.readBlocking(r, buf)).toBe(3);
    expect(buf.subarray(0, 3).toString()).toBe('bcd');
    native.close(w);
    expect(native.readBlocking(r, buf)).toBe(0); // end of file
    native.close(r);
  });

  it('writeAll waits out a full non-blocking pipe instead of failing', async () => {
    const [r, w] = native.pipe2(native.constants.O_CLOEXEC | native.constants.O_NONBLOCK);
    const size = native.getPipeSize(w);
    const data = Buffer.alloc(size * 2, 1);
    const { Worker } = await import('node:worker_threads');
    // A worker drains the pipe while this thread blocks in writeAll.
    const worker = new Worker(
      `const n = require(${JSON.stringify(new URL('../build/Release/ipc_native.node', import.meta.url).pathname)});
       const b = Buffer.alloc(65536); let t = 0; const want = ${size * 2};
       while (t < want) { const k = n.readBlocking(${r}, b); if (k <= 0) break; t += k; }
       require('worker_threads').parentPort.postMessage(t);`,
      { eval: true },
    );
    const total = new Promise((resolve) => worker.once('message', resolve));
    expect(native.writeAll(w, data)).toBe(size * 2);
    expect(await total).toBe(size * 2);
    await worker.terminate();
    native.close(r);
    native.close(w);
  });

  it('fcntl sets and reads the pipe capacity', () => {
    const [r, w] = native.pipe2();
    expect(native.setPipeSize(w, 1 << 20)).toBe(1 << 20);
    expect(native.getPipeSize(r)).toBe(1 << 20);
    native.close(r);
    native.close(w);
  });
});

describe('Poller', () => {
  it('reports readiness on the event loop and stops cleanly', async () => {
    const [r, w] = native.pipe2();
    const events: number[] = [];
    const ready = new Promise<void>((resolve) => {
      const p = new native.Poller(r, (status, ev) => {
        expect(status).toBe(0);
        events.push(ev);
        p.close();
        resolve();
      });
      p.start(native.constants.UV_READABLE);
    });
    setTimeout(() => native.write(w, Buffer.from('x')), 5);
    await ready;
    expect(events).toEqual([native.constants.UV_READABLE]);
    native.close(r);
    native.close(w);
  });

  it('refuses an fd that cannot be polled, with a coded error', () => {
    expect(() => new native.Poller(1_000_000, () => {})).toThrow(expect.objectContaining({ code: 'EBADF', syscall: 'uv_poll_init' }));
  });
});

describe('process placement', () => {
  it('pins and reads the affinity of a thread', () => {
    const tid = process.pid; // the main thread's id is the process id
    const original = native.getAffinity(tid);
    native.setAffinity(tid, [0]);
    expect(native.getAffinity(0)).toEqual([0]);
    expect(native.getCpu()).toBe(0);
    expect(readFileSync(`/proc/self/task/${tid}/status`, 'utf8')).toMatch(/Cpus_allowed_list:\s+0\n/);
    native.setAffinity(tid, original);
    expect(() => native.setAffinity(0, [NaN])).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' })); // never CPU 0 by accident
    expect(() => native.setAffinity(0, [1.5])).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
  });
});
