// Executes a plan, group by group: the repetitions of a group's rows interleaved (C, TS blocking,
// TS async, Node, then again, …), so whatever drifts during the run hits every row of the group
// alike. One failure does not stop the run: that row is reported as an error and not measured again.
import type { Placement } from '@ipc-compare/core';
import { applyRatios, latencyRow, throughputRow } from './aggregate.js';
import { machineInfo } from './machine.js';
import { mechanisms as allMechanisms, type Mechanism } from './mechanisms.js';
import { planGroups, type Member, type PlannedGroup, type Profile, type Suite } from './plan.js';
import { Progress } from './progress.js';
import { formatSize, implLabel } from './report/format.js';
import { RESULTS_SCHEMA, type Reference, type Results, type Row, type RowError, type SemanticsRow, type SyncResults, type SyncSemanticsRow } from './results.js';
import { probeSemantics } from './runners/semantics.js';
import { probeSyncSemantics } from './runners/sync-semantics.js';
import type { PrimitiveId } from './sync/probe-locks.js';
import { measureFloors } from './runners/floors.js';
import { measureReference } from './runners/reference.js';
import { countSyncMeasurements, runSyncSuite, type SyncSettings } from './runners/sync.js';
import { measureCLatency, measureSampleOverhead, measureTsLatency, type LatencyMeasurement } from './runners/latency.js';
import { measureCThroughput, measureTsThroughput, type ThroughputMeasurement } from './runners/throughput.js';
import { UNSTABLE_SPREAD } from './stats.js';

export interface RunOptions {
  suites: Suite[];
  mechanisms: Mechanism[];
  /** Sync primitives whose semantics to probe (with the semantics suite). */
  syncPrimitives?: PrimitiveId[];
  placements: Placement[];
  profile: Profile;
  sizes?: { latency?: number[]; throughput?: number[] };
  /** Measure the harness floors (mitata) and tinybench's per-sample overhead. */
  floors?: boolean;
  command?: string;
  progress?: boolean;
}

export const CPU_TIME_SOURCE = 'clock_getcpuclockid(pid) + clock_gettime: user + system time of all threads of both processes (C and TypeScript rows alike)';

type Measurement = LatencyMeasurement | ThroughputMeasurement;

function measureOnce(g: PlannedGroup, m: Member, p: Profile): Promise<Measurement> {
  if (g.suite === 'latency') {
    const s = { size: g.size, placement: g.placement, warmupMs: p.latencyWarmupMs, durationMs: p.latencyDurationMs };
    return m.impl === 'c' ? measureCLatency(g.mechanism, s) : measureTsLatency(g.mechanism, m.impl, m.path, s);
  }
  const s = { size: g.size, placement: g.placement, warmupMs: p.throughputWarmupMs, durationMs: p.throughputDurationMs };
  return m.impl === 'c' ? measureCThroughput(g.mechanism, s) : measureTsThroughput(g.mechanism, m.impl, m.path, s);
}

/** Measures one group: every member's repetitions, interleaved; returns its rows and errors. */
async function measureGroup(g: PlannedGroup, profile: Profile, progress: Progress): Promise<{ rows: Row[]; errors: RowError[] }> {
  const reps = profile.repetitions;
  const measured = g.members.map(() => [] as Measurement[]);
  const failed: Array<RowError | undefined> = g.members.map(() => undefined);
  for (let rep = 1; rep <= reps; rep++) {
    for (const [i, m] of g.members.entries()) {
      progress.start(`${g.suite} ${g.mechanism.id} ${implLabel(m)} ${g.placement} ${formatSize(g.size)} (${rep}/${reps})`);
      if (!failed[i]) {
        try {
          measured[i]!.push(await measureOnce(g, m, profile));
        } catch (err) {
          const error = err instanceof Error ? err.message : String(err);
          failed[i] = { kind: g.suite, mechanism: g.mechanism.id, ...m, placement: g.placement, cpus: { parent: null, child: null }, size: g.size, repetition: rep, error };
        }
      }
      progress.tick();
    }
  }
  const rows: Row[] = [];
  for (const [i, m] of g.members.entries()) {
    if (failed[i]) continue;
    const id = { mechanism: g.mechanism.id, ...m, placement: g.placement, size: g.size };
    const ms = measured[i]!;
    rows.push(g.suite === 'latency' ? latencyRow(id, ms as LatencyMeasurement[]) : throughputRow(id, ms as ThroughputMeasurement[], g.mechanism.transport.semantics.reliable));
  }
  return { rows, errors: failed.filter((e): e is RowError => e !== undefined) };
}

