// The async waits run on threads of their own: the JS thread and libuv's threadpool (4 threads) stay
// free however many are pending; timeouts and aborts end them, and an aborted wait takes nothing.
import { readFile } from 'node:fs/promises';
import { afterEach, expect, it } from 'vitest';
import { FutexMutex, NamedSemaphore, Semaphore, SharedRegion, XsiSemaphore } from '../src/index.js';

const regions: SharedRegion[] = [];
const named: Array<NamedSemaphore | XsiSemaphore> = [];
afterEach(() => {
  regions.splice(0).forEach((r) => r.close());
  named.splice(0).forEach((s) => s.close());
});
function region(): SharedRegion {
  const r = SharedRegion.create(4096);
  regions.push(r);
  return r;
}

it('8 pending waits (semaphores, a named one, an XSI one, a futex lock) leave timers and fs.promises.readFile working; posts end them all', async () => {
  const r = region();
  const sems = Array.from({ length: 5 }, (_, i) => Semaphore.create(r.buffer, 64 + i * 64, 0));
  const nsem = NamedSemaphore.create();
  const xsem = XsiSemaphore.create();
  named.push(nsem, xsem);
  const futex = new FutexMutex(r.buffer, 0);
  futex.lockSync(); // held: the async lock below has to wait
  const pending = [...sems.map((s) => s.wait()), nsem.wait(), xsem.wait(), futex.lock()];
  await new Promise((resolve) => setTimeout(resolve, 1)); // a timer fires
  expect((await readFile(new URL(import.meta.url))).length).toBeGreaterThan(0); // and the threadpool is free
  sems.forEach((s) => s.post());
  nsem.post();
  xsem.post();
  futex.unlock();
  await Promise.all(pending);
  futex.unlock(); // the async lock had it
  expect([...sems, xsem].map((s) => s.value)).toEqual([0, 0, 0, 0, 0, 0]);
});

it('a timeout ends a wait with ETIMEDOUT; the sync form too', async () => {
  const s = Semaphore.create(region().buffer, 0, 0);
  await expect(s.wait({ timeoutMs: 20 })).rejects.toMatchObject({ code: 'ETIMEDOUT', syscall: 'sem_clockwait' });
  expect(() => s.waitSync(5)).toThrow(expect.objectContaining({ code: 'ETIMEDOUT' }));
  const m = new FutexMutex(regions[0]!.buffer, 128);
  m.lockSync();
  await expect(m.lock({ timeoutMs: 20 })).rejects.toMatchObject({ code: 'ETIMEDOUT', syscall: 'futex' });
  expect(() => m.lockSync(5)).toThrow(expect.objectContaining({ code: 'ETIMEDOUT' }));
});

it('an abort ends a pending wait with AbortError and takes no unit: a later post is still there', async () => {
  const s = Semaphore.create(region().buffer, 0, 0);
  const ac = new AbortController();
  const waiting = s.wait({ signal: ac.signal });
  ac.abort();
  await expect(waiting).rejects.toMatchObject({ name: 'AbortError' });
  s.post();
  expect(s.value).toBe(1);
  await expect(s.wait({ signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' });
  expect(s.value).toBe(1);
});

it('bad timeouts are refused before waiting', async () => {
  const s = Semaphore.create(region().buffer, 0, 0);
  for (const bad of [-1, 1.5, NaN, 2 ** 31]) {
    expect(() => s.waitSync(bad)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    await expect(s.wait({ timeoutMs: bad })).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
  }
});

it('FutexSemaphore: posts and uncontended waits stay in JS; a pending async wait is woken by a post from another thread of control', async () => {
  const { FutexSemaphore } = await import('../src/index.js');
  const r = region();
  const s = FutexSemaphore.create(r.buffer, 0, 2);
  expect(s.tryWait()).toBe(true);
  s.waitSync();
  expect(s.tryWait()).toBe(false);
  expect(() => s.waitSync(5)).toThrow(expect.objectContaining({ code: 'ETIMEDOUT', syscall: 'futex' }));
  const pending = s.wait();
  setImmediate(() => s.post());
  await pending;
  expect(s.value).toBe(0);
  const ac = new AbortController();
  const aborted = s.wait({ signal: ac.signal });
  ac.abort();
  await expect(aborted).rejects.toMatchObject({ name: 'AbortError' });
  s.post();
  expect(s.value).toBe(1); // the abort took nothing
});
