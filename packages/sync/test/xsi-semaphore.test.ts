// XSI (System V) semaphores across real processes that share nothing but the set's id — and the
// property they are here for: SEM_UNDO gives a dead holder's unit back, where a POSIX semaphore's
// stays taken. Peers are xsi-peer.mjs children; a test waits for what they say, or for the kernel's
// count of sleepers on the set (GETNCNT), never for time.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { XSI_SEM_MAX, XsiSemaphore } from '../src/index.js';
import { deadline, killChildren, spawnChild, type Child } from './pthread-child.js';

const made: XsiSemaphore[] = [];
const ids: number[] = [];
afterEach(async () => {
  await killChildren();
  made.splice(0).forEach((s) => s.close());
  // Nothing left: every set a test made is gone from the kernel's table.
  const left = ids.splice(0).filter((id) => row(id) !== undefined);
  expect(left, 'XSI semaphore sets left behind').toEqual([]);
});

function fresh(opts: { value?: number; undo?: boolean } = {}): XsiSemaphore {
  const s = XsiSemaphore.create(opts);
  made.push(s);
  ids.push(s.id);
  return s;
}

/** The set's line in /proc/sysvipc/sem (key semid perms nsems uid gid cuid cgid otime ctime), if it exists. */
function row(id: number): Record<string, number> | undefined {
  const [head, ...lines] = readFileSync('/proc/sysvipc/sem', 'utf8').trim().split('\n');
  const keys = head!.trim().split(/\s+/);
  for (const l of lines) {
    const v = l.trim().split(/\s+/).map(Number);
    if (v[1] === id) return Object.fromEntries(keys.map((k, i) => [k, v[i]!]));
  }
  return undefined;
}

/** A child that opened the set by its id (`undo` or not) and said so. */
async function peer(s: XsiSemaphore, undo: boolean): Promise<Child> {
  const c = spawnChild('xsi-peer.mjs', [String(s.id), undo ? 'undo' : 'no-undo']);
  await c.expectLine('ready');
  return c;
}

/** Resolves once `n` threads (of any process) sleep in semop on the set: the kernel's own count. */
async function sleepers(s: XsiSemaphore, n: number): Promise<void> {
  const guard = deadline(20_000, `${n} sleeper(s) on XSI set ${s.id}`);
  try {
    await Promise.race([
      (async () => {
        while (s.waiters < n) await new Promise((r) => setImmediate(r));
      })(),
      guard.promise,
    ]);
  } finally {
    guard.cancel();
  }
}

