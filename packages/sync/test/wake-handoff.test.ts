// No lost wake-up when an async waiter is aborted at the moment it is woken: the wake it got is
// passed on, so a sleeper in another process behind it still gets the lock.
import { readdirSync, readFileSync } from 'node:fs';
import { afterEach, expect, it } from 'vitest';
import { FutexMutex, SharedRegion } from '../src/index.js';
import { child, fixture, stopAll } from './helpers.js';
// @ts-expect-error a plain .mjs fixture
import { FUTEX, SIZE } from './fixtures/layout.mjs';

afterEach(stopAll);

const inFutex = (pid: number, tid: number) => readFileSync(`/proc/${pid}/task/${tid}/syscall`, 'utf8').startsWith('202 ');
/** Resolves once `test()` holds, checked on every loop turn (the kernel's state, not time). */
async function until(what: string, test: () => boolean): Promise<void> {
  for (let i = 0; i < 100_000; i++) {
    if (test()) return;
    await new Promise((r) => setImmediate(r));
  }
  throw new Error(`never: ${what}`);
}
/** This process's async waiter threads (named by the addon) asleep in futex(2). */
const asleepWaiters = () =>
  readdirSync(`/proc/self/task`).filter((tid) => readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim() === 'ipcc-wait' && inFutex(process.pid, Number(tid))).length;

it('the unlock wakes the first sleeper — an async lock aborted that instant — and the wake reaches the next one, a process', async () => {
  const region = SharedRegion.create(SIZE);
  try {
    const m = new FutexMutex(region.buffer, FUTEX);
    m.lockSync();
    const ac = new AbortController();
    const first = m.lock({ signal: ac.signal }); // queued first on the futex
    await until('the async waiter asleep in futex(2)', () => asleepWaiters() === 1);
    const second = child(fixture('locker.mjs'), [], [region.fd]);
    const { waiting } = (await second.next()) as { waiting: number };
    await until('the child asleep in futex(2)', () => inFutex(waiting, waiting));
    // Same instant: the abort cannot stop the thread already asleep, so the unlock's one wake goes to it.
    ac.abort();
    m.unlock();
    await expect(first).rejects.toMatchObject({ name: 'AbortError' });
    expect(await second.next()).toEqual({ locked: true }); // without the hand-on: asleep for ever (the hang guard kills it)
    expect((await second.exited).code).toBe(0);
  } finally {
    region.close();
  }
});
