// The terminal report: one table per suite, every TS figure next to its ratio to C and the spread of
// its repetitions, placement on every row, and the harness's own costs at the end. Needs nothing but
// a results.json: it imports types and formatting only.
import type { LatencyRow, Results, Row, ThroughputRow } from '../results.js';
import { formatMBps, formatNs, formatNsRange, formatRate, formatSize, implLabel as impl, placementLabel as placement, table } from './format.js';

export { formatNs } from './format.js';

const UNSTABLE_MARK = '!';

/** The C row of the same group, if it was measured. */
function cRowOf(res: Results, r: Row): Row | undefined {
  return res.rows.find((x) => x.impl === 'c' && x.kind === r.kind && x.mechanism === r.mechanism && x.placement === r.placement && x.size === r.size);
}

/** "1.25×", with the mark when this row or its C row is unstable (the ratio is then no better). */
function ratio(res: Results, r: Row): string {
  if (r.ratioToC === null) return '';
  const c = cRowOf(res, r);
  return `${r.ratioToC.toFixed(2)}×${r.unstable || c?.unstable ? UNSTABLE_MARK : ''}`;
}

function marked(text: string, r: Row): string {
  return r.unstable ? `${text} ${UNSTABLE_MARK}` : text;
}

function legend(res: Results): string[] {
  const s = res.settings;
  return [
    `${s.repetitions} repetition(s) per row, interleaved (C, TS, …, then again) within each mechanism, size and placement;`,
    `a figure is the median of its repetitions, "spread" their min–max; ${UNSTABLE_MARK} = spread wider than ` +
      `${Math.round(s.unstableSpread * 100)} % of the median: do not trust that figure (after ×C: this row or its C row).`,
  ];
}

