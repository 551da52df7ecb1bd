// The sync semantics matrix: what each primitive does, observed across real threads and processes,
// next to what the notes and the package README claim. As for the transports, nothing is read off
// configuration: every cell is an experiment and a one-line account of what it saw, or "not observed".
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { dupCloseOnExec } from '@ipc-compare/native';
import { SharedRegion } from '@ipc-compare/sync';
import type { PropertyCheck, SyncSemanticsRow } from '../results.js';
import { allSettled } from './all-settled.js';
import { COUNTER, REGION_BYTES, SLEEPS, lockOf, setUp, sleepSyscall, type Lock, type PrimitiveId } from '../sync/probe-locks.js';

const PARTY = fileURLToPath(new URL('../sync/probe-party.js', import.meta.url));
/** A probe that hangs is a finding, reported as such, not a hung run. */
const HANG_MS = 20_000;
const COUNT = 20_000;

type Claims = Record<Exclude<keyof SyncSemanticsRow, 'primitive'>, boolean>;
const yes = true;
const no = false;
/** What the notes and packages/sync's README say of each. */
const CLAIMS: Record<PrimitiveId, Claims> = {
  'futex-mutex': { threads: yes, relatedProcesses: yes, unrelatedProcesses: no, survivesHolderDeath: no, wakesOtherProcess: yes, syncBlocksLoop: yes, asyncBlocksLoop: no },
  'atomics-wait-mutex': { threads: yes, relatedProcesses: no, unrelatedProcesses: no, survivesHolderDeath: no, wakesOtherProcess: no, syncBlocksLoop: yes, asyncBlocksLoop: no },
  mutex: { threads: yes, relatedProcesses: yes, unrelatedProcesses: no, survivesHolderDeath: no, wakesOtherProcess: yes, syncBlocksLoop: yes, asyncBlocksLoop: no },
  'robust-mutex': { threads: yes, relatedProcesses: yes, unrelatedProcesses: no, survivesHolderDeath: yes, wakesOtherProcess: yes, syncBlocksLoop: yes, asyncBlocksLoop: no },
  rwlock: { threads: yes, relatedProcesses: yes, unrelatedProcesses: no, survivesHolderDeath: no, wakesOtherProcess: yes, syncBlocksLoop: yes, asyncBlocksLoop: no },
  cond: { threads: yes, relatedProcesses: yes, unrelatedProcesses: no, survivesHolderDeath: no, wakesOtherProcess: yes, syncBlocksLoop: yes, asyncBlocksLoop: no },
  semaphore: { threads: yes, relatedProcesses: yes, unrelatedProcesses: no, survivesHolderDeath: no, wakesOtherProcess: yes, syncBlocksLoop: yes, asyncBlocksLoop: no },
  'futex-semaphore': { threads: yes, relatedProcesses: yes, unrelatedProcesses: no, survivesHolderDeath: no, wakesOtherProcess: yes, syncBlocksLoop: yes, asyncBlocksLoop: no },
  'named-semaphore': { threads: yes, relatedProcesses: yes, unrelatedProcesses: yes, survivesHolderDeath: no, wakesOtherProcess: yes, syncBlocksLoop: yes, asyncBlocksLoop: no },
  // SEM_UNDO: the kernel reverses a dead process's operations, so a holder's death frees the unit.
  'xsi-semaphore': { threads: yes, relatedProcesses: yes, unrelatedProcesses: yes, survivesHolderDeath: yes, wakesOtherProcess: yes, syncBlocksLoop: yes, asyncBlocksLoop: no },
  eventfd: { threads: yes, relatedProcesses: yes, unrelatedProcesses: no, survivesHolderDeath: no, wakesOtherProcess: yes, syncBlocksLoop: yes, asyncBlocksLoop: no },
};

const check = (claimed: boolean, observed: boolean, evidence: string): PropertyCheck<boolean> => ({ claimed, observed, agrees: claimed === observed, evidence });
const notObserved = (claimed: boolean, why: string): PropertyCheck<boolean> => ({ claimed, observed: null, agrees: null, evidence: `not observed: ${why}` });

interface Party {
  next(): Promise<Record<string, unknown> | null>;
  pid: number;
  kill(): void;
  exited: Promise<unknown>;
}

/** What a probe hands its parties: the region, and a name or an fd (a child gets the fd as fd 4). */
interface Shared {
  region: SharedRegion;
  name?: string;
  fd?: number;
}

