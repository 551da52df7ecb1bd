// `ipc-compare bench sync`: the synchronization primitives of packages/sync beside the same calls in
// C (bench/c/sync.c), in three parts (PROTOCOL.md "Sync", README "bench sync"):
//   uncontended  in-process cost of one operation (mitata), pinned to one CPU
//   contended    two parties (processes or threads) incrementing a plain counter under the lock; the
//                total must be exact, or the repetition is an error
//   pingpong     wake-up latency: round trips through the primitive between two processes (threads)
// Repetitions are interleaved within each group (C, TS, …, then again), as in run.ts, so the ratios
// to C are taken over repetitions measured next to each other. The TS rows' second party is started
// once per primitive of a group and serves its measurements in turn (sync-peer.ts says what stays
// fresh per measurement).
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { measure } from 'mitata';
import { placementCpus, type Placement } from '@ipc-compare/core';
import { dupCloseOnExec, futexWake } from '@ipc-compare/native';
import { SharedRegion } from '@ipc-compare/sync';
import { latencyRow } from '../aggregate.js';
import { Histogram, type HistogramData } from '../histogram.js';
import type { Mechanism } from '../mechanisms.js';
import type { Progress } from '../progress.js';
import type {
  RowError,
  SyncContendedRep,
  SyncContendedRow,
  SyncPingPongRow,
  SyncResults,
  SyncRowKind,
  SyncUncontendedRow,
  SyncWorkers,
} from '../results.js';
import type { Path } from '../roles.js';
import { isUnstable, median, spreadOf } from '../stats.js';
import { runCProgram } from './c-baseline.js';
import { measureCLatency, measureTsLatency, timeWithTinybench, type LatencyMeasurement } from './latency.js';
import { withPinnedSelf } from './pin.js';
import { increment } from '../sync/peer.js';
import { LAYOUT, REGION_BYTES, syncPrimitives, word, type CUncontendedOp, type Lock, type SyncPrimitive } from '../sync/primitives.js';
import { SyncPeers, type PeerRun } from './sync-peer.js';

const C_PROGRAM = 'sync';
/** Two parties in every contended row. */
const PARTIES = 2;
/**
 * The async rows' increments: a tenth, since a contended async lock that has to wait costs a thread
 * hand-off (≈ 10 µs for Mutex and RwLock, whose agent takes the lock): a full profile would spend
 * minutes there. ops/s does not depend on the count.
 */
const asyncIncrements = (s: { increments: number }) => Math.max(1000, Math.round(s.increments / 10));
/**
 * The warm-up passes of a new peer's first contended command. A peer serves several measurements,
 * and its later ones find its code optimised by the earlier ones; with one pass, the first ran
 * measurably slower (e.g. FutexMutex 2 processes, same CPU: ≈ 12 M ops/s, then ≈ 17–50 M), so the
 * first repetition would not be like the others. Five passes (uncontended: the parent waits for
 * `ready` meanwhile) make it so; they cost a few ms per peer.
 */
const NEW_PEER_WARMUP_PASSES = 5;

export interface SyncSettings {
  placements: Placement[];
  repetitions: number;
  increments: number;
  uncontendedMs: number;
  pingpongWarmupMs: number;
  pingpongDurationMs: number;
  /** The pipe mechanism, whose 1-byte round trip is measured beside the ping-pong rows (null: none). */
  pipe: Mechanism | null;
}

/** A full GC now (V8's gc() made reachable without --expose-gc on the command line). */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

/** A region for one in-process (uncontended) measurement. */
function newRegion(): SharedRegion {
  return SharedRegion.create(REGION_BYTES);
}

// ---- C program -----------------------------------------------------------------------------------

