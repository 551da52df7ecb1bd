// The locks the sync semantics probe (runners/sync-semantics.ts) looks at, over one shared region
// (layout below). It needs more than primitives.ts's contended locks — a timed take, the async form,
// robust recovery, named handles — and adds V8's Atomics.wait/notify made into the same 3-state lock
// as FutexMutex, sleeping in V8's per-process emulation instead of futex(2), for comparison.
import { FutexMutex, FutexSemaphore, Mutex, NamedSemaphore, RwLock, Semaphore } from '@ipc-compare/sync';

export const PRIMITIVES = ['futex-mutex', 'atomics-wait-mutex', 'mutex', 'robust-mutex', 'rwlock', 'semaphore', 'futex-semaphore', 'named-semaphore'] as const;
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
}

/** Creates, in the creator's process, what the primitive needs (named: a name to pass on). */
export function setUp(id: PrimitiveId, buffer: SharedArrayBuffer): { name?: string; close(): void } {
  if (id === 'mutex') Mutex.create(buffer, MUTEX);
  if (id === 'robust-mutex') Mutex.create(buffer, ROBUST, { robust: true });
  if (id === 'rwlock') RwLock.create(buffer, RWLOCK);
  if (id === 'semaphore') Semaphore.create(buffer, SEM, 1);
  if (id === 'futex-semaphore') FutexSemaphore.create(buffer, FSEM, 1);
  if (id === 'named-semaphore') {
    const s = NamedSemaphore.create({ value: 1 });
    return { name: s.name, close: () => s.close() };
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
export function lockOf(id: PrimitiveId, buffer: SharedArrayBuffer, name?: string): Lock {
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
    case 'named-semaphore': {
      const s = NamedSemaphore.open(name!);
      return { acquire: () => s.waitSync(), acquireWithin: (ms) => within(() => s.waitSync(ms)), release: () => s.post(), acquireAsync: () => s.wait() };
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