function processParty(args: object, shared: Shared | null, opts: { setsid?: boolean } = {}): Party {
  const cmd = opts.setsid ? ['setsid', process.execPath] : [process.execPath];
  const fds = shared ? [shared.region.fd, ...(shared.fd === undefined ? [] : [shared.fd])] : [];
  const p = spawn(cmd[0]!, [...cmd.slice(1), PARTY, JSON.stringify({ name: shared?.name, ...args })], { stdio: ['ignore', 'pipe', 'inherit', ...fds] });
  const lines = createInterface({ input: p.stdout! })[Symbol.asyncIterator]();
  const guard = setTimeout(() => p.kill('SIGKILL'), HANG_MS);
  const exited = new Promise((r) => p.once('exit', () => (clearTimeout(guard), r(undefined))));
  return {
    next: async () => {
      const l = await lines.next();
      return l.done ? null : (JSON.parse(l.value as string) as Record<string, unknown>);
    },
    pid: p.pid!,
    kill: () => p.kill('SIGKILL'),
    exited,
  };
}

function threadParty(args: object, shared: Shared): Party {
  const w = new Worker(PARTY, { workerData: { ...args, buffer: shared.region.buffer, name: shared.name, fd: shared.fd } });
  const queue: Array<Record<string, unknown> | null> = [];
  const waiting: Array<(m: Record<string, unknown> | null) => void> = [];
  const deliver = (m: Record<string, unknown> | null) => (waiting.length ? waiting.shift()!(m) : queue.push(m));
  w.on('message', deliver);
  w.on('error', () => deliver(null));
  const guard = setTimeout(() => void w.terminate(), HANG_MS);
  const exited = new Promise((r) => w.once('exit', () => (clearTimeout(guard), deliver(null), r(undefined))));
  return { next: () => (queue.length ? Promise.resolve(queue.shift()!) : new Promise((r) => waiting.push(r))), pid: process.pid, kill: () => void w.terminate(), exited };
}

async function withRegion<T>(id: PrimitiveId, body: (shared: Shared) => Promise<T>): Promise<T> {
  const region = SharedRegion.create(REGION_BYTES);
  const made = setUp(id, region.buffer);
  try {
    return await body({ region, name: made.name, fd: made.fd });
  } finally {
    made.close();
    region.close();
  }
}

/** This process's own lock handle (an eventfd: on a duplicate, its own to close). */
function ownLock(id: PrimitiveId, shared: Shared): Lock {
  return lockOf(id, shared.region.buffer, { name: shared.name, fd: shared.fd === undefined ? undefined : dupCloseOnExec(shared.fd) });
}

function sleeps(buffer: SharedArrayBuffer): { woken: number; timedOut: number } {
  const i32 = new Int32Array(buffer);
  return { woken: i32[SLEEPS / 4]!, timedOut: i32[SLEEPS / 4 + 1]! };
}

/** Two parties increment one plain counter COUNT times each under the lock, all starting at once. */
async function mutualExclusion(id: PrimitiveId, where: 'threads' | 'processes'): Promise<PropertyCheck<boolean>> {
  const claimed = where === 'threads' ? CLAIMS[id].threads : CLAIMS[id].relatedProcesses;
  return withRegion(id, async (shared) => {
    const region = shared.region;
    const args = { mode: 'count', id, count: COUNT, parties: 2 };
    const parties = [0, 1].map(() => (where === 'threads' ? threadParty(args, shared) : processParty(args, shared)));
    const reports = await Promise.all(parties.map((p) => p.next()));
    await Promise.all(parties.map((p) => p.exited));
    const total = new Int32Array(region.buffer)[COUNTER / 4]!;
    const done = reports.filter((r) => r?.done === COUNT).length;
    const s = sleeps(region.buffer);
    const found = id === 'xsi-semaphore' ? '; the set found by its id' : id === 'named-semaphore' ? '; the semaphore by its name' : '';
    const who = where === 'threads' ? '2 worker threads' : `2 child processes (the memfd${shared.fd === undefined ? '' : ' and the eventfd'} inherited${found})`;
    if (done < 2) return check(claimed, false, `${who}: ${done} of 2 finished within ${HANG_MS / 1000} s (a sleeper never woken)`);
    const exact = total === 2 * COUNT;
    const counted = `${who} × ${COUNT} increments of a plain shared counter: ${total} of ${2 * COUNT}${exact ? ' (none lost)' : ' (updates lost)'}`;
    if (id !== 'atomics-wait-mutex') return check(claimed, exact, counted);
    // Exclusion holds either way (compareExchange is a hardware atomic); what fails is waking a sleeper.
    if (s.woken + s.timedOut === 0) return notObserved(claimed, `${counted}, but no party ever had to sleep`);
    return check(claimed, exact && s.woken > 0, `${counted}; of ${s.woken + s.timedOut} sleeps ${s.woken} were ended by a wake, ${s.timedOut} by their own 5 ms timeout`);
  });
}

