// The async forms of the owned pthread locks (a lock agent takes the lock on a thread of its own and
// holds it for the JS thread), contended with real child processes; and the error cases of Mutex.
import { readFile } from 'node:fs/promises';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { Cond, Mutex, SharedRegion } from '../src/index.js';
import { ask, deadline, killChildren, spawnChild, type Child } from './pthread-child.js';

let region: SharedRegion | undefined;
const closers: Array<() => void> = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) c();
  await killChildren();
  region?.close();
  region = undefined;
});

function setup(opts: { type?: 'normal' | 'errorcheck'; robust?: boolean } = {}) {
  region = SharedRegion.create(4096);
  const mutex = Mutex.create(region.buffer, 0, { type: opts.type ?? 'errorcheck', robust: opts.robust });
  closers.push(() => mutex.close());
  return { region, mutex };
}

async function peer(r: SharedRegion): Promise<Child> {
  const child = spawnChild('mutex-peer.mjs', ['0'], [r.fd]);
  await child.expectLine('ready');
  return child;
}

describe('Mutex.lock() through a lock agent', () => {
  it('waits while a child process holds the mutex, gets it once the child unlocks, and holds it until unlock()', async () => {
    const { region, mutex } = setup();
    const child = await peer(region);
    expect(await ask(child, 'lock')).toBe('locked');
    let resolved = false;
    const locking = mutex.lock().then(() => (resolved = true));
    // The event loop runs meanwhile (this await is a turn of it) and the child still holds the lock.
    await new Promise((r) => setImmediate(r));
    expect(resolved).toBe(false);
    expect(await ask(child, 'unlock')).toBe('unlocked');
    await locking;
    // Held for us by the agent: the child cannot take it, and the agent, not the JS thread, owns it.
    expect(await ask(child, 'trylock')).toBe('trylock false');
    mutex.unlock();
    expect(await ask(child, 'trylock')).toBe('trylock true');
    expect(await ask(child, 'unlock')).toBe('unlocked');
  });

  it('timeoutMs: rejects with ETIMEDOUT and does not hold the lock afterwards', async () => {
    const { region, mutex } = setup();
    const child = await peer(region);
    expect(await ask(child, 'lock')).toBe('locked');
    await expect(mutex.lock({ timeoutMs: 30 })).rejects.toMatchObject({ code: 'ETIMEDOUT', syscall: 'pthread_mutex_clocklock' });
    expect(await ask(child, 'unlock')).toBe('unlocked');
    expect(await ask(child, 'trylock')).toBe('trylock true');
  });

  it('AbortSignal: rejects with AbortError and the lock is not held afterwards — another process can take it', async () => {
    const { region, mutex } = setup();
    const child = await peer(region);
    expect(await ask(child, 'lock')).toBe('locked');
    const ac = new AbortController();
    const locking = mutex.lock({ signal: ac.signal });
    ac.abort();
    await expect(locking).rejects.toMatchObject({ name: 'AbortError' });
    expect(await ask(child, 'unlock')).toBe('unlocked');
    expect(await ask(child, 'trylock')).toBe('trylock true');
    expect(await ask(child, 'unlock')).toBe('unlocked');
    // An abort just after the child unlocked: the agent has most likely taken the lock already and its
    // report is on its way. Whichever wins, an AbortError means the lock is not held.
    for (let i = 0; i < 20; i++) {
      expect(await ask(child, 'lock')).toBe('locked');
      const race = new AbortController();
      const p = mutex.lock({ signal: race.signal });
      expect(await ask(child, 'unlock')).toBe('unlocked');
      race.abort();
      const outcome = await p.then(
        () => 'held' as const,
        (err: Error) => (expect(err.name).toBe('AbortError'), 'aborted' as const),
      );
      if (outcome === 'held') mutex.unlock();
      expect(await ask(child, 'trylock')).toBe('trylock true');
      expect(await ask(child, 'unlock')).toBe('unlocked');
    }
    await expect(mutex.lock({ signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('8 pending lock() waits leave timers firing and fs.promises.readFile completing (no threadpool thread is taken)', async () => {
    const { region } = setup();
    const child = await peer(region);
    expect(await ask(child, 'lock')).toBe('locked');
    const handles = Array.from({ length: 8 }, () => Mutex.at(region.buffer, 0));
    for (const h of handles) closers.push(() => h.close());
    const waits = handles.map((h) => h.lock().then(() => h.unlock()));
    // libuv's pool has 4 threads: had each wait taken one, readFile would never run.
    await new Promise((r) => setTimeout(r, 1));
    const guard = deadline(10_000, 'readFile with 8 lock waits pending');
    try {
      const text = await Promise.race([readFile(new URL(import.meta.url), 'utf8'), guard.promise]);
      expect(text).toContain('8 pending lock() waits');
    } finally {
      guard.cancel();
    }
    expect(await ask(child, 'unlock')).toBe('unlocked');
    await Promise.all(waits); // each took it in turn and let go
    expect(await ask(child, 'trylock')).toBe('trylock true');
    expect(await ask(child, 'unlock')).toBe('unlocked');
  });

  it('a robust mutex held by a lock agent in a process that dies reports EOWNERDEAD to the next locker', async () => {
    const { region, mutex } = setup({ robust: true });
    const child = await peer(region);
    expect(await ask(child, 'alock')).toBe('locked');
    child.send('die');
    expect((await child.exited).code).toBe(7);
    expect(() => mutex.lockSync(10_000)).toThrow(expect.objectContaining({ code: 'EOWNERDEAD', lockHeld: true })); // a timeout: the hang guard
    mutex.consistent();
    mutex.unlock();
    // …and an async locker of the next death gets EOWNERDEAD with the lock held, consistent() via its agent.
    const child2 = await peer(region);
    expect(await ask(child2, 'lock')).toBe('locked');
    child2.send('die');
    await child2.exited;
    await expect(mutex.lock()).rejects.toMatchObject({ code: 'EOWNERDEAD', lockHeld: true });
    mutex.consistent();
    mutex.unlock();
    const child3 = await peer(region);
    expect(await ask(child3, 'trylock')).toBe('trylock true');
  });
});

describe('Mutex errors: clear, never a crash', () => {
  it('errorcheck: relocking from the owning thread is EDEADLK', () => {
    const { mutex } = setup();
    mutex.lockSync();
    expect(() => mutex.lockSync()).toThrow(expect.objectContaining({ code: 'EDEADLK', syscall: 'pthread_mutex_lock' }));
    mutex.unlock();
  });

  it('errorcheck: unlock by a thread that does not own it is EPERM (a worker thread; also when held by an agent)', async () => {
    const { region, mutex } = setup();
    const unlockInWorker = async () => {
      const w = new Worker(
        `const { parentPort, workerData } = require('node:worker_threads');
         import(workerData.url).then(({ Mutex }) => {
           try { Mutex.at(workerData.buffer, 0).unlock(); parentPort.postMessage('unlocked'); }
           catch (err) { parentPort.postMessage(err.code + ' ' + err.syscall); }
         });`,
        { eval: true, workerData: { buffer: region.buffer, url: new URL('../dist/index.js', import.meta.url).href } },
      );
      const [msg] = (await Promise.all([new Promise((r) => w.once('message', r)), new Promise((r) => w.once('exit', r))])) as [string];
      return msg;
    };
    mutex.lockSync();
    expect(await unlockInWorker()).toBe('EPERM pthread_mutex_unlock');
    mutex.unlock();
    await mutex.lock();
    expect(await unlockInWorker()).toBe('EPERM pthread_mutex_unlock');
    mutex.unlock();
    expect(mutex.tryLock()).toBe(true);
    mutex.unlock();
  });

  it('a blocking lock on a handle whose agent holds it is refused (it would wait for itself); held the other way for a cond wait: ERR_INVALID_STATE', async () => {
    const { region, mutex } = setup({ type: 'normal' });
    const cond = Cond.create(region.buffer, 128);
    closers.push(() => cond.close());
    await mutex.lock();
    expect(() => mutex.lockSync()).toThrow(expect.objectContaining({ code: 'ERR_INVALID_STATE' }));
    expect(() => cond.waitSync(mutex, 1)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_STATE', message: expect.stringContaining('await cond.wait') }));
    mutex.unlock();
    await expect(cond.wait(mutex)).rejects.toMatchObject({ code: 'ERR_INVALID_STATE', message: expect.stringContaining('not held') });
    mutex.lockSync();
    await expect(cond.wait(mutex)).rejects.toMatchObject({ code: 'ERR_INVALID_STATE', message: expect.stringContaining('waitSync') });
    mutex.unlock();
  });

  it('use after close is ERR_INVALID_STATE; close() rejects pending lock()s and lets go of what the handle holds', async () => {
    const { region, mutex } = setup();
    const child = await peer(region);
    const mine = Mutex.at(region.buffer, 0);
    await mine.lock();
    const other = Mutex.at(region.buffer, 0);
    const pending = other.lock();
    other.close();
    await expect(pending).rejects.toMatchObject({ code: 'ERR_INVALID_STATE' });
    mine.close();
    expect(await ask(child, 'trylock')).toBe('trylock true'); // mine's agent let go
    expect(await ask(child, 'unlock')).toBe('unlocked');
    for (const call of [() => mine.lockSync(), () => mine.tryLock(), () => mine.unlock(), () => mine.consistent()]) {
      expect(call).toThrow(expect.objectContaining({ code: 'ERR_INVALID_STATE' }));
    }
    await expect(mine.lock()).rejects.toMatchObject({ code: 'ERR_INVALID_STATE' });
    await expect(mutex.lock({ timeoutMs: -1 })).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    expect(() => Mutex.at(region.buffer, 4)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
  });
});