interface CUncontendedOut {
  mode: 'uncontended';
  ops: Array<{ op: CUncontendedOp; nsPerOp: number; iterations: number }>;
}
interface CContendedOut {
  mode: 'contended';
  primitive: string;
  workers: SyncWorkers;
  parties: number;
  increments: number;
  expected: number;
  total: number;
  elapsedNs: number;
  cpuNsParent: number;
  cpuNsChild: number;
}
interface CPingPongOut {
  mode: 'pingpong';
  histogram: HistogramData;
  cpuNsParent: number;
  cpuNsChild: number;
}

function cpuArgs(cpus: { parent: number | null; child: number | null }): string[] {
  return [...(cpus.parent === null ? [] : ['--cpu-parent', String(cpus.parent)]), ...(cpus.child === null ? [] : ['--cpu-child', String(cpus.child)])];
}

// ---- measurements (one repetition each) ----------------------------------------------------------

interface ContendedMeasurement {
  elapsedNs: number;
  cpuNs: number;
  total: number;
  expected: number;
}

function checkTotal(total: number, expected: number, increments: number): void {
  if (total !== expected) throw new Error(`the counter is ${total} after ${PARTIES} × ${increments} increments (expected ${expected}): the lock let two increments overlap`);
}

async function measureCContended(c: string, workers: SyncWorkers, placement: Placement, increments: number): Promise<ContendedMeasurement> {
  const argv = ['--contended', c, ...(workers === 'threads' ? ['--threads'] : []), '--increments', String(increments), ...cpuArgs(placementCpus(placement))];
  const out = await runCProgram<CContendedOut>(C_PROGRAM, argv, 120_000);
  checkTotal(out.total, out.expected, increments);
  if (out.expected !== PARTIES * increments) throw new Error(`the C program expected ${out.expected}, not ${PARTIES} × ${increments}`);
  return { elapsedNs: out.elapsedNs, cpuNs: out.cpuNsParent + out.cpuNsChild, total: out.total, expected: out.expected };
}

/** The parent's increments through the async lock: each waits off the JS thread when contended. */
async function incrementAsync(lock: Lock, counter: Int32Array, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    await lock.lockAsync();
    counter[0] = counter[0]! + 1;
    lock.unlock();
  }
}

async function measureTsContended(p: SyncPrimitive, peers: SyncPeers, path: Path, placement: Placement, increments: number): Promise<ContendedMeasurement> {
  return withPinnedSelf(placementCpus(placement).parent, async () => {
    const peer = await peers.get(p);
    const buffer = peer.freshBuffer();
    const lock = p.contended!.open(buffer, true);
    let run: PeerRun | undefined;
    try {
      const counter = new Int32Array(buffer, LAYOUT.counter, 1);
      // Warm-up passes (PROTOCOL.md "Sync"): this side's, then the peer's, which begins with the
      // command. One after the other, as in the C program, so neither is slowed by the other.
      if (path === 'blocking') increment(lock, counter, increments);
      else await incrementAsync(lock, counter, increments);
      run = peer.run({ part: 'contended', primitive: p.id, increments, warmupPasses: peer.fresh ? NEW_PEER_WARMUP_PASSES : 1 });
      await run.ready();
      Atomics.store(counter, 0, 0);
      const cpu0 = peer.cpuNs();
      const t0 = process.hrtime.bigint();
      Atomics.store(word(buffer, LAYOUT.go), 0, 1);
      futexWake(buffer, LAYOUT.go, 1);
      if (path === 'blocking') {
        increment(lock, counter, increments);
        run.waitDoneSync();
      } else {
        await incrementAsync(lock, counter, increments);
        await run.done();
      }
      const elapsedNs = Number(process.hrtime.bigint() - t0);
      const cpuNs = peer.cpuNs() - cpu0;
      Atomics.store(word(buffer, LAYOUT.stop), 0, 1); // the peer's part may end now
      futexWake(buffer, LAYOUT.stop, 1);
      await run.finished();
      const total = Atomics.load(counter, 0);
      const expected = PARTIES * increments;
      checkTotal(total, expected, increments);
      return { elapsedNs, cpuNs, total, expected };
    } finally {
      await run?.close();
      lock.close();
    }
  });
}