/** An unrelated process (own session, nothing inherited) tries to take and release the lock. */
async function unrelated(id: PrimitiveId): Promise<PropertyCheck<boolean>> {
  return withRegion(id, async ({ name, fd }) => {
    const p = processParty({ mode: 'unrelated', id, name, fd, pid: process.pid }, null, { setsid: true });
    const r = (await p.next()) as { ok: boolean; code?: string; message?: string } | null;
    await p.exited;
    const how =
      id === 'eventfd'
        ? `through /proc/${process.pid}/fd/${fd}`
        : id === 'xsi-semaphore'
          ? `by its id ${name} (XSI ids are global to the IPC namespace, guarded only by the set's mode, 0600)`
          : `by its name ${name}`;
    if (r?.ok) return check(CLAIMS[id].unrelatedProcesses, true, `an unrelated process (own session, nothing inherited) opened it ${how} and locked and unlocked it`);
    const where =
      id === 'eventfd'
        ? 'an eventfd is an anonymous inode: only inheritance or SCM_RIGHTS pass it on'
        : id === 'named-semaphore' || id === 'xsi-semaphore'
          ? `it was told the ${id === 'xsi-semaphore' ? 'id' : 'name'} and still could not use it`
          : 'it lives in an unnamed memfd, passed on only by inheritance';
    return check(CLAIMS[id].unrelatedProcesses, false, `an unrelated process (nothing inherited) could not reach it: ${r ? `${r.code}: ${r.message}` : 'no report'} (${where})`);
  });
}

/** A child takes the lock and is SIGKILLed; can anyone take it afterwards? */
async function survivesDeath(id: PrimitiveId): Promise<PropertyCheck<boolean>> {
  return withRegion(id, async (shared) => {
    const p = processParty({ mode: 'hold', id }, shared);
    if ((await p.next())?.held !== true) return notObserved(CLAIMS[id].survivesHolderDeath, 'the holder did not take the lock');
    p.kill();
    await p.exited;
    const lock = ownLock(id, shared);
    const got = lock.acquireWithin(300);
    if (got) lock.release();
    lock.close?.();
    const how = lock.recovered ? ': EOWNERDEAD, then consistent()' : id === 'xsi-semaphore' && got ? ' (the kernel undid the dead process\'s SEM_UNDO operations at its exit)' : '';
    return check(CLAIMS[id].survivesHolderDeath, got, got ? `the holder was SIGKILLed holding it; the next locker got it${how}` : 'the holder was SIGKILLed holding it; 300 ms later it was still held (nobody can take it again)');
  });
}

/** Resolves once `pid`'s main thread sleeps in syscall `nr` (x86_64), where the blocking take sleeps. */
async function asleepIn(pid: number, nr: number): Promise<boolean> {
  const inFutex = () => readFileSync(`/proc/${pid}/task/${pid}/syscall`, 'utf8').startsWith(`${nr} `);
  for (let i = 0; i < 50_000; i++) {
    if (inFutex()) return true;
    await new Promise((r) => setImmediate(r));
  }
  return false;
}

