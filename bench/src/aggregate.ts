// From repetitions to rows: each repetition's own figures, the row's aggregate (median of the
// repetitions), their spread and the unstable flag, and the ratio to the C row of the same group,
// taken over the same interleaved repetitions. The same code for C and TypeScript rows.
import { Histogram } from './histogram.js';
import type { LatencyRep, LatencyRow, Row, RowBase, ThroughputRep, ThroughputRow } from './results.js';
import type { LatencyMeasurement } from './runners/latency.js';
import type { ThroughputMeasurement } from './runners/throughput.js';
import { isUnstable, latencyStats, median, spreadOf } from './stats.js';

/** What a row is, apart from its figures. */
export type RowIdentity = Omit<RowBase, 'cpus'>;

export function latencyRow(id: RowIdentity, ms: readonly LatencyMeasurement[]): LatencyRow {
  if (ms.length === 0) throw new Error('a row needs at least one repetition');
  const reps: LatencyRep[] = ms.map((m) => {
    const stats = latencyStats(m.histogram);
    return { ...stats, cpuNsPerOp: m.cpuNs / stats.samples, ratioToC: null };
  });
  const pooled = ms.reduce((h, m) => h.merge(m.histogram), new Histogram());
  const spread = spreadOf(reps.map((r) => r.p50));
  return {
    kind: 'latency',
    ...id,
    cpus: ms[0]!.cpus,
    ...latencyStats(pooled),
    p50: median(reps.map((r) => r.p50)),
    cpuNsPerOp: median(reps.map((r) => r.cpuNsPerOp)),
    repetitions: reps.length,
    spread,
    unstable: isUnstable(spread),
    ratioToC: null,
    engine: id.impl === 'c' ? 'c' : 'tinybench',
    reps,
    histogram: pooled.toJSON(),
  };
}

export function throughputRep(m: ThroughputMeasurement, size: number, reliable: boolean): ThroughputRep {
  const r = m.report;
  // Delivered data of the timed window: for a lossy mechanism what arrived intact, not what was sent.
  const timedReceived = r.received - r.warmupReceived;
  const seconds = m.elapsedNs / 1e9;
  const mb = (timedReceived * size) / 1e6;
  const sent = m.warmupMessages + m.messages;
  return {
    warmupMessages: m.warmupMessages,
    messages: m.messages,
    elapsedNs: m.elapsedNs,
    mbPerSec: mb / seconds,
    msgsPerSec: timedReceived / seconds,
    cpuNsPerMB: m.cpuNs / mb,
    received: r.received,
    warmupReceived: r.warmupReceived,
    // The receiver counts the gaps it saw; a loss after the last datagram that arrived (END lost too,
    // the receiver ended on silence) only the sender can count: sent − received.
    lost: Math.max(r.lost, sent - r.received),
    reordered: r.reordered,
    corrupt: r.corrupt,
    verified: r.corrupt === 0 && (!reliable || (r.received === sent && r.lost === 0 && r.reordered === 0)),
    ratioToC: null,
  };
}

export function throughputRow(id: RowIdentity, ms: readonly ThroughputMeasurement[], reliable: boolean): ThroughputRow {
  if (ms.length === 0) throw new Error('a row needs at least one repetition');
  const reps = ms.map((m) => throughputRep(m, id.size, reliable));
  const sum = (f: (r: ThroughputRep) => number) => reps.reduce((n, r) => n + f(r), 0);
  const spread = spreadOf(reps.map((r) => r.mbPerSec));
  const sent = sum((r) => r.warmupMessages + r.messages);
  return {
    kind: 'throughput',
    ...id,
    cpus: ms[0]!.cpus,
    messages: sum((r) => r.messages),
    warmupMessages: sum((r) => r.warmupMessages),
    bytes: sum((r) => r.received - r.warmupReceived) * id.size,
    elapsedNs: sum((r) => r.elapsedNs),
    mbPerSec: median(reps.map((r) => r.mbPerSec)),
    msgsPerSec: median(reps.map((r) => r.msgsPerSec)),
    cpuNsPerMB: median(reps.map((r) => r.cpuNsPerMB)),
    lossRate: sent > 0 ? sum((r) => r.lost) / sent : 0,
    received: sum((r) => r.received),
    warmupReceived: sum((r) => r.warmupReceived),
    lost: sum((r) => r.lost),
    reordered: sum((r) => r.reordered),
    corrupt: sum((r) => r.corrupt),
    verified: reps.every((r) => r.verified),
    repetitions: reps.length,
    spread,
    unstable: isUnstable(spread),
    ratioToC: null,
    reps,
  };
}

export function sameGroup(a: RowIdentity & { kind: string }, b: RowIdentity & { kind: string }): boolean {
  return a.kind === b.kind && a.mechanism === b.mechanism && a.placement === b.placement && a.size === b.size;
}

/**
 * Ratios to the C row of the same mechanism, size and placement: the row's aggregate over the C row's
 * (latency p50: higher = slower than C; throughput MB/s: higher = faster), and per repetition, rep i
 * over the C row's rep i (measured next to each other).
 */
export function applyRatios(rows: Row[]): void {
  for (const r of rows) {
    if (r.impl === 'c') continue;
    const c = rows.find((x) => x.impl === 'c' && sameGroup(x, r));
    if (!c) continue;
    if (r.kind === 'latency' && c.kind === 'latency') {
      r.ratioToC = r.p50 / c.p50;
      r.reps.forEach((rep, i) => (rep.ratioToC = c.reps[i] ? rep.p50 / c.reps[i].p50 : null));
    }
    if (r.kind === 'throughput' && c.kind === 'throughput') {
      r.ratioToC = r.mbPerSec / c.mbPerSec;
      r.reps.forEach((rep, i) => (rep.ratioToC = c.reps[i] ? rep.mbPerSec / c.reps[i].mbPerSec : null));
    }
  }
}
