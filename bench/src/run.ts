// Executes a plan: every row measured in turn (one failure does not stop the run; it is reported),
// TS rows given their ratio to the C row of the same mechanism, size and placement.
import type { Placement } from '@ipc-compare/core';
import type { Mechanism } from './mechanisms.js';
import { planRows, type Profile, type Suite } from './plan.js';
import { Progress } from './progress.js';
import { RESULTS_SCHEMA, machineInfo, type Results, type Row, type RowError, type SemanticsRow } from './results.js';
import { probeSemantics } from './runners/semantics.js';
import { measureFloors } from './runners/floors.js';
import { measureCLatency, measureSampleOverhead, measureTsLatency } from './runners/latency.js';
import { measureCThroughput, measureTsThroughput } from './runners/throughput.js';

export interface RunOptions {
  suites: Suite[];
  mechanisms: Mechanism[];
  placements: Placement[];
  profile: Profile;
  sizes?: { latency?: number[]; throughput?: number[] };
  /** Measure the harness floors (mitata) and tinybench's per-sample overhead. */
  floors?: boolean;
  command?: string;
  progress?: boolean;
}

function formatSize(n: number): string {
  return n >= 1 << 20 && n % (1 << 20) === 0 ? `${n >> 20} MiB` : n >= 1024 && n % 1024 === 0 ? `${n >> 10} KiB` : `${n} B`;
}

/** "C", "TS blocking", "TS async", "Node async". */
export function implLabel(r: { impl: string; path: string }): string {
  return r.impl === 'c' ? 'C' : r.impl === 'node' ? `Node ${r.path}` : `TS ${r.path}`;
}

export function sameRow(a: Row | RowError, b: Row | RowError): boolean {
  return a.kind === b.kind && a.mechanism === b.mechanism && a.placement === b.placement && a.size === b.size;
}

/** p50 ratio for latency (higher = slower than C), MB/s ratio for throughput (higher = faster). */
export function applyRatios(rows: Row[]): void {
  for (const r of rows) {
    if (r.impl === 'c') continue;
    const c = rows.find((x) => x.impl === 'c' && sameRow(x, r));
    if (!c) continue;
    if (r.kind === 'latency' && c.kind === 'latency') r.ratioToC = r.p50 / c.p50;
    if (r.kind === 'throughput' && c.kind === 'throughput') r.ratioToC = r.mbPerSec / c.mbPerSec;
  }
}

export async function runBenchmarks(o: RunOptions): Promise<Results> {
  const plan = planRows(o.suites, o.mechanisms, o.placements, o.profile, o.sizes);
  const probed = o.suites.includes('semantics') ? o.mechanisms.filter((m) => !m.suites || m.suites.includes('semantics')) : [];
  const progress = new Progress(plan.length + probed.length + (o.floors ? 1 : 0), o.progress);
  const rows: Row[] = [];
  const errors: RowError[] = [];
  for (const p of plan) {
    const label = `${p.suite} ${p.mechanism.id} ${implLabel(p)} ${p.placement} ${formatSize(p.size)}`;
    progress.start(label);
    try {
      let row: Row;
      if (p.suite === 'latency') {
        const s = { size: p.size, placement: p.placement, warmupMs: o.profile.latencyWarmupMs, durationMs: o.profile.latencyDurationMs };
        row = p.impl === 'c' ? await measureCLatency(p.mechanism, s) : await measureTsLatency(p.mechanism, p.impl, p.path, s);
      } else {
        const s = { size: p.size, placement: p.placement, durationMs: o.profile.throughputDurationMs };
        row = p.impl === 'c' ? await measureCThroughput(p.mechanism, s) : await measureTsThroughput(p.mechanism, p.impl, p.path, s);
      }
      rows.push(row);
    } catch (err) {
      errors.push({
        kind: p.suite,
        mechanism: p.mechanism.id,
        impl: p.impl,
        path: p.path,
        placement: p.placement,
        cpus: { parent: null, child: null },
        size: p.size,
        error: err instanceof Error ? err.message : String(err),
      });
    }
    progress.tick();
  }
  const semantics: SemanticsRow[] = [];
  for (const m of probed) {
    progress.start(`semantics ${m.id}`);
    try {
      semantics.push(await probeSemantics(m));
    } catch (err) {
      errors.push({ kind: 'semantics', mechanism: m.id, impl: 'ts', path: 'async', placement: 'none', cpus: { parent: null, child: null }, size: 0, error: err instanceof Error ? err.message : String(err) });
    }
    progress.tick();
  }
  let floors: Results['harness']['floors'] = [];
  let sampleOverheadNs: Results['harness']['sampleOverheadNs'] = null;
  if (o.floors) {
    progress.start('harness floors (mitata) and tinybench overhead');
    floors = await measureFloors(o.profile.floorMs);
    sampleOverheadNs = await measureSampleOverhead();
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
      latencyWarmupMs: o.profile.latencyWarmupMs,
      latencyDurationMs: o.profile.latencyDurationMs,
      throughputDurationMs: o.profile.throughputDurationMs,
    },
    harness: { sampleOverheadNs, floors },
    rows,
    semantics,
    errors,
  };
}

export { formatSize };