export function renderTable(res: Results): string {
  const out: string[] = [];
  const lat = res.rows.filter((r): r is LatencyRow => r.kind === 'latency');
  const thr = res.rows.filter((r): r is ThroughputRow => r.kind === 'throughput');
  if (lat.length || thr.length) out.push(...legend(res), '');
  if (lat.length) {
    out.push('Latency — round trip between two processes (ratio = p50 / C p50; lower is better; p90 … max over all repetitions\' samples)');
    out.push(
      table(
        ['mechanism', 'impl', 'placement', 'size', 'p50', 'spread', 'p90', 'p99', 'p99.9', 'max', 'CPU/rt', 'samples', '×C'],
        lat.map((r) => [
          r.mechanism,
          impl(r),
          placement(r),
          formatSize(r.size),
          formatNs(r.p50),
          marked(formatNsRange(r.spread.min, r.spread.max), r),
          formatNs(r.p90),
          formatNs(r.p99),
          formatNs(r.p999),
          formatNs(r.max),
          formatNs(r.cpuNsPerOp),
          String(r.samples),
          ratio(res, r),
        ]),
        3,
      ),
    );
  }
  if (thr.length) {
    out.push('', 'Throughput — one-way stream after a warm-up, every message checked (ratio = MB/s / C MB/s; higher is better)');
    out.push(
      table(
        ['mechanism', 'impl', 'placement', 'size', 'MB/s', 'spread', 'msgs/s', 'CPU/MB', 'checked', '×C'],
        thr.map((r) => [
          r.mechanism,
          impl(r),
          placement(r),
          formatSize(r.size),
          formatMBps(r.mbPerSec),
          marked(`${formatMBps(r.spread.min)}–${formatMBps(r.spread.max)}`, r),
          formatRate(r.msgsPerSec),
          formatNs(r.cpuNsPerMB),
          !r.verified
            ? `FAILED lost ${r.lost} reord ${r.reordered} corrupt ${r.corrupt}`
            : r.lost > 0
              ? `ok ${r.received}, lost ${(r.lossRate * 100).toFixed(1)}%`
              : `ok ${r.received}`,
          ratio(res, r),
        ]),
        3,
      ),
    );
  }
  const cell = (p: { claimed: unknown; observed: unknown; agrees: boolean | null }) =>
    p.agrees === null ? '– not observed' : p.agrees ? `✓ ${String(p.observed)}` : `✗ ${String(p.observed)} (notes: ${String(p.claimed)})`;
  if (res.semantics.length) {
    out.push('', 'Semantics — observed across two processes, compared with the course notes (✓ agrees, ✗ differs, – not observed)');
    out.push(
      table(
        ['mechanism', 'boundaries', 'duplex', 'reliable', 'reach', 'truncation', 'max message', 'passes fds'],
        res.semantics.map((s) => [s.mechanism, cell(s.boundaries), cell(s.duplex), cell(s.reliable), cell(s.reach), cell(s.truncation), cell(s.maxMessage), cell(s.passesFds)]),
        99,
      ),
    );
    for (const s of res.semantics) {
      for (const key of ['boundaries', 'duplex', 'reliable', 'reach', 'truncation', 'maxMessage', 'passesFds'] as const) out.push(`  ${s.mechanism} ${key}: ${s[key].evidence}`);
    }
  }
  const sync = res.syncSemantics ?? []; // absent in results.json files older than the sync matrix
  if (sync.length) {
    const keys = ['threads', 'relatedProcesses', 'unrelatedProcesses', 'survivesHolderDeath', 'wakesOtherProcess', 'syncBlocksLoop', 'asyncBlocksLoop'] as const;
    out.push('', 'Sync semantics — observed across worker threads and processes, compared with the notes (✓ agrees, ✗ differs, – not observed)');
    out.push(
      table(
        ['primitive', 'threads', 'related procs', 'unrelated procs', 'survives holder death', 'wakes other process', 'sync form blocks loop', 'async form blocks loop'],
        sync.map((s) => [s.primitive, ...keys.map((k) => cell(s[k]))]),
        99,
      ),
    );
    for (const s of sync) for (const k of keys) out.push(`  ${s.primitive} ${k}: ${s[k].evidence}`);
  }
  if (res.harness.floors.length) {
    out.push('', 'In-process floors (mitata, this process)');
    out.push(table(['operation', 'mean', 'p50', 'p99'], res.harness.floors.map((f) => [f.name, formatNs(f.ns), formatNs(f.p50), formatNs(f.p99)]), 1));
    // A blocking round trip makes four addon calls (a write and a read on each side): their cost beside
    // the fastest same-vCPU blocking round trip says what the binding itself adds.
    const call = res.harness.floors.find((f) => f.name.startsWith('addon call'));
    const blocking = lat.filter((r) => r.impl === 'ts' && r.path === 'blocking' && r.placement === 'same');
    if (call && blocking.length) {
      const fastest = blocking.reduce((a, b) => (b.p50 < a.p50 ? b : a));
      out.push(
        `binding overhead: 4 addon calls per blocking round trip ≈ ${formatNs(4 * call.p50)}, ` +
          `${((4 * call.p50 * 100) / fastest.p50).toFixed(1)}% of the fastest TS blocking p50 (${fastest.mechanism}, ${formatNs(fastest.p50)})`,
      );
    }
  }
  const ov = res.harness.sampleOverheadNs;
  if (ov && lat.length) {
    const fastest = Math.min(...lat.map((r) => r.p50));
    out.push(
      '',
      `tinybench overhead per sample: ${formatNs(ov.blocking)} blocking, ${formatNs(ov.async)} async ` +
        `(${((Math.max(ov.blocking, ov.async) / fastest) * 100).toFixed(1)}% of the fastest p50, ${formatNs(fastest)})`,
    );
  }
  if (res.errors.length) {
    out.push('', `${res.errors.length} row(s) failed:`);
    for (const e of res.errors) {
      const where = e.kind === 'semantics' ? '' : ` (repetition ${e.repetition})`;
      out.push(`  ${e.kind} ${e.mechanism} ${impl(e)} ${e.placement} ${formatSize(e.size)}${where}: ${e.error}`);
    }
  }
  const m = res.machine;
  const t = m.topology;
  const smt = t.smtSiblings.filter((g) => g.length > 1);
  out.push(
    '',
    `${m.cpuModel}, ${m.cores} CPUs${m.virtualized ? ' (virtual)' : ''} (allowed: ${t.allowed.join(',')}; SMT siblings: ` +
      `${smt.length ? smt.map((g) => g.join('+')).join(' ') : 'none'}; NUMA nodes: ${t.numaNodes.length || '?'}), ` +
      `Linux ${m.kernel}, Node ${m.node}; profile ${res.profile}; CPU time: process CPU-time clocks (clock_getcpuclockid)`,
  );
  return out.join('\n');
}
