// The table of synchronization primitives `ipc-compare bench sync` measures, and the shared region
// both parties use. One entry per primitive says what each part of the suite does with it, in the
// parent, in a child process and in a worker thread alike (all three import this module):
//   uncontended  operations timed in-process with mitata, each beside the C program's same calls
//   contended    a lock/unlock pair guarding a plain counter that two parties increment
//   pingpong     a wake-up channel: one round trip = the parent wakes the child, the child wakes it back
// A new primitive (RwLock, Cond, EventFd, …) is one more entry here plus, for its C baseline, one
// more case in bench/c/sync.c; the runner, the results and the table take it from the entry.
import { Cond, EventFd, FutexMutex, Mutex, NamedSemaphore, RwLock, Semaphore, XsiSemaphore } from '@ipc-compare/sync';
import { SyncWaiter, futexWait, futexWake, syncSizes } from '@ipc-compare/native';

/** Who the second party is: a child process (the region inherited as a memfd) or a worker thread. */
export type Workers = 'processes' | 'threads';

/** Byte offsets in the shared region (PROTOCOL.md, "Sync"). Int32 words first, then the C types. */
export const LAYOUT = {
  /** FutexMutex word (contended). */
  futexLock: 0,
  /** The child is up and waits for `go` (contended). */
  ready: 4,
  go: 8,
  /** The child has done its increments (contended). */
  done: 12,
  /** The parent tells the ping-pong child to return. */
  stop: 16,
  /** Ping-pong sequence words: parent → child, child → parent (futex and Atomics rows). */
  a: 20,
  b: 24,
  /** The child failed (it also wakes `ready` and `done`): the parent stops waiting for it. */
  failed: 28,
  /** The plain counter the contended parties increment (Int32). */
  counter: 32,
  mutex: 64,
  /** Semaphore used as a lock (contended, value 1). */
  semLock: 64 + 128,
  /** Ping-pong semaphores: parent → child, child → parent. */
  s1: 64 + 256,
  s2: 64 + 384,
  /** RwLock (uncontended rdLockSync+unlock). */
  rwlock: 64 + 512,
  /** Mutex + two Conds (ping-pong "mutex-cond"), and whose turn it is (1 the child's, 2 the parent's). */
  condMutex: 64 + 640,
  c1: 64 + 768,
  c2: 64 + 896,
  turn: 36,
  /** A named semaphore's name (contended): its byte length (Int32), then UTF-8 bytes (≤ 251). */
  nameLength: 40,
  /** An XSI semaphore set's id (contended): it lives in the kernel, the region only says which. */
  xsiId: 44,
  name: 64 + 1024,
} as const;
export const REGION_BYTES = 4096;
if (syncSizes.mutex > 128 || syncSizes.sem > 128 || syncSizes.rwlock > 128 || syncSizes.cond > 128) throw new Error('sync layout: a pthread type is larger than its 128-byte slot');

export function word(buffer: SharedArrayBuffer, offset: number): Int32Array {
  return new Int32Array(buffer, offset, 1);
}

/** Puts a name in the region for the peer (written before the peer starts). */
function writeName(buffer: SharedArrayBuffer, name: string): void {
  const bytes = new TextEncoder().encode(name);
  if (bytes.length > 251) throw new Error(`sync layout: the name "${name}" is longer than its slot`);
  new Uint8Array(buffer, LAYOUT.name, bytes.length).set(bytes);
  Atomics.store(word(buffer, LAYOUT.nameLength), 0, bytes.length);
}

function readName(buffer: SharedArrayBuffer): string {
  const n = Atomics.load(word(buffer, LAYOUT.nameLength), 0);
  return new TextDecoder().decode(new Uint8Array(buffer, LAYOUT.name, n).slice());
}

// ---- uncontended ---------------------------------------------------------------------------------

/** One in-process operation: `setup` makes the function mitata times; `cOp` is the C program's op. */
export interface UncontendedOp {
  op: string;
  cOp: CUncontendedOp;
  setup(buffer: SharedArrayBuffer): { fn: () => void; close(): void };
}

export type CUncontendedOp = 'cas-store' | 'futex-lock-unlock' | 'pthread-mutex-lock-unlock' | 'pthread-rwlock-rdlock-unlock' | 'sem-post-wait' | 'named-sem-post-wait' | 'xsi-sem-post-wait';

