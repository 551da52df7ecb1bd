// Owner death: a child process takes the mutex and is SIGKILLed holding it.
import { afterEach, expect, it } from 'vitest';
import { Mutex, SharedRegion } from '../src/index.js';
import { child, fixture, stopAll } from './helpers.js';
// @ts-expect-error a plain .mjs fixture
import { COUNTER, MUTEX, SIZE } from './fixtures/layout.mjs';

/** A blocking lock in this test's own thread cannot be interrupted: it always has a deadline. */
const GUARD_MS = 20_000;
const regions: SharedRegion[] = [];
afterEach(async () => {
  await stopAll();
  regions.splice(0).forEach((r) => r.close());
});

/** A region whose mutex (created with `robust`) was held by a process that died holding it. */
async function ownerDied(robust: boolean): Promise<{ region: SharedRegion; mutex: Mutex }> {
  const region = SharedRegion.create(SIZE);
  regions.push(region);
  const mutex = Mutex.create(region.buffer, MUTEX, { type: 'errorcheck', robust });
  const holder = child(fixture('holder.mjs'), [], [region.fd]);
  expect(await holder.next()).toEqual({ locked: true, mapped: true }); // held, its handle dropped and collected: still mapped
  holder.proc.kill('SIGKILL');
  expect((await holder.exited).signal).toBe('SIGKILL');
  return { region, mutex };
}

it('robust: the next locker gets EOWNERDEAD with the lock held, repairs, marks it consistent, and it works again', async () => {
  const { region, mutex } = await ownerDied(true);
  const data = new Int32Array(region.buffer);
  expect(data[COUNTER / 4]).toBe(-1); // the dead owner's half-done update
  // The timeout is only a hang guard: a lock the kernel failed to mark as its dead owner's would block
  // the test's own thread for ever (seen once in ~15 loaded runs; the lock word then lacked FUTEX_OWNER_DIED).
  expect(() => mutex.lockSync(GUARD_MS)).toThrow(expect.objectContaining({ code: 'EOWNERDEAD', lockHeld: true }));
  data[COUNTER / 4] = 0; // repaired, under the lock
  mutex.consistent();
  mutex.unlock();
  mutex.lockSync(GUARD_MS); // a plain lock again
  expect(() => mutex.tryLock()).toThrow(expect.objectContaining({ code: 'EDEADLK' })); // held, by this thread
  mutex.unlock();
});

it('robust, not marked consistent: unlocking leaves it ENOTRECOVERABLE for good', async () => {
  const { mutex } = await ownerDied(true);
  expect(() => mutex.lockSync(GUARD_MS)).toThrow(expect.objectContaining({ code: 'EOWNERDEAD' }));
  mutex.unlock(); // without consistent()
  expect(() => mutex.lockSync(GUARD_MS)).toThrow(expect.objectContaining({ code: 'ENOTRECOVERABLE' }));
  expect(() => mutex.tryLock()).toThrow(expect.objectContaining({ code: 'ENOTRECOVERABLE' }));
});

it('not robust: the dead owner keeps it locked for ever (what robust is for)', async () => {
  const { mutex } = await ownerDied(false);
  expect(mutex.tryLock()).toBe(false);
  expect(() => mutex.lockSync(100)).toThrow(expect.objectContaining({ code: 'ETIMEDOUT', syscall: 'pthread_mutex_clocklock' }));
});

it('errorcheck: relocking is EDEADLK; a normal mutex is what the notes call undefined (not tried)', () => {
  const region = SharedRegion.create(SIZE);
  regions.push(region);
  const m = Mutex.create(region.buffer, MUTEX, { type: 'errorcheck' });
  m.lockSync();
  expect(() => m.lockSync()).toThrow(expect.objectContaining({ code: 'EDEADLK', errno: -35, syscall: 'pthread_mutex_lock', message: expect.stringMatching(/^EDEADLK: resource deadlock avoided/) }));
  m.unlock();
  expect(() => m.unlock()).toThrow(expect.objectContaining({ code: 'EPERM', syscall: 'pthread_mutex_unlock' }));
  const rec = Mutex.create(region.buffer, MUTEX + 64, { type: 'recursive' });
  rec.lockSync();
  rec.lockSync();
  rec.unlock();
  rec.unlock();
  expect(() => rec.unlock()).toThrow(expect.objectContaining({ code: 'EPERM' }));
});