describe('a set of one semaphore, by id', () => {
  it('create: key IPC_PRIVATE, mode 0600, nsems 1, our uid, the value asked for; close() removes it at once', () => {
    const s = fresh({ value: 3 });
    expect(row(s.id)).toMatchObject({ key: 0, semid: s.id, perms: 600, nsems: 1, uid: process.getuid!(), cuid: process.getuid!() });
    expect(s.value).toBe(3);
    expect(s.undo).toBe(true);
    s.close();
    expect(row(s.id)).toBeUndefined();
    expect(() => XsiSemaphore.open(s.id)).toThrow(expect.objectContaining({ code: 'EINVAL', syscall: 'semctl' }));
  });

  it('an opener closing does not remove it; use after close is ERR_INVALID_STATE', () => {
    const s = fresh({ value: 1 });
    const o = XsiSemaphore.open(s.id);
    expect(o.tryWait()).toBe(true);
    o.post();
    o.close();
    expect(row(s.id)).toBeDefined();
    for (const use of [() => o.post(), () => o.tryWait(), () => o.waitSync(), () => o.value]) expect(use).toThrow(expect.objectContaining({ code: 'ERR_INVALID_STATE' }));
    return expect(o.wait()).rejects.toMatchObject({ code: 'ERR_INVALID_STATE' });
  });

  it('bad inputs are refused before any syscall; a set that is not one semaphore is refused', () => {
    for (const value of [-1, XSI_SEM_MAX + 1, 1.5, NaN]) expect(() => XsiSemaphore.create({ value })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => XsiSemaphore.create({ undo: 'yes' as unknown as boolean })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    for (const id of [-1, 2 ** 31, 0.5]) expect(() => XsiSemaphore.open(id)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    const out = execFileSync('ipcmk', ['-S', '2', '-p', '0600'], { encoding: 'utf8' }); // "Semaphore id: N"
    const two = Number(/(\d+)\s*$/.exec(out.trim())![1]);
    ids.push(two);
    try {
      expect(() => XsiSemaphore.open(two)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    } finally {
      execFileSync('ipcrm', ['-s', String(two)]);
    }
  });

  it('a post past SEMVMX (32767) is ERANGE from the kernel', () => {
    const s = fresh({ value: XSI_SEM_MAX, undo: false });
    expect(() => s.post()).toThrow(expect.objectContaining({ code: 'ERANGE', syscall: 'semop' }));
    expect(s.value).toBe(XSI_SEM_MAX);
  });

  it.skipIf(process.getuid!() !== 0)('ids are global, guarded only by the mode bits: another uid gets EACCES (0600)', async () => {
    const s = fresh({ value: 1 });
    const c = spawnChild('xsi-peer.mjs', [String(s.id), 'undo'], [], { uid: 65534, gid: 65534 });
    expect(await c.line()).toBe('error EACCES');
  });
});

describe('between processes that share only the id', () => {
  it('a child opens it by id and posts; the waiter in the parent (async, the loop free) takes the unit', async () => {
    const s = fresh();
    const c = await peer(s, false); // a signal, not a lock: no undo (a post with SEM_UNDO is taken back at exit)
    let resolved = false;
    const waiting = s.wait({ timeoutMs: 20_000 }).then(() => (resolved = true));
    await sleepers(s, 1); // the parent's waiter thread sleeps in semtimedop
    await new Promise((r) => setTimeout(r, 1)); // a timer fires meanwhile
    expect(resolved).toBe(false);
    expect(await (c.send('post'), c.line())).toBe('posted');
    await waiting;
    expect(s.value).toBe(0);
  });

  it('the other way: the child sleeps in semop, the parent posts, the child takes the unit', async () => {
    const s = fresh({ undo: false });
    const c = await peer(s, true);
    c.send('wait');
    expect(await c.line()).toBe('waiting');
    await sleepers(s, 1);
    s.post();
    expect(await c.line()).toBe('acquired');
    expect(s.value).toBe(0);
  });

  it('SEM_UNDO: a child takes the unit and is SIGKILLed; the kernel gives it back and the next waitSync takes it', async () => {
    const s = fresh({ value: 1 });
    const c = await peer(s, true);
    c.send('wait');
    expect([await c.line(), await c.line()]).toEqual(['waiting', 'acquired']);
    expect(s.value).toBe(0);
    c.kill();
    expect((await c.exited).signal).toBe('SIGKILL');
    expect(s.value).toBe(1);
    s.waitSync(5_000); // hang guard only
    expect(s.value).toBe(0);
  });

  it('SEM_UNDO is per process: a unit the child took on a waiter thread (async wait) is given back at its death too', async () => {
    const s = fresh({ undo: false });
    const c = await peer(s, true);
    c.send('await');
    expect(await c.line()).toBe('waiting');
    await sleepers(s, 1); // the child's waiter thread, not its JS thread, sleeps in semtimedop
    s.post();
    expect(await c.line()).toBe('acquired');
    expect(s.value).toBe(0);
    c.kill();
    await c.exited;
    expect(s.value).toBe(1);
  });

  it('without SEM_UNDO the dead holder\'s unit stays taken: waitSync(100) is ETIMEDOUT', async () => {
    const s = fresh({ value: 1 });
    const c = await peer(s, false);
    c.send('wait');
    expect([await c.line(), await c.line()]).toEqual(['waiting', 'acquired']);
    c.kill();
    await c.exited;
    expect(s.value).toBe(0);
    expect(() => s.waitSync(100)).toThrow(expect.objectContaining({ code: 'ETIMEDOUT', syscall: 'semtimedop' }));
  });

  it('SEM_UNDO undoes posts too: a child that posted with undo and exited took its post back', async () => {
    const s = fresh();
    const c = await peer(s, true);
    expect(await (c.send('post'), c.line())).toBe('posted');
    expect(s.value).toBe(1);
    c.send('exit');
    expect((await c.exited).code).toBe(0);
    expect(s.value).toBe(0);
  });

  it('removed (IPC_RMID) while a child sleeps in semop: the child gets EIDRM', async () => {
    const s = fresh();
    const c = await peer(s, true);
    c.send('wait');
    expect(await c.line()).toBe('waiting');
    await sleepers(s, 1);
    s.close();
    expect(await c.line()).toBe('error EIDRM');
    expect(row(s.id)).toBeUndefined();
  });
});

describe('the async form (a waiter thread in semtimedop, 50 ms slices)', () => {
  it('removed while an async wait is pending: it rejects with EIDRM', async () => {
    const s = fresh();
    const o = XsiSemaphore.open(s.id);
    made.push(o);
    const waiting = o.wait();
    await sleepers(s, 1);
    s.close();
    await expect(waiting).rejects.toMatchObject({ code: 'EIDRM', errno: -43, syscall: 'semtimedop' });
  });

  it('timeout → ETIMEDOUT (sync and async), syscall semtimedop', async () => {
    const s = fresh();
    expect(() => s.waitSync(10)).toThrow(expect.objectContaining({ code: 'ETIMEDOUT', syscall: 'semtimedop' }));
    await expect(s.wait({ timeoutMs: 120 })).rejects.toMatchObject({ code: 'ETIMEDOUT', syscall: 'semtimedop' }); // more than one slice
    expect(() => s.waitSync(0)).toThrow(expect.objectContaining({ code: 'ETIMEDOUT' }));
  });

  it('abort → AbortError and takes nothing: a later post is still there', async () => {
    const s = fresh();
    const ac = new AbortController();
    const waiting = s.wait({ signal: ac.signal });
    await sleepers(s, 1);
    ac.abort();
    await expect(waiting).rejects.toMatchObject({ name: 'AbortError' });
    s.post();
    expect(s.value).toBe(1);
    await expect(s.wait({ signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' });
    expect(s.value).toBe(1);
  });

  it('8 pending waits on one set leave timers and fs.promises.readFile working; 8 posts end them all', async () => {
    const s = fresh();
    const pending = Array.from({ length: 8 }, () => s.wait({ timeoutMs: 20_000 }));
    await sleepers(s, 8); // 8 waiter threads asleep in the kernel, none on the threadpool
    await new Promise((resolve) => setTimeout(resolve, 1));
    expect((await readFile(new URL(import.meta.url))).length).toBeGreaterThan(0);
    for (let i = 0; i < 8; i++) s.post();
    await Promise.all(pending);
    expect(s.value).toBe(0);
  });
});