export const C_UNCONTENDED_TITLES: Record<CUncontendedOp, string> = {
  'cas-store': 'CAS + store (__atomic, seq_cst)',
  'futex-lock-unlock': 'futex lock + unlock fast path (CAS, fetch_sub)',
  'pthread-mutex-lock-unlock': 'pthread_mutex_lock + unlock (pshared)',
  'pthread-rwlock-rdlock-unlock': 'pthread_rwlock_rdlock + unlock (pshared)',
  'sem-post-wait': 'sem_post + sem_wait (pshared)',
  'named-sem-post-wait': 'sem_post + sem_wait (named)',
  'xsi-sem-post-wait': 'semop +1, semop -1 (XSI, SEM_UNDO)',
};

// ---- contended -----------------------------------------------------------------------------------

export interface Lock {
  lock(): void;
  /** The async form (waits off the JS thread), for the parent's "TS async" row. */
  lockAsync(): Promise<void>;
  unlock(): void;
  close(): void;
}

export interface ContendedSpec {
  /** The C program's --contended argument. */
  c: 'mutex' | 'sem' | 'futex' | 'rwlock' | 'named-sem' | 'xsi-sem';
  /** `create`: the party that initialises the primitive (the parent, before the child starts). */
  open(buffer: SharedArrayBuffer, create: boolean): Lock;
}

// ---- ping-pong -----------------------------------------------------------------------------------

/** The parent's side: one round trip, blocking or through the event loop, and the stop message. */
export interface PingSide {
  roundTrip(): void;
  roundTripAsync(): Promise<void>;
  stop(): void;
  /** Releases what ping() opened besides the region (its copies of the channel fds). */
  close?(): void;
}

/** The child's side: waits for one ping; false when told to stop, else answers it. */
export interface PongSide {
  serveOne(): boolean;
}

type CPingPong = 'sem' | 'futex' | 'cond' | 'eventfd';

export interface PingPongSpec {
  /** The C program's --pingpong argument; null: no C program does the same (see cRef). */
  c: CPingPong | null;
  /** The C row the ratio is taken against when `c` is null (another primitive's C row). */
  cRef?: { primitive: string; c: CPingPong };
  workers: Workers[];
  /**
   * Kernel objects the two sides use besides the region (the eventfds), made once per peer: a peer
   * serves several measurements and gets the fds when it starts (a child inherits them as fds 4, 5,
   * …). Each measurement's ping and pong then work on duplicates of their own, so closing one side
   * leaves the objects to the next measurement.
   */
  channelFds?(): { fds: number[]; close(): void };
  /** `fds`: this side's own copies of channelFds().fds, in the same order (its to close); [] without. */
  ping(buffer: SharedArrayBuffer, create: boolean, fds: number[]): PingSide;
  /** `fds`: the peer's own copies of channelFds().fds, in the same order (its to close). */
  pong(buffer: SharedArrayBuffer, fds: number[]): PongSide;
}

export interface SyncPrimitive {
  id: string;
  title: string;
  uncontended?: UncontendedOp[];
  contended?: ContendedSpec;
  pingpong?: PingPongSpec;
}

// ---- the entries ---------------------------------------------------------------------------------

/** Wait until the word differs from `seen`, with futex(2) (any process); returns the new value. */
function futexWaitChange(w: Int32Array, buffer: SharedArrayBuffer, offset: number, seen: number): number {
  let v: number;
  while ((v = Atomics.load(w, 0)) === seen) futexWait(buffer, offset, seen);
  return v;
}

function futexWaitAsync(buffer: SharedArrayBuffer, offset: number, expected: number): Promise<void> {
  return new Promise((resolve, reject) => {
    new SyncWaiter('futex', buffer, offset, expected, -1, (err) => (err ? reject(err) : resolve()));
  });
}

type WaitAsync = (ta: Int32Array, index: number, value: number) => { async: boolean; value: Promise<string> | string };
const atomicsWaitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync;

