// Why the package calls futex(2) itself: V8's Atomics.wait/notify are emulated inside one process
// (a condition variable per address), so a notify from another process wakes nothing — while a
// FUTEX_WAKE without FUTEX_PRIVATE_FLAG reaches a sleeper in any process mapping the same page.
import { readFileSync } from 'node:fs';
import { afterEach, expect, it } from 'vitest';
import { futexWake } from '@ipc-compare/native';
import { SharedRegion } from '../src/index.js';
import { child, fixture, stopAll } from './helpers.js';
// @ts-expect-error a plain .mjs fixture
import { SIZE, WORD } from './fixtures/layout.mjs';

const regions: SharedRegion[] = [];
afterEach(async () => {
  await stopAll();
  regions.splice(0).forEach((r) => r.close());
});

/** Resolves once the process's main thread sleeps in futex(2) (202 on x86_64) — where both waits sleep. */
async function sleepingInFutex(pid: number): Promise<void> {
  const inFutex = () => readFileSync(`/proc/${pid}/task/${pid}/syscall`, 'utf8').startsWith('202 ');
  // A count of polls ran out under load (20 000 of them: ≈ 200 ms) before the child got there; the
  // deadline is only a hang guard.
  const deadline = Date.now() + 20_000;
  while (!inFutex() && Date.now() < deadline) await new Promise((r) => setImmediate(r));
  expect(inFutex(), 'the sleeper never reached futex(2)').toBe(true);
}

async function sleeper(how: 'atomics' | 'futex', timeoutMs: number) {
  const region = SharedRegion.create(SIZE);
  regions.push(region);
  const c = child(fixture('sleeper.mjs'), [{ how, timeoutMs }], [region.fd]);
  const { waiting } = (await c.next()) as { waiting: number };
  await sleepingInFutex(waiting);
  return { region, c };
}

it('a cross-process Atomics.notify wakes nobody: the sleeper in Atomics.wait times out', async () => {
  const { region, c } = await sleeper('atomics', 1500);
  expect(Atomics.notify(new Int32Array(region.buffer), WORD / 4)).toBe(0); // no waiter in *this* process
  expect(await c.next()).toEqual({ outcome: 'timed-out' }); // 1.5 s asleep although notified
});

it('FUTEX_WAKE wakes the sleeper in the other process at once', async () => {
  const { region, c } = await sleeper('futex', 40_000); // the timeout is only a hang guard
  expect(futexWake(region.buffer, WORD, 1)).toBe(1);
  expect(await c.next()).toEqual({ outcome: 'ok' });
});
