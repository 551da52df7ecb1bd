// The locks the sync semantics probe (runners/sync-semantics.ts) looks at, over one shared region
// (layout below). It needs more than primitives.ts's contended locks — a timed take, the async form,
// robust recovery, named handles — and adds V8's Atomics.wait/notify made into the same 3-state lock
// as FutexMutex, sleeping in V8's per-process emulation instead of futex(2), for comparison. The two
// primitives that are not locks are probed as the lock each makes: a Cond as a monitor (a `held`
// word guarded by a Mutex, waited for on the Cond), an EventFd in semaphore mode with one unit. An
// XSI semaphore (SEM_UNDO) lives in the kernel, not in the region: a party finds it by its id.
import { Cond, EventFd, FutexMutex, FutexSemaphore, Mutex, NamedSemaphore, RwLock, Semaphore, XsiSemaphore } from '@ipc-compare/sync';

export const PRIMITIVES = ['futex-mutex', 'atomics-wait-mutex', 'mutex', 'robust-mutex', 'rwlock', 'cond', 'semaphore', 'futex-semaphore', 'named-semaphore', 'xsi-semaphore', 'eventfd'] as const;
export type PrimitiveId = (typeof PRIMITIVES)[number];

// Byte offsets in the probe's region.
export const READY = 0;
export const COUNTER = 4;
export const SLEEPS = 8; // int32 [2]: sleeps ended by a wake, sleeps ended by their timeout
const FUTEX = 16;
const ATOMICS = 20;
const FSEM = 24; // 8 bytes
const MUTEX = 64;
const ROBUST = 128;
const SEM = 192;
const RWLOCK = 256; // the write lock (56 bytes)
const COND_HELD = 32;
const COND_MUTEX = 320;
const COND = 384;
/** A child process gets the eventfd as this fd (after the region's 3). */
export const EVENTFD_CHILD_FD = 4;
export const REGION_BYTES = 4096;

export interface Lock {
  acquire(): void;
  /** Acquires within `ms`: true; false if still held by someone then. */
  acquireWithin(ms: number): boolean;
  release(): void;
  /** The async form (waits off the JS thread), where the primitive has one. */
  acquireAsync?: () => Promise<void>;
  /** A robust mutex's note that its last owner died (then repaired). */
  recovered?: boolean;
  /** Releases this party's handle (an eventfd's fd). */
  close?: () => void;
}

/** What a party gets besides the region: a named semaphore's name (an XSI set's id, in decimal), or an eventfd it owns. */
export interface Reach {
  name?: string;
  fd?: number;
}

/**
 * The syscall (x86_64 number) a party blocked taking the lock sleeps in. glibc's semop(3) is
 * semtimedop(2) with no timeout (since 2.31; strace shows it), so an XSI sleeper is in 220, not 65.
 */
export function sleepSyscall(id: PrimitiveId): { nr: number; name: string } {
  if (id === 'eventfd') return { nr: 7, name: 'poll(2)' };
  if (id === 'xsi-semaphore') return { nr: 220, name: 'semtimedop(2)' };
  return { nr: 202, name: 'futex(2)' };
}

/** Creates, in the creator's process, what the primitive needs (a name, an id or an fd to pass on). */
export function setUp(id: PrimitiveId, buffer: SharedArrayBuffer): { name?: string; fd?: number; close(): void } {
  if (id === 'mutex') Mutex.create(buffer, MUTEX);
  if (id === 'cond') {
    Mutex.create(buffer, COND_MUTEX);
    Cond.create(buffer, COND);
  }
  if (id === 'eventfd') {
    const e = EventFd.create({ semaphore: true, initial: 1 });
    return { fd: e.fd, close: () => e.close() };
  }
  if (id === 'robust-mutex') Mutex.create(buffer, ROBUST, { robust: true });
  if (id === 'rwlock') RwLock.create(buffer, RWLOCK);
  if (id === 'semaphore') Semaphore.create(buffer, SEM, 1);
  if (id === 'futex-semaphore') FutexSemaphore.create(buffer, FSEM, 1);
  if (id === 'named-semaphore') {
    const s = NamedSemaphore.create({ value: 1 });
    return { name: s.name, close: () => s.close() };
  }
  if (id === 'xsi-semaphore') {
    const s = XsiSemaphore.create({ value: 1 }); // SEM_UNDO: what each party takes it gives back, or the kernel does
    return { name: String(s.id), close: () => s.close() };
  }
  return { close() {} };
}

/** Atomics.wait sleeps of at most this long: a sleeper nobody wakes still gets on (and is counted). */
const ATOMICS_SLEEP_MS = 5;

function atomicsMutex(buffer: SharedArrayBuffer): Lock {
  const w = new Int32Array(buffer);
  const i = ATOMICS / 4;
  const sleep = () => {
    const r = Atomics.wait(w, i, 2, ATOMICS_SLEEP_MS);
    if (r === 'ok') Atomics.add(w, SLEEPS / 4, 1);
    if (r === 'timed-out') Atomics.add(w, SLEEPS / 4 + 1, 1);
  };
  const lockUntil = (deadline: number) => {
    let c = Atomics.compareExchange(w, i, 0, 1);
    if (c === 0) return true;
    if (c !== 2) c = Atomics.exchange(w, i, 2);
    while (c !== 0) {
      if (Date.now() > deadline) return false;
      sleep();
      c = Atomics.exchange(w, i, 2);
    }
    return true;
  };
  return {
    acquire: () => void lockUntil(Infinity),
    acquireWithin: (ms) => lockUntil(Date.now() + ms),
    release: () => {
      if (Atomics.sub(w, i, 1) !== 1) {
        Atomics.store(w, i, 0);
        Atomics.notify(w, i, 1);
      }
    },
  };
}