/** Sequence words a (parent → child) and b (child → parent), woken with futex(2) or V8's Atomics. */
function seqPingPong(kind: 'futex' | 'atomics'): Pick<PingPongSpec, 'ping' | 'pong'> {
  return {
    ping(buffer) {
      const a = word(buffer, LAYOUT.a);
      const b = word(buffer, LAYOUT.b);
      const stop = word(buffer, LAYOUT.stop);
      let seq = 0;
      const wake = () => (kind === 'futex' ? futexWake(buffer, LAYOUT.a, 1) : Atomics.notify(a, 0, 1));
      return {
        roundTrip() {
          Atomics.store(a, 0, ++seq);
          wake();
          if (kind === 'futex') {
            for (let v = Atomics.load(b, 0); v !== seq; v = Atomics.load(b, 0)) futexWait(buffer, LAYOUT.b, v);
          } else {
            for (let v = Atomics.load(b, 0); v !== seq; v = Atomics.load(b, 0)) Atomics.wait(b, 0, v);
          }
        },
        async roundTripAsync() {
          Atomics.store(a, 0, ++seq);
          wake();
          for (let v = Atomics.load(b, 0); v !== seq; v = Atomics.load(b, 0)) {
            if (kind === 'futex') await futexWaitAsync(buffer, LAYOUT.b, v);
            else {
              const r = atomicsWaitAsync(b, 0, v);
              if (r.async) await r.value;
            }
          }
        },
        stop() {
          Atomics.store(stop, 0, 1);
          Atomics.store(a, 0, ++seq);
          wake();
        },
      };
    },
    pong(buffer) {
      const a = word(buffer, LAYOUT.a);
      const b = word(buffer, LAYOUT.b);
      const stop = word(buffer, LAYOUT.stop);
      let seen = 0;
      return {
        serveOne() {
          if (kind === 'futex') seen = futexWaitChange(a, buffer, LAYOUT.a, seen);
          else {
            let v: number;
            while ((v = Atomics.load(a, 0)) === seen) Atomics.wait(a, 0, seen);
            seen = v;
          }
          if (Atomics.load(stop, 0) !== 0) return false;
          Atomics.store(b, 0, seen);
          if (kind === 'futex') futexWake(buffer, LAYOUT.b, 1);
          else Atomics.notify(b, 0, 1);
          return true;
        },
      };
    },
  };
}

interface SemaphoreLike {
  post(): void;
  waitSync(): void;
  wait(): Promise<void>;
  close(): void;
}

/** post, then waitSync (which never blocks: the post made the unit) — the uncontended semaphore op. */
function postWait(cOp: CUncontendedOp, make: (buffer: SharedArrayBuffer) => SemaphoreLike): UncontendedOp {
  return {
    op: 'post+waitSync',
    cOp,
    setup(buffer) {
      const s = make(buffer);
      return {
        fn: () => {
          s.post();
          s.waitSync();
        },
        close: () => s.close(),
      };
    },
  };
}

/** A semaphore of value 1 as a lock. */
function semaphoreLock(s: SemaphoreLike): Lock {
  return { lock: () => s.waitSync(), lockAsync: () => s.wait(), unlock: () => s.post(), close: () => s.close() };
}

