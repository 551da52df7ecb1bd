// Mutual exclusion observed: parties increment one plain (non-atomic) counter in shared memory, all
// starting at once. Under each lock the total is exact; with no lock, updates are lost — the
// experiment can tell the difference, so the exact totals mean something.
import { afterEach, describe, expect, it } from 'vitest';
import { FutexSemaphore, Mutex, NamedSemaphore, Semaphore, SharedRegion, XsiSemaphore } from '../src/index.js';
import { child, fixture, stopAll, worker } from './helpers.js';
// @ts-expect-error a plain .mjs fixture
import { COUNTER, FSEM, MUTEX, READY, SEM, SIZE } from './fixtures/layout.mjs';

const COUNTER_JS = fixture('counter.mjs');
const PARTIES = 2;
const regions: SharedRegion[] = [];
afterEach(async () => {
  await stopAll();
  regions.splice(0).forEach((r) => r.close());
});

function freshRegion(): SharedRegion {
  const r = SharedRegion.create(SIZE);
  regions.push(r);
  Mutex.create(r.buffer, MUTEX, { type: 'normal' });
  Semaphore.create(r.buffer, SEM, 1);
  FutexSemaphore.create(r.buffer, FSEM, 1);
  return r;
}

type Lock = 'none' | 'futex' | 'mutex' | 'sem' | 'futex-sem' | 'named-sem' | 'xsi-sem';

/** PARTIES processes × count increments under `lock`; the counter's final value. */
async function inProcesses(lock: Lock, count: number, extra: Record<string, unknown> = {}): Promise<number> {
  const r = freshRegion();
  const kids = Array.from({ length: PARTIES }, () => child(COUNTER_JS, [{ lock, count, parties: PARTIES, ...extra }], [r.fd]));
  for (const k of kids) {
    const report = await k.next();
    const { code, stderr } = await k.exited;
    expect({ report, code }, stderr).toEqual({ report: { done: count }, code: 0 });
  }
  return new Int32Array(r.buffer)[COUNTER / 4]!;
}

/** The same with worker threads of this process sharing the region's buffer. */
async function inThreads(lock: Lock, count: number): Promise<number> {
  const r = freshRegion();
  const results = await Promise.all(Array.from({ length: PARTIES }, () => worker(COUNTER_JS, { lock, count, parties: PARTIES, buffer: r.buffer }).result));
  expect(results).toEqual(Array(PARTIES).fill({ done: count }));
  return new Int32Array(r.buffer)[COUNTER / 4]!;
}

/** Without a lock some updates are lost — given real overlap, which a loaded machine may deny a few times. */
async function lostWithoutLock(run: (count: number) => Promise<number>): Promise<number> {
  const count = 2_000_000;
  for (let attempt = 0; attempt < 20; attempt++) {
    const total = await run(count);
    expect(total).toBeLessThanOrEqual(PARTIES * count);
    if (total < PARTIES * count) return PARTIES * count - total;
  }
  return 0;
}

describe('processes sharing a memory region', () => {
  it('with no lock, concurrent plain increments lose updates (so the experiment can fail)', async () => {
    expect(await lostWithoutLock((n) => inProcesses('none', n))).toBeGreaterThan(0);
  });

  it.each([
    ['futex', 'FutexMutex (Atomics, futex(2) under contention)'],
    ['mutex', 'pthread mutex, PTHREAD_PROCESS_SHARED'],
    ['sem', 'unnamed POSIX semaphore (pshared), as a binary lock'],
    ['futex-sem', 'FutexSemaphore (Atomics, futex(2) to sleep), as a binary lock'],
  ] as const)('%s — %s: every increment counts', async (lock) => {
    const count = 100_000;
    expect(await inProcesses(lock, count)).toBe(PARTIES * count);
  });

  // Processes that share nothing but a name or an id (the counter's region aside).
  const byName = () => {
    const s = NamedSemaphore.create({ value: 1 });
    return { reach: { name: s.name }, close: () => s.close() };
  };
  const byId = () => {
    const s = XsiSemaphore.create({ value: 1 }); // SEM_UNDO: each party gives back what it takes
    return { reach: { id: s.id }, close: () => s.close() };
  };
  it.each([
    ['named-sem', 'a named semaphore, found by its name', byName],
    ['xsi-sem', 'an XSI semaphore (SEM_UNDO), found by its id', byId],
  ] as const)('%s — %s, locks as well', async (lock, _title, make) => {
    const sem = make();
    try {
      const count = 50_000;
      expect(await inProcesses(lock, count, sem.reach)).toBe(PARTIES * count);
    } finally {
      sem.close();
    }
  });
});

describe('worker threads of one process', () => {
  it('with no lock, updates are lost', async () => {
    expect(await lostWithoutLock((n) => inThreads('none', n))).toBeGreaterThan(0);
  });

  it.each(['futex', 'mutex', 'sem', 'futex-sem'] as const)('%s: every increment counts', async (lock) => {
    const count = 100_000;
    expect(await inThreads(lock, count)).toBe(PARTIES * count);
  });
});

// The start line is real: a party that is not there holds the others back (READY counts arrivals).
it('the parties start together (the start line counts every arrival)', async () => {
  const r = freshRegion();
  await inProcessesOn(r);
  expect(new Int32Array(r.buffer)[READY / 4]).toBe(PARTIES);
});

async function inProcessesOn(r: SharedRegion): Promise<void> {
  const kids = Array.from({ length: PARTIES }, () => child(COUNTER_JS, [{ lock: 'futex', count: 10, parties: PARTIES }], [r.fd]));
  for (const k of kids) expect((await k.exited).code).toBe(0);
}
