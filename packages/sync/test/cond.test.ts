// Cond between processes: a producer/consumer over a small ring guarded by a Mutex and two Conds,
// 100 000 items each delivered once and in order (no lost wake-up: the run ends); the async wait
// (a lock agent waits with the mutex it holds) as the consumer; timeout and abort of a cond wait.
import { afterEach, describe, expect, it } from 'vitest';
import { Cond, Mutex, SharedRegion } from '../src/index.js';
import { killChildren, spawnChild, type Child } from './pthread-child.js';

const SIZE = 4;
let region: SharedRegion | undefined;
const closers: Array<() => void> = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) c();
  await killChildren();
  region?.close();
  region = undefined;
});

function setup() {
  region = SharedRegion.create(4096);
  const mutex = Mutex.create(region.buffer, 0, { type: 'errorcheck' });
  const notEmpty = Cond.create(region.buffer, 64);
  const notFull = Cond.create(region.buffer, 128);
  closers.push(() => mutex.close(), () => notEmpty.close(), () => notFull.close());
  return { region, mutex, notEmpty, notFull, ctl: new Int32Array(region.buffer, 256, 3), slots: new Int32Array(region.buffer, 512, SIZE) };
}

async function peer(r: SharedRegion, args: string[]): Promise<Child> {
  const child = spawnChild('cond-peer.mjs', args, [r.fd]);
  await child.expectLine('ready');
  return child;
}

describe('Cond between processes', () => {
  it('producer and consumer processes: 100 000 items through a 4-slot ring, each once, in order', async () => {
    const { region } = setup();
    const N = 100_000;
    const consumer = await peer(region, ['consumer', String(N)]);
    const producer = await peer(region, ['producer', String(N)]);
    const [p, c] = await Promise.all([producer.line(), consumer.line()]);
    expect(p).toBe('done');
    expect(c).toBe(`done ${N} ${(N * (N - 1)) / 2}`);
  });

  it('the main thread as an async consumer (Mutex.lock + Cond.wait through a lock agent) of a producer process', async () => {
    const { region, mutex, notEmpty, notFull, ctl, slots } = setup();
    const N = 5_000;
    const producer = await peer(region, ['producer', String(N)]);
    let timerTicks = 0;
    const ticker = setInterval(() => timerTicks++, 1);
    try {
      let expected = 0;
      while (expected < N) {
        await mutex.lock();
        try {
          while (ctl[2] === 0) await notEmpty.wait(mutex, { timeoutMs: 20_000 });
          while (ctl[2] > 0) {
            expect(slots[ctl[0]]).toBe(expected++);
            ctl[0] = (ctl[0] + 1) % SIZE;
            ctl[2]--;
          }
          notFull.signal();
        } finally {
          mutex.unlock();
        }
      }
    } finally {
      clearInterval(ticker);
    }
    expect(await producer.line()).toBe('done');
    expect(timerTicks).toBeGreaterThan(0); // the loop kept running while we waited
  });

  it('an async cond wait: ETIMEDOUT and AbortError both come back with the mutex held (by our agent)', async () => {
    const { region, mutex, notEmpty } = setup();
    const other = await peer(region, ['cmd']);
    const ask = async (cmd: string) => (other.send(cmd), other.line());
    await mutex.lock();
    await expect(notEmpty.wait(mutex, { timeoutMs: 20 })).rejects.toMatchObject({ code: 'ETIMEDOUT', syscall: 'pthread_cond_clockwait' });
    expect(await ask('trylock')).toBe('trylock false');
    const ac = new AbortController();
    const waiting = notEmpty.wait(mutex, { signal: ac.signal });
    // Once the agent is inside the wait the mutex is free: the other process can take it and let go.
    // (The agent gets there on its own thread, some time after wait() returned: ask until it is.)
    let got = await ask('trylock');
    for (let i = 0; i < 10_000 && got === 'trylock false'; i++) got = await ask('trylock');
    expect(got).toBe('trylock true');
    expect(await ask('unlock')).toBe('unlocked');
    ac.abort();
    await expect(waiting).rejects.toMatchObject({ name: 'AbortError' });
    expect(await ask('trylock')).toBe('trylock false');
    expect(() => mutex.unlock()).not.toThrow();
    expect(await ask('trylock')).toBe('trylock true');
    expect(await ask('unlock')).toBe('unlocked');
  });

  it('waitSync: ETIMEDOUT with the mutex held; use after close is ERR_INVALID_STATE', () => {
    const { mutex, notEmpty } = setup();
    mutex.lockSync();
    expect(() => notEmpty.waitSync(mutex, 10)).toThrow(expect.objectContaining({ code: 'ETIMEDOUT' }));
    expect(() => mutex.lockSync()).toThrow(expect.objectContaining({ code: 'EDEADLK' })); // still ours
    mutex.unlock();
    expect(() => notEmpty.waitSync(mutex, 10)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_STATE' }));
    notEmpty.close();
    for (const call of [() => notEmpty.signal(), () => notEmpty.broadcast(), () => notEmpty.waitSync(mutex)]) {
      expect(call).toThrow(expect.objectContaining({ code: 'ERR_INVALID_STATE' }));
    }
  });
});