export const syncPrimitives: readonly SyncPrimitive[] = [
  {
    id: 'atomics',
    title: 'Atomics on a SharedArrayBuffer word (the floor); V8 Atomics.wait/notify (one process only)',
    uncontended: [
      {
        op: 'compareExchange+store',
        cOp: 'cas-store',
        setup(buffer) {
          const w = word(buffer, LAYOUT.futexLock);
          return {
            fn: () => {
              Atomics.compareExchange(w, 0, 0, 1);
              Atomics.store(w, 0, 0);
            },
            close() {},
          };
        },
      },
    ],
    // Atomics.wait cannot be woken from another process (FACTS.md): a thread row only, compared
    // with the C futex ping-pong between two threads.
    pingpong: { c: null, cRef: { primitive: 'futex', c: 'futex' }, workers: ['threads'], ...seqPingPong('atomics') },
  },
  {
    id: 'futex-mutex',
    title: 'FutexMutex: Atomics fast path, futex(2) only under contention (C: the same algorithm)',
    uncontended: [
      {
        op: 'tryLock+unlock',
        cOp: 'futex-lock-unlock',
        setup(buffer) {
          const m = new FutexMutex(buffer, LAYOUT.futexLock);
          return {
            fn: () => {
              m.tryLock();
              m.unlock();
            },
            close: () => m.close(),
          };
        },
      },
      {
        op: 'lockSync+unlock',
        cOp: 'futex-lock-unlock',
        setup(buffer) {
          const m = new FutexMutex(buffer, LAYOUT.futexLock);
          return {
            fn: () => {
              m.lockSync();
              m.unlock();
            },
            close: () => m.close(),
          };
        },
      },
    ],
    contended: {
      c: 'futex',
      open(buffer) {
        const m = new FutexMutex(buffer, LAYOUT.futexLock);
        return { lock: () => m.lockSync(), lockAsync: () => m.lock(), unlock: () => m.unlock(), close: () => m.close() };
      },
    },
  },
  {
    id: 'mutex',
    title: 'Mutex: process-shared pthread mutex through the addon (C: pthread_mutex_lock/unlock)',
    uncontended: [
      {
        op: 'lockSync+unlock',
        cOp: 'pthread-mutex-lock-unlock',
        setup(buffer) {
          const m = Mutex.create(buffer, LAYOUT.mutex);
          return {
            fn: () => {
              m.lockSync();
              m.unlock();
            },
            close: () => m.close({ destroy: true }),
          };
        },
      },
    ],
    contended: {
      c: 'mutex',
      open(buffer, create) {
        const m = create ? Mutex.create(buffer, LAYOUT.mutex) : Mutex.at(buffer, LAYOUT.mutex);
        return { lock: () => m.lockSync(), lockAsync: () => m.lock(), unlock: () => m.unlock(), close: () => m.close({ destroy: create }) };
      },
    },
  },
  {
    id: 'rwlock',
    title: 'RwLock: process-shared pthread rwlock through the addon (C: pthread_rwlock_rdlock/unlock)',
    uncontended: [
      {
        op: 'rdLockSync+unlock',
        cOp: 'pthread-rwlock-rdlock-unlock',
        setup(buffer) {
          const l = RwLock.create(buffer, LAYOUT.rwlock);
          return {
            fn: () => {
              l.rdLockSync();
              l.unlock();
            },
            close: () => l.close({ destroy: true }),
          };
        },
      },
    ],
    contended: {
      c: 'rwlock',
      open(buffer, create) {
        const l = create ? RwLock.create(buffer, LAYOUT.rwlock) : RwLock.at(buffer, LAYOUT.rwlock);
        return { lock: () => l.wrLockSync(), lockAsync: () => l.wrLock(), unlock: () => l.unlock(), close: () => l.close({ destroy: create }) };
      },
    },
  },
  {
    id: 'mutex-cond',
    title: 'Mutex + Cond: process-shared pthread mutex and two condition variables, whose turn in a shared word (C: pthread_cond_wait/signal)',
    pingpong: {
      c: 'cond',
      workers: ['processes', 'threads'],
      ping(buffer, create) {
        const m = create ? Mutex.create(buffer, LAYOUT.condMutex) : Mutex.at(buffer, LAYOUT.condMutex);
        const c1 = create ? Cond.create(buffer, LAYOUT.c1) : Cond.at(buffer, LAYOUT.c1);
        const c2 = create ? Cond.create(buffer, LAYOUT.c2) : Cond.at(buffer, LAYOUT.c2);
        const turn = word(buffer, LAYOUT.turn);
        const stop = word(buffer, LAYOUT.stop);
        return {
          roundTrip() {
            m.lockSync();
            Atomics.store(turn, 0, 1);
            c1.signal();
            while (Atomics.load(turn, 0) !== 2) c2.waitSync(m);
            m.unlock();
          },
          async roundTripAsync() {
            await m.lock(); // a lock agent takes it; Cond.wait is then the agent's
            Atomics.store(turn, 0, 1);
            c1.signal();
            while (Atomics.load(turn, 0) !== 2) await c2.wait(m);
            m.unlock();
          },
          stop() {
            m.lockSync();
            Atomics.store(stop, 0, 1);
            Atomics.store(turn, 0, 1);
            c1.signal();
            m.unlock();
          },
        };
      },
      pong(buffer) {
        const m = Mutex.at(buffer, LAYOUT.condMutex);
        const c1 = Cond.at(buffer, LAYOUT.c1);
        const c2 = Cond.at(buffer, LAYOUT.c2);
        const turn = word(buffer, LAYOUT.turn);
        const stop = word(buffer, LAYOUT.stop);
        return {
          serveOne() {
            m.lockSync();
            while (Atomics.load(turn, 0) !== 1) c1.waitSync(m);
            if (Atomics.load(stop, 0) !== 0) {
              m.unlock();
              return false;
            }
            Atomics.store(turn, 0, 2);
            c2.signal();
            m.unlock();
            return true;
          },
        };
      },
    },
  },
  {
    id: 'semaphore',
    title: 'Semaphore: unnamed POSIX semaphore, pshared, in the shared region (C: sem_post/sem_wait)',
    uncontended: [postWait('sem-post-wait', (buffer) => Semaphore.create(buffer, LAYOUT.s1, 0))],
    contended: {
      c: 'sem',
      open(buffer, create) {
        const s = create ? Semaphore.create(buffer, LAYOUT.semLock, 1) : Semaphore.at(buffer, LAYOUT.semLock);
        return { ...semaphoreLock(s), close: () => s.close({ destroy: create }) };
      },
    },
    pingpong: {
      c: 'sem',
      workers: ['processes', 'threads'],
      ping(buffer, create) {
        const s1 = create ? Semaphore.create(buffer, LAYOUT.s1, 0) : Semaphore.at(buffer, LAYOUT.s1);
        const s2 = create ? Semaphore.create(buffer, LAYOUT.s2, 0) : Semaphore.at(buffer, LAYOUT.s2);
        const stop = word(buffer, LAYOUT.stop);
        return {
          roundTrip() {
            s1.post();
            s2.waitSync();
          },
          async roundTripAsync() {
            s1.post();
            await s2.wait();
          },
          stop() {
            Atomics.store(stop, 0, 1);
            s1.post();
          },
        };
      },
      pong(buffer) {
        const s1 = Semaphore.at(buffer, LAYOUT.s1);
        const s2 = Semaphore.at(buffer, LAYOUT.s2);
        const stop = word(buffer, LAYOUT.stop);
        return {
          serveOne() {
            s1.waitSync();
            if (Atomics.load(stop, 0) !== 0) return false;
            s2.post();
            return true;
          },
        };
      },
    },
  },
  {
    id: 'named-semaphore',
    title: 'NamedSemaphore: sem_open by name, no shared memory needed (C: sem_post/sem_wait on a named one)',
    uncontended: [postWait('named-sem-post-wait', () => NamedSemaphore.create())],
    contended: {
      c: 'named-sem',
      // The parent creates it (and unlinks it on close); the peer finds it by the name in the region.
      open(buffer, create) {
        let s: NamedSemaphore;
        if (create) {
          s = NamedSemaphore.create({ value: 1 });
          writeName(buffer, s.name);
        } else s = NamedSemaphore.open(readName(buffer));
        return semaphoreLock(s);
      },
    },
  },
  {
    id: 'xsi-semaphore',
    title: 'XsiSemaphore: System V semaphore (semop with SEM_UNDO), found by its id, no shared memory needed (C: semop)',
    uncontended: [postWait('xsi-sem-post-wait', () => XsiSemaphore.create())],
    contended: {
      c: 'xsi-sem',
      // The parent creates it (value 1; its close() removes it); the peer opens it by the id in the region.
      open(buffer, create) {
        let s: XsiSemaphore;
        if (create) {
          s = XsiSemaphore.create({ value: 1 });
          Atomics.store(word(buffer, LAYOUT.xsiId), 0, s.id);
        } else s = XsiSemaphore.open(Atomics.load(word(buffer, LAYOUT.xsiId), 0));
        return semaphoreLock(s);
      },
    },
  },
  {
    id: 'eventfd',
    title: 'EventFd: two eventfd(2) counters, one per direction; waitSync polls then reads (C: blocking read/write)',
    pingpong: {
      c: 'eventfd',
      workers: ['processes', 'threads'],
      channelFds() {
        const e = [EventFd.create(), EventFd.create()];
        return { fds: e.map((x) => x.fd), close: () => e.forEach((x) => x.close()) };
      },
      ping(buffer, _create, fds) {
        const e1 = EventFd.inherit(fds[0]!);
        const e2 = EventFd.inherit(fds[1]!);
        // The eventfds outlive a measurement (channelFds): both counters must be 0 at its start, as
        // new ones are. Every measurement ends balanced (each post read), so this is a check.
        const left = [e1.tryWait(), e2.tryWait()];
        if (left[0] !== 0 || left[1] !== 0) {
          e1.close();
          e2.close();
          throw new Error(`the ping-pong eventfds start at ${left.join(' and ')}, not 0: the previous measurement left them unbalanced`);
        }
        const stop = () => {
          Atomics.store(word(buffer, LAYOUT.stop), 0, 1);
          e1.post();
        };
        return {
          roundTrip() {
            e1.post();
            e2.waitSync();
          },
          async roundTripAsync() {
            e1.post();
            await e2.wait();
          },
          stop,
          close() {
            e1.close();
            e2.close();
          },
        };
      },
      pong(buffer, fds) {
        const e1 = EventFd.inherit(fds[0]!);
        const e2 = EventFd.inherit(fds[1]!);
        const stop = word(buffer, LAYOUT.stop);
        return {
          serveOne() {
            e1.waitSync();
            if (Atomics.load(stop, 0) !== 0) {
              e1.close();
              e2.close();
              return false;
            }
            e2.post();
            return true;
          },
        };
      },
    },
  },
  {
    id: 'futex',
    title: 'futex(2) words (not private), one per direction: what FutexMutex sleeps on, as a wake-up channel',
    pingpong: { c: 'futex', workers: ['processes', 'threads'], ...seqPingPong('futex') },
  },
];

export function findPrimitive(id: string): SyncPrimitive {
  const p = syncPrimitives.find((x) => x.id === id);
  if (!p) throw new Error(`unknown sync primitive "${id}"`);
  return p;
}