export async function runBenchmarks(o: RunOptions): Promise<Results> {
  const groups = planGroups(o.suites, o.mechanisms, o.placements, o.profile, o.sizes);
  const probed = o.suites.includes('semantics') ? o.mechanisms.filter((m) => !m.suites || m.suites.includes('semantics')) : [];
  const measurements = groups.reduce((n, g) => n + g.members.length * o.profile.repetitions, 0);
  const syncProbed = o.suites.includes('semantics') ? (o.syncPrimitives ?? []) : [];
  const sync: SyncSettings | null = o.suites.includes('sync')
    ? {
        placements: o.placements,
        repetitions: o.profile.repetitions,
        increments: o.profile.syncIncrements,
        uncontendedMs: o.profile.syncUncontendedMs,
        pingpongWarmupMs: o.profile.syncPingPongWarmupMs,
        pingpongDurationMs: o.profile.syncPingPongDurationMs,
        pipe: allMechanisms.find((m) => m.id === 'pipe') ?? null,
      }
    : null;
  const syncCount = sync ? countSyncMeasurements(sync) : 0;
  const progress = new Progress(measurements + probed.length + syncProbed.length + syncCount + (o.floors ? 1 : 0), o.progress);
  const rows: Row[] = [];
  const errors: RowError[] = [];
  for (const g of groups) {
    const r = await measureGroup(g, o.profile, progress);
    rows.push(...r.rows);
    errors.push(...r.errors);
  }
  const semantics: SemanticsRow[] = [];
  for (const m of probed) {
    progress.start(`semantics ${m.id}`);
    try {
      semantics.push(await probeSemantics(m));
    } catch (err) {
      errors.push({ kind: 'semantics', mechanism: m.id, impl: 'ts', path: 'async', placement: 'none', cpus: { parent: null, child: null }, size: 0, repetition: 0, error: err instanceof Error ? err.message : String(err) });
    }
    progress.tick();
  }
  const syncSemantics: SyncSemanticsRow[] = [];
  for (const id of syncProbed) {
    progress.start(`semantics ${id}`);
    try {
      syncSemantics.push(await probeSyncSemantics(id));
    } catch (err) {
      errors.push({ kind: 'semantics', mechanism: id, impl: 'ts', path: 'blocking', placement: 'none', cpus: { parent: null, child: null }, size: 0, repetition: 0, error: err instanceof Error ? err.message : String(err) });
    }
    progress.tick();
  }
  let syncResults: SyncResults | undefined;
  if (sync) {
    const r = await runSyncSuite(sync, progress);
    syncResults = r.sync;
    errors.push(...r.errors);
  }
  let floors: Results['harness']['floors'] = [];
  let sampleOverheadNs: Results['harness']['sampleOverheadNs'] = null;
  let reference: Reference | undefined;
  if (o.floors) {
    progress.start('harness floors (mitata), tinybench overhead, the spin floor and memcpy bandwidth');
    floors = await measureFloors(o.profile.floorMs);
    sampleOverheadNs = await measureSampleOverhead();
    reference = await measureReference(o.profile.floorMs);
    progress.tick();
  }
  progress.finish();
  applyRatios(rows);
  return {
    schema: RESULTS_SCHEMA,
    createdAt: new Date().toISOString(),
    command: o.command ?? '',
    machine: machineInfo(),
    profile: o.profile.name,
    settings: {
      placements: o.placements,
      latencySizes: o.sizes?.latency ?? o.profile.latencySizes,
      throughputSizes: o.sizes?.throughput ?? o.profile.throughputSizes,
      repetitions: o.profile.repetitions,
      latencyWarmupMs: o.profile.latencyWarmupMs,
      latencyDurationMs: o.profile.latencyDurationMs,
      throughputWarmupMs: o.profile.throughputWarmupMs,
      throughputDurationMs: o.profile.throughputDurationMs,
      unstableSpread: UNSTABLE_SPREAD,
    },
    harness: { cpuTimeSource: CPU_TIME_SOURCE, sampleOverheadNs, floors, ...(reference ? { reference } : {}) },
    rows,
    semantics,
    syncSemantics,
    ...(syncResults ? { sync: syncResults } : {}),
    errors,
  };
}