function timedOut(err: unknown): boolean {
  return (err as { code?: string }).code === 'ETIMEDOUT';
}

/** The primitive `id` as a lock, in this thread or process. */
export function lockOf(id: PrimitiveId, buffer: SharedArrayBuffer, reach: Reach = {}): Lock {
  const name = reach.name;
  switch (id) {
    case 'futex-mutex': {
      const m = new FutexMutex(buffer, FUTEX);
      return { acquire: () => m.lockSync(), acquireWithin: (ms) => within(() => m.lockSync(ms)), release: () => m.unlock(), acquireAsync: () => m.lock() };
    }
    case 'atomics-wait-mutex':
      return atomicsMutex(buffer);
    case 'mutex':
    case 'robust-mutex': {
      const m = Mutex.at(buffer, id === 'mutex' ? MUTEX : ROBUST);
      const lock: Lock = {
        acquire: () => void lock.acquireWithin(-1),
        acquireWithin: (ms) =>
          within(() => {
            try {
              m.lockSync(ms < 0 ? undefined : ms);
            } catch (err) {
              if ((err as { code?: string }).code !== 'EOWNERDEAD') throw err;
              lock.recovered = true; // held now: the data it guards is ours to repair
              m.consistent();
            }
          }),
        release: () => m.unlock(),
        acquireAsync: async () => {
          try {
            await m.lock();
          } catch (err) {
            if ((err as { code?: string }).code !== 'EOWNERDEAD') throw err;
            lock.recovered = true;
            m.consistent();
          }
        },
      };
      return lock;
    }
    case 'rwlock': {
      const l = RwLock.at(buffer, RWLOCK);
      return { acquire: () => l.wrLockSync(), acquireWithin: (ms) => within(() => l.wrLockSync(ms)), release: () => l.unlock(), acquireAsync: () => l.wrLock() };
    }
    case 'semaphore': {
      const s = Semaphore.at(buffer, SEM);
      return { acquire: () => s.waitSync(), acquireWithin: (ms) => within(() => s.waitSync(ms)), release: () => s.post(), acquireAsync: () => s.wait() };
    }
    case 'futex-semaphore': {
      const s = FutexSemaphore.at(buffer, FSEM);
      return { acquire: () => s.waitSync(), acquireWithin: (ms) => within(() => s.waitSync(ms)), release: () => s.post(), acquireAsync: () => s.wait() };
    }
    case 'cond': {
      // A monitor: `held` changes only under the mutex; a taker waits on the cond while it is set.
      const m = Mutex.at(buffer, COND_MUTEX);
      const c = Cond.at(buffer, COND);
      const held = new Int32Array(buffer, COND_HELD, 1);
      const take = (ms: number | undefined) => {
        const deadline = ms === undefined ? Infinity : Date.now() + ms;
        m.lockSync();
        try {
          while (held[0] !== 0) {
            if (deadline !== Infinity && Date.now() >= deadline) return false;
            try {
              c.waitSync(m, deadline === Infinity ? undefined : Math.max(1, deadline - Date.now()));
            } catch (err) {
              if (!timedOut(err)) throw err;
            }
          }
          held[0] = 1;
          return true;
        } finally {
          m.unlock();
        }
      };
      return {
        acquire: () => void take(undefined),
        acquireWithin: (ms) => take(ms),
        release: () => {
          m.lockSync();
          held[0] = 0;
          c.signal();
          m.unlock();
        },
        acquireAsync: async () => {
          await m.lock();
          try {
            while (held[0] !== 0) await c.wait(m);
            held[0] = 1;
          } finally {
            m.unlock();
          }
        },
      };
    }
    case 'eventfd': {
      const e = EventFd.inherit(reach.fd!);
      return {
        acquire: () => void e.waitSync(),
        acquireWithin: (ms) => within(() => void e.waitSync(ms)),
        release: () => e.post(),
        acquireAsync: async () => void (await e.wait()),
        close: () => e.close(),
      };
    }
    case 'named-semaphore': {
      const s = NamedSemaphore.open(name!);
      return { acquire: () => s.waitSync(), acquireWithin: (ms) => within(() => s.waitSync(ms)), release: () => s.post(), acquireAsync: () => s.wait() };
    }
    case 'xsi-semaphore': {
      const s = XsiSemaphore.open(Number(name));
      return { acquire: () => s.waitSync(), acquireWithin: (ms) => within(() => s.waitSync(ms)), release: () => s.post(), acquireAsync: () => s.wait(), close: () => s.close() };
    }
  }
}

function within(take: () => void): boolean {
  try {
    take();
    return true;
  } catch (err) {
    if (timedOut(err)) return false;
    throw err;
  }
}
