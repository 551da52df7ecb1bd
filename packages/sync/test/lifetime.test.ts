// What happens after close(): a clear error (ERR_INVALID_STATE, EINVAL) or harmless bytes — never a
// crash. The memory of a region is unmapped only when the last SharedArrayBuffer over it is gone,
// in every thread it was posted to.
import { Worker } from 'node:worker_threads';
import { expect, it } from 'vitest';
import { mapShared, memfdCreate, close } from '@ipc-compare/native';
import { FutexMutex, Mutex, NamedSemaphore, Semaphore, SharedRegion } from '../src/index.js';
import { fixture } from './helpers.js';

it('every primitive refuses use after close() with ERR_INVALID_STATE', () => {
  const r = SharedRegion.create(4096);
  const f = new FutexMutex(r.buffer, 0);
  const m = Mutex.create(r.buffer, 64);
  const s = Semaphore.create(r.buffer, 128, 1);
  const n = NamedSemaphore.create({ value: 1 });
  for (const p of [f, m, s, n]) p.close();
  const closed = expect.objectContaining({ code: 'ERR_INVALID_STATE' });
  expect(() => f.lockSync()).toThrow(closed);
  expect(() => f.unlock()).toThrow(closed);
  expect(() => m.lockSync()).toThrow(closed);
  expect(() => s.post()).toThrow(closed);
  expect(() => n.post()).toThrow(closed);
  expect(() => n.waitSync()).toThrow(closed);
  r.close();
  expect(() => r.fd).toThrow(closed);
});

it('a destroyed mutex used through another handle is EINVAL, not a crash', () => {
  const r = SharedRegion.create(4096);
  const creator = Mutex.create(r.buffer, 64, { type: 'errorcheck' });
  const other = Mutex.at(r.buffer, 64);
  creator.close({ destroy: true });
  expect(() => other.lockSync()).toThrow(expect.objectContaining({ code: 'EINVAL', syscall: 'pthread_mutex_lock' }));
  r.close();
});

it('after region.close() the buffer still reads and writes the same bytes, here and in a worker', async () => {
  const r = SharedRegion.create(4096);
  new Int32Array(r.buffer)[0] = 41;
  const w = new Worker(fixture('reader.mjs'), { workerData: { buffer: r.buffer } });
  try {
    const msgs: unknown[] = [];
    const next = () => new Promise((resolve) => w.once('message', resolve));
    msgs.push(await next()); // ready: the worker holds its own SharedArrayBuffer over the pages
    r.close(); // the fd goes; the mapping stays while a SharedArrayBuffer lives
    const reply = next();
    w.postMessage('go');
    msgs.push(await reply);
    expect(msgs).toEqual([{ ready: true }, { read: 41, wrote: 42 }]);
    expect(new Int32Array(r.buffer)[1]).toBe(42); // the same page
  } finally {
    await w.terminate();
  }
});

it('bad placements and bad buffers are refused before any syscall', () => {
  const r = SharedRegion.create(4096);
  expect(() => new FutexMutex(r.buffer, 2)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
  expect(() => new FutexMutex(r.buffer, 4096)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
  expect(() => Mutex.create(new ArrayBuffer(64) as unknown as SharedArrayBuffer, 0)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
  expect(() => Semaphore.create(r.buffer, 4090)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
  expect(() => SharedRegion.create(0)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
  r.close();
  // the native side checks its own arguments too: a mapping longer than the file would be SIGBUS
  const fd = memfdCreate('short', 100);
  try {
    expect(() => mapShared(fd, 8192)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE', message: expect.stringMatching(/SIGBUS/) }));
  } finally {
    close(fd);
  }
});

it('the mapping goes when the last SharedArrayBuffer over it is collected (no mapping leaks)', async () => {
  const { execFileSync } = await import('node:child_process');
  const out = execFileSync(process.execPath, ['--expose-gc', fixture('unmap-on-gc.mjs')], { encoding: 'utf8' });
  expect(JSON.parse(out)).toEqual({ before: 20, afterClose: 20, afterGc: 0 });
});