async function measureCPingPong(c: string, workers: SyncWorkers, placement: Placement, s: SyncSettings): Promise<LatencyMeasurement> {
  const cpus = placementCpus(placement);
  const argv = ['--pingpong', c, ...(workers === 'threads' ? ['--threads'] : []), '--warmup-ms', String(s.pingpongWarmupMs), '--duration-ms', String(s.pingpongDurationMs), ...cpuArgs(cpus)];
  const out = await runCProgram<CPingPongOut>(C_PROGRAM, argv, s.pingpongWarmupMs + s.pingpongDurationMs + 30_000);
  return { cpus, histogram: Histogram.fromData(out.histogram), cpuNs: out.cpuNsParent + out.cpuNsChild };
}

async function measureTsPingPong(p: SyncPrimitive, peers: SyncPeers, path: Path, placement: Placement, s: SyncSettings): Promise<LatencyMeasurement> {
  const cpus = placementCpus(placement);
  return withPinnedSelf(cpus.parent, async () => {
    const peer = await peers.get(p);
    const ping = p.pingpong!.ping(peer.freshBuffer(), true, peer.channelFds.map(dupCloseOnExec));
    const run = peer.run({ part: 'pingpong', primitive: p.id, increments: 0 });
    try {
      await run.ready();
      const fn = path === 'blocking' ? () => ping.roundTrip() : () => ping.roundTripAsync();
      await fn(); // discarded (lazy init, the peer's first wake-up)
      const { histogram, cpuNs } = await timeWithTinybench(fn, path, { warmupMs: s.pingpongWarmupMs, durationMs: s.pingpongDurationMs }, peer.pids);
      ping.stop();
      await run.finished();
      return { cpus, histogram, cpuNs };
    } finally {
      await run.close();
      ping.close?.();
    }
  });
}

// ---- the plan ------------------------------------------------------------------------------------

interface Member<M> {
  /** Row identity. */
  primitive: string;
  op?: string;
  impl: 'ts' | 'c';
  path: Path;
  run: () => Promise<M>;
}

interface Group<M> {
  kind: SyncRowKind;
  placement: Placement;
  workers?: SyncWorkers;
  members: Array<Member<M>>;
  /** The TS members' peers (started by the first measurement that needs one), ended after the group. */
  peers?: SyncPeers;
}

function contendedGroups(s: SyncSettings): Array<Group<ContendedMeasurement>> {
  const groups: Array<Group<ContendedMeasurement>> = [];
  for (const placement of s.placements) {
    for (const workers of ['processes', 'threads'] as const) {
      for (const p of syncPrimitives) {
        const c = p.contended;
        if (!c) continue;
        const peers = new SyncPeers(workers, placement, 'contended');
        groups.push({
          kind: 'sync-contended',
          placement,
          workers,
          peers,
          members: [
            { primitive: p.id, impl: 'c', path: 'blocking', run: () => measureCContended(c.c, workers, placement, s.increments) },
            { primitive: p.id, impl: 'ts', path: 'blocking', run: () => measureTsContended(p, peers, 'blocking', placement, s.increments) },
            { primitive: p.id, impl: 'ts', path: 'async', run: () => measureTsContended(p, peers, 'async', placement, asyncIncrements(s)) },
          ],
        });
      }
    }
  }
  return groups;
}

/**
 * Ping-pong groups: one per C baseline (primitive, workers, placement), holding every TypeScript row
 * compared with it (an Atomics row sits in the futex-threads group: its ratio is to C futex), and the
 * pipe round trip of the same run as a group of its own.
 */