/** This process holds the lock; a child blocks taking it; this process releases: was the child woken? */
async function wakesOther(id: PrimitiveId): Promise<PropertyCheck<boolean>> {
  return withRegion(id, async (shared) => {
    const region = shared.region;
    const sleep = sleepSyscall(id);
    const lock = ownLock(id, shared);
    lock.acquire();
    const p = processParty({ mode: 'sleep', id }, shared);
    const { sleeping } = ((await p.next()) ?? {}) as { sleeping?: number };
    if (!sleeping || !(await asleepIn(sleeping, sleep.nr))) {
      lock.release();
      lock.close?.();
      p.kill();
      await p.exited;
      return notObserved(CLAIMS[id].wakesOtherProcess, `the child was never seen asleep in ${sleep.name}`);
    }
    lock.release();
    lock.close?.();
    const r = (await p.next()) as { acquiredAfterMs?: number } | null;
    await p.exited;
    const s = sleeps(region.buffer);
    if (id === 'atomics-wait-mutex') {
      const woken = s.woken > 0;
      return check(CLAIMS[id].wakesOtherProcess, woken, `the child slept in Atomics.wait; the release's Atomics.notify ${woken ? 'woke it' : `woke nothing (notify counts only this process's waiters): it got the lock when its own 5 ms timeout ended a sleep (${s.timedOut} sleep${s.timedOut === 1 ? '' : 's'} timed out)`}`);
    }
    return check(CLAIMS[id].wakesOtherProcess, r?.acquiredAfterMs !== undefined, r ? `the child asleep in ${sleep.name} waiting for it was woken by the release and took it` : 'the child never took it');
  });
}

/** A worker holds the lock this long while this thread takes it (blocking or async). */
const HOLD_MS = 200;

/** The event loop's longest stall while this thread takes the lock a worker holds for HOLD_MS. */
async function blocksLoop(id: PrimitiveId, form: 'sync' | 'async'): Promise<PropertyCheck<boolean>> {
  const claimed = form === 'sync' ? CLAIMS[id].syncBlocksLoop : CLAIMS[id].asyncBlocksLoop;
  return withRegion(id, async (shared) => {
    const lock = ownLock(id, shared);
    try {
      if (form === 'async' && !lock.acquireAsync) return notObserved(claimed, 'no async form here (Atomics.waitAsync is not used)');
      return await stallWhileTaking(lock, form, claimed, threadParty({ mode: 'hold', id, ms: HOLD_MS }, shared));
    } finally {
      lock.close?.();
    }
  });
}

async function stallWhileTaking(lock: Lock, form: 'sync' | 'async', claimed: boolean, holder: Party): Promise<PropertyCheck<boolean>> {
  if ((await holder.next())?.held !== true) return notObserved(claimed, 'the holder did not take the lock');
  // The loop's longest gap between 5 ms ticks while this thread waits (and one tick after, so a
  // blocked loop's late tick is counted).
  const loop = loopGaps();
  await loop.tick();
  if (form === 'sync') lock.acquire();
  else await lock.acquireAsync!();
  await loop.tick();
  const stallMs = loop.stop();
  lock.release();
  await holder.next(); // released
  await holder.exited;
  const blocks = stallMs > HOLD_MS / 2;
  return check(claimed, blocks, `waiting ${form === 'sync' ? 'in the blocking form' : 'with the async form'} for a lock a worker held for ${HOLD_MS} ms: the event loop's longest stall was ${stallMs.toFixed(0)} ms`);
}

/** Ticks every 5 ms and keeps the longest gap between two ticks. */
function loopGaps(): { tick(): Promise<void>; stop(): number } {
  let last = performance.now();
  let max = 0;
  const waiting: Array<() => void> = [];
  const timer = setInterval(() => {
    const now = performance.now();
    max = Math.max(max, now - last);
    last = now;
    waiting.splice(0).forEach((w) => w());
  }, 5);
  return {
    tick: () => new Promise<void>((r) => waiting.push(r)),
    stop: () => (clearInterval(timer), max),
  };
}

export async function probeSyncSemantics(id: PrimitiveId): Promise<SyncSemanticsRow> {
  // One at a time: the counting experiments need their two parties to overlap on the CPUs (the
  // Atomics lock's wake-up count is only seen when they contend), and the loop-stall experiments time
  // this thread's event loop (anything else on it would show as a stall). The three in between only
  // observe an outcome, whatever the timing — reached or not, taken within 300 ms or not, woken or
  // not — each on a region and a primitive of its own, and are mostly parties starting up and the
  // 300 ms wait: they run at once.
  const threads = await mutualExclusion(id, 'threads');
  const relatedProcesses = await mutualExclusion(id, 'processes');
  const [unrelatedProcesses, survivesHolderDeath, wakesOtherProcess] = await allSettled([() => unrelated(id), () => survivesDeath(id), () => wakesOther(id)]);
  return {
    primitive: id,
    threads,
    relatedProcesses,
    unrelatedProcesses,
    survivesHolderDeath,
    wakesOtherProcess,
    syncBlocksLoop: await blocksLoop(id, 'sync'),
    asyncBlocksLoop: await blocksLoop(id, 'async'),
  };
}
