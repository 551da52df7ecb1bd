// RwLock between processes: readers share it (observed: two inside at once), a writer excludes them
// (observed: no reader in another process sees a half-written record — and without the lock they do);
// the async forms from the main thread; the error cases.
import { afterEach, describe, expect, it } from 'vitest';
import { RwLock, Semaphore, SharedRegion } from '../src/index.js';
import { ask, killChildren, spawnChild, type Child } from './pthread-child.js';

let region: SharedRegion | undefined;
const closers: Array<() => void> = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) c();
  await killChildren();
  region?.close();
  region = undefined;
});

function setup(opts: { preferWriters?: boolean } = {}) {
  region = SharedRegion.create(64 * 1024);
  const rw = RwLock.create(region.buffer, 0, opts);
  const go = Semaphore.create(region.buffer, 64, 0);
  closers.push(() => rw.close(), () => go.close());
  return { region, rw, go, ctl: new Int32Array(region.buffer, 128, 4) };
}

async function start(r: SharedRegion, go: Semaphore, args: string[][]): Promise<Child[]> {
  const children = args.map((a) => spawnChild('rwlock-peer.mjs', a, [r.fd]));
  for (const c of children) await c.expectLine('ready');
  for (let i = 0; i < children.length; i++) go.post(); // all start together
  return children;
}

describe('RwLock between processes', () => {
  it('admits concurrent readers: two reader processes are inside at the same time', async () => {
    const { region, go, ctl } = setup();
    const readers = await start(region, go, [['overlap-reader'], ['overlap-reader']]);
    const results = await Promise.all(readers.map((c) => c.line()));
    expect(results).toEqual(['done 2', 'done 2']);
    expect(Atomics.load(ctl, 1)).toBe(2);
  });

  // A run: one writer and two readers, all processes. Returns the readers' reads, torn reads and
  // distinct values seen.
  async function run(mode: 'lock' | 'nolock') {
    const { region, go } = setup({ preferWriters: true });
    const [writer, ...readers] = await start(region, go, [['writer', mode, '3000'], ['reader', mode], ['reader', mode]]);
    expect(await writer.line()).toBe('done');
    const stats = (await Promise.all(readers.map((c) => c.line()))).map((l) => l.split(' ').slice(1).map(Number));
    for (const c of closers.splice(0).reverse()) c();
    await killChildren();
    region.close();
    return { reads: stats.map((s) => s[0]), torn: stats.reduce((n, s) => n + s[1], 0), distinct: stats.map((s) => s[2]) };
  }

  it('excludes writers: with the lock no reader sees a half-written record; without it readers do', async () => {
    const locked = await run('lock');
    for (const n of locked.reads) expect(n).toBeGreaterThan(0);
    // The readers ran while the writer wrote (they saw it make progress), and never saw a torn record.
    for (const d of locked.distinct) expect(d).toBeGreaterThan(1);
    expect(locked.torn).toBe(0);
    // The same run without the lock tears: the check above can see a torn record. A few tries, as
    // the scheduler may happen to keep them apart.
    let torn = 0;
    for (let i = 0; i < 5 && torn === 0; i++) torn = (await run('nolock')).torn;
    expect(torn).toBeGreaterThan(0);
  });
});

describe('RwLock async forms (a lock agent holds it for the main thread)', () => {
  it('rdLock() shares with a reader process, wrLock() waits for it; a writer process waits for our wrLock()', async () => {
    const { region, rw, go } = setup();
    const [child] = await start(region, go, [['cmd']]);
    expect(await ask(child, 'rdlock')).toBe('locked');
    await rw.rdLock(); // a second reader, at once
    expect(await ask(child, 'trywr')).toBe('trywr false');
    rw.unlock();
    let wrote = false;
    const writing = rw.wrLock().then(() => (wrote = true));
    await new Promise((r) => setImmediate(r));
    expect(wrote).toBe(false); // the child still reads
    expect(await ask(child, 'unlock')).toBe('unlocked');
    await writing;
    expect(await ask(child, 'tryrd')).toBe('tryrd false'); // held for writing, by our agent
    rw.unlock();
    expect(await ask(child, 'tryrd')).toBe('tryrd true');
    expect(await ask(child, 'unlock')).toBe('unlocked');
  });

  it('timeout → ETIMEDOUT, abort → AbortError, neither leaves it held', async () => {
    const { region, rw, go } = setup();
    const [child] = await start(region, go, [['cmd']]);
    expect(await ask(child, 'wrlock')).toBe('locked');
    await expect(rw.rdLock({ timeoutMs: 20 })).rejects.toMatchObject({ code: 'ETIMEDOUT', syscall: 'pthread_rwlock_clockrdlock' });
    expect(() => rw.rdLockSync(20)).toThrow(expect.objectContaining({ code: 'ETIMEDOUT' }));
    const ac = new AbortController();
    const p = rw.wrLock({ signal: ac.signal });
    ac.abort();
    await expect(p).rejects.toMatchObject({ name: 'AbortError' });
    expect(await ask(child, 'unlock')).toBe('unlocked');
    expect(await ask(child, 'trywr')).toBe('trywr true');
    expect(await ask(child, 'unlock')).toBe('unlocked');
  });
});

describe('RwLock errors', () => {
  it('EDEADLK on a writer relocking; ERR_INVALID_STATE for unlock with nothing held, a blocking lock over an agent hold, use after close', async () => {
    const { rw } = setup();
    rw.wrLockSync();
    expect(() => rw.wrLockSync()).toThrow(expect.objectContaining({ code: 'EDEADLK' }));
    expect(() => rw.rdLockSync()).toThrow(expect.objectContaining({ code: 'EDEADLK' }));
    expect(rw.tryRdLock()).toBe(false);
    rw.unlock();
    expect(() => rw.unlock()).toThrow(expect.objectContaining({ code: 'ERR_INVALID_STATE' }));
    await rw.rdLock();
    expect(() => rw.wrLockSync(1)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_STATE' }));
    expect(rw.tryRdLock()).toBe(true); // readers share, whichever thread
    rw.unlock();
    rw.unlock();
    expect(rw.tryWrLock()).toBe(true);
    rw.close(); // unlocks what it holds
    const again = RwLock.at(rw.buffer, 0);
    expect(again.tryWrLock()).toBe(true);
    again.unlock();
    for (const call of [() => rw.rdLockSync(), () => rw.tryWrLock(), () => rw.unlock()]) {
      expect(call).toThrow(expect.objectContaining({ code: 'ERR_INVALID_STATE' }));
    }
    await expect(rw.wrLock()).rejects.toMatchObject({ code: 'ERR_INVALID_STATE' });
    expect(() => RwLock.create(rw.buffer, 4)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
  });
});