function pingpongGroups(s: SyncSettings): Array<Group<LatencyMeasurement>> {
  const groups: Array<Group<LatencyMeasurement>> = [];
  for (const placement of s.placements) {
    for (const workers of ['processes', 'threads'] as const) {
      for (const p of syncPrimitives) {
        const pp = p.pingpong;
        if (!pp || pp.c === null || !pp.workers.includes(workers)) continue;
        const c = pp.c;
        const peers = new SyncPeers(workers, placement, 'pingpong');
        const members: Array<Member<LatencyMeasurement>> = [{ primitive: p.id, impl: 'c', path: 'blocking', run: () => measureCPingPong(c, workers, placement, s) }];
        for (const q of syncPrimitives) {
          const qp = q.pingpong;
          if (!qp || !qp.workers.includes(workers)) continue;
          if (q !== p && qp.cRef?.primitive !== p.id) continue;
          for (const path of ['blocking', 'async'] as const) members.push({ primitive: q.id, impl: 'ts', path, run: () => measureTsPingPong(q, peers, path, placement, s) });
        }
        groups.push({ kind: 'sync-pingpong', placement, workers, members, peers });
      }
    }
    const pipe = s.pipe;
    if (pipe) {
      const l = { size: 1, placement, warmupMs: s.pingpongWarmupMs, durationMs: s.pingpongDurationMs };
      groups.push({
        kind: 'sync-pingpong',
        placement,
        workers: 'processes',
        members: [
          { primitive: 'pipe', impl: 'c', path: 'blocking', run: () => measureCLatency(pipe, l) },
          { primitive: 'pipe', impl: 'ts', path: 'blocking', run: () => measureTsLatency(pipe, 'ts', 'blocking', l) },
        ],
      });
    }
  }
  return groups;
}

/** Uncontended: one group; each repetition runs the C program (all its ops) then every TS op. */
interface UncontendedPlan {
  cpu: number | null;
  placement: Placement;
  members: Array<{ primitive: string; op: string; cOp: CUncontendedOp; impl: 'ts' | 'c' }>;
}

function uncontendedPlan(s: SyncSettings): UncontendedPlan {
  // One process: pinned to the CPU `same` uses, unless only `none` was asked for.
  const placement: Placement = s.placements.every((p) => p === 'none') ? 'none' : 'same';
  const cpu = placementCpus(placement).parent;
  const members: UncontendedPlan['members'] = [];
  const cOps = new Set<CUncontendedOp>();
  for (const p of syncPrimitives) for (const u of p.uncontended ?? []) cOps.add(u.cOp);
  for (const cOp of cOps) members.push({ primitive: 'c', op: cOp, cOp, impl: 'c' });
  for (const p of syncPrimitives) for (const u of p.uncontended ?? []) members.push({ primitive: p.id, op: u.op, cOp: u.cOp, impl: 'ts' });
  return { cpu, placement, members };
}

export function countSyncMeasurements(s: SyncSettings): number {
  const n = (gs: Array<Group<unknown>>) => gs.reduce((k, g) => k + g.members.length, 0);
  return (1 + n(contendedGroups(s)) + n(pingpongGroups(s))) * s.repetitions;
}

// ---- rows ----------------------------------------------------------------------------------------

function repeated(values: number[]) {
  const spread = spreadOf(values);
  return { repetitions: values.length, spread, unstable: isUnstable(spread), ratioToC: null as number | null };
}

function errorOf(kind: SyncRowKind, m: { primitive: string; op?: string; impl: 'ts' | 'c'; path: Path }, placement: Placement, workers: SyncWorkers | undefined, repetition: number, err: unknown): RowError {
  const cpus = placementCpus(placement);
  return {
    kind,
    mechanism: m.primitive,
    ...(m.op ? { op: m.op } : {}),
    ...(workers ? { workers } : {}),
    impl: m.impl,
    path: m.path,
    placement,
    cpus,
    size: 0,
    repetition,
    error: err instanceof Error ? err.message : String(err),
  };
}

async function measureGroups<M>(groups: Array<Group<M>>, reps: number, progress: Progress, label: (g: Group<M>, m: Member<M>) => string): Promise<{ measured: Array<{ g: Group<M>; m: Member<M>; ms: M[] }>; errors: RowError[] }> {
  const measured: Array<{ g: Group<M>; m: Member<M>; ms: M[] }> = [];
  const errors: RowError[] = [];
  for (const g of groups) {
    const slots = g.members.map((m) => ({ g, m, ms: [] as M[], failed: false }));
    try {
      for (let rep = 1; rep <= reps; rep++) {
        for (const slot of slots) {
          progress.start(`${label(g, slot.m)} (${rep}/${reps})`);
          if (!slot.failed) {
            try {
              slot.ms.push(await slot.m.run());
            } catch (err) {
              slot.failed = true;
              errors.push(errorOf(g.kind, slot.m, g.placement, g.workers, rep, err));
            }
          }
          progress.tick();
        }
      }
    } finally {
      await g.peers?.end();
    }
    for (const slot of slots) if (!slot.failed) measured.push(slot);
  }
  return { measured, errors };
}

const implOf = (m: { impl: 'ts' | 'c'; path: Path }) => (m.impl === 'c' ? 'C' : `TS ${m.path}`);

export async function runSyncSuite(s: SyncSettings, progress: Progress): Promise<{ sync: SyncResults; errors: RowError[] }> {
  const errors: RowError[] = [];

  // Uncontended. Garbage of earlier suites first: shm channels leave hundreds of MiB of mappings whose
  // finalizers unmap them; collected in the middle of a nanosecond-scale measurement, they showed as
  // Mutex/RwLock rows 3–8× their standalone figure in one `bench all` run of three.
  collectGarbage();
  const plan = uncontendedPlan(s);
  const cpus = { parent: plan.cpu, child: null };
  const perOp = new Map<string, number[]>(plan.members.map((m) => [`${m.impl}/${m.primitive}/${m.op}`, []]));
  let uncontendedFailed = false;
  for (let rep = 1; rep <= s.repetitions && !uncontendedFailed; rep++) {
    progress.start(`sync uncontended: C and TS, ${plan.members.length} operations (${rep}/${s.repetitions})`);
    try {
      const c = await runCProgram<CUncontendedOut>(C_PROGRAM, ['--uncontended', '--duration-ms', String(s.uncontendedMs), ...(plan.cpu === null ? [] : ['--cpu', String(plan.cpu)])], s.uncontendedMs * 10 + 30_000);
      for (const o of c.ops) perOp.get(`c/c/${o.op}`)?.push(o.nsPerOp);
      await withPinnedSelf(plan.cpu, async () => {
        for (const p of syncPrimitives) {
          for (const u of p.uncontended ?? []) {
            const region = newRegion();
            const { fn, close } = u.setup(region.buffer);
            try {
              const st = await measure(fn, { min_cpu_time: s.uncontendedMs * 1e6 });
              perOp.get(`ts/${p.id}/${u.op}`)!.push(st.avg);
            } finally {
              close();
              region.close();
            }
          }
        }
      });
    } catch (err) {
      uncontendedFailed = true;
      errors.push(errorOf('sync-uncontended', { primitive: 'all', impl: 'ts', path: 'blocking' }, plan.placement, undefined, rep, err));
    }
    progress.tick();
  }
  const uncontended: SyncUncontendedRow[] = [];
  if (!uncontendedFailed) {
    for (const m of plan.members) {
      const values = perOp.get(`${m.impl}/${m.primitive}/${m.op}`)!;
      if (values.length !== s.repetitions) {
        errors.push(errorOf('sync-uncontended', { ...m, path: 'blocking' }, plan.placement, undefined, values.length + 1, new Error('the C program did not report this operation')));
        continue;
      }
      const cValues = perOp.get(`c/c/${m.cOp}`)!;
      uncontended.push({
        kind: 'sync-uncontended',
        primitive: m.primitive,
        op: m.op,
        cOp: m.cOp,
        impl: m.impl,
        path: 'blocking',
        placement: plan.placement,
        cpus,
        engine: m.impl === 'c' ? 'c' : 'mitata',
        nsPerOp: median(values),
        ...repeated(values),
        ratioToC: m.impl === 'c' ? null : median(values) / median(cValues),
        reps: values.map((v, i) => ({ nsPerOp: v, ratioToC: m.impl === 'c' ? null : v / cValues[i]! })),
      });
    }
  }

  // Contended.
  const cg = await measureGroups(contendedGroups(s), s.repetitions, progress, (g, m) => `sync contended ${m.primitive} ${implOf(m)} ${g.workers} ${g.placement}`);
  errors.push(...cg.errors);
  const contended: SyncContendedRow[] = cg.measured.map(({ g, m, ms }) => {
    const reps: SyncContendedRep[] = ms.map((x) => ({
      elapsedNs: x.elapsedNs,
      opsPerSec: x.total / (x.elapsedNs / 1e9),
      cpuNsPerOp: x.cpuNs / x.total,
      total: x.total,
      expected: x.expected,
      ratioToC: null,
    }));
    return {
      kind: 'sync-contended',
      primitive: m.primitive,
      impl: m.impl,
      path: m.path,
      workers: g.workers!,
      placement: g.placement,
      cpus: placementCpus(g.placement),
      parties: PARTIES,
      incrementsPerParty: m.path === 'async' ? asyncIncrements(s) : s.increments,
      opsPerSec: median(reps.map((r) => r.opsPerSec)),
      cpuNsPerOp: median(reps.map((r) => r.cpuNsPerOp)),
      exact: reps.every((r) => r.total === r.expected),
      ...repeated(reps.map((r) => r.opsPerSec)),
      reps,
    };
  });
  for (const r of contended) {
    if (r.impl === 'c') continue;
    const c = contended.find((x) => x.impl === 'c' && x.primitive === r.primitive && x.workers === r.workers && x.placement === r.placement);
    if (!c) continue;
    r.ratioToC = r.opsPerSec / c.opsPerSec;
    r.reps.forEach((rep, i) => (rep.ratioToC = c.reps[i] ? rep.opsPerSec / c.reps[i].opsPerSec : null));
  }

  // Ping-pong.
  const pg = await measureGroups(pingpongGroups(s), s.repetitions, progress, (g, m) => `sync pingpong ${m.primitive} ${implOf(m)} ${g.workers} ${g.placement}`);
  errors.push(...pg.errors);
  const pingpong: SyncPingPongRow[] = pg.measured.map(({ g, m, ms }) => {
    const { kind: _k, mechanism: _m, size: _s, engine, ...stats } = latencyRow({ mechanism: m.primitive, impl: m.impl, path: m.path, placement: g.placement, size: 0 }, ms);
    const cPrimitive = g.members[0]!.impl === 'c' ? g.members[0]!.primitive : null;
    return {
      kind: 'sync-pingpong',
      primitive: m.primitive,
      workers: g.workers!,
      ...stats,
      impl: m.impl,
      engine: engine === 'c' ? 'c' : 'tinybench',
      cRef: m.impl === 'c' || cPrimitive === null ? null : { primitive: cPrimitive, workers: g.workers! },
    };
  });
  for (const r of pingpong) {
    if (!r.cRef) continue;
    const ref = r.cRef;
    const c = pingpong.find((x) => x.impl === 'c' && x.primitive === ref.primitive && x.workers === ref.workers && x.placement === r.placement);
    if (!c) continue;
    r.ratioToC = r.p50 / c.p50;
    r.reps.forEach((rep, i) => (rep.ratioToC = c.reps[i] ? rep.p50 / c.reps[i].p50 : null));
  }

  return {
    sync: {
      settings: { increments: s.increments, uncontendedMs: s.uncontendedMs, pingpongWarmupMs: s.pingpongWarmupMs, pingpongDurationMs: s.pingpongDurationMs },
      uncontended,
      contended,
      pingpong,
    },
    errors,
  };
}
