// The terminal report: one table per suite, every TS figure next to its ratio to C, placement on
// every row, and the harness's own costs at the end.
import type { LatencyRow, Results, ThroughputRow } from '../results.js';
import { formatSize, implLabel as impl } from '../run.js';

export function formatNs(ns: number): string {
  if (ns < 1000) return `${ns.toFixed(0)} ns`;
  if (ns < 1e6) return `${(ns / 1000).toFixed(ns < 1e4 ? 2 : 1)} µs`;
  return `${(ns / 1e6).toFixed(2)} ms`;
}

function formatRate(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} k`;
  return n.toFixed(0);
}


function placement(r: LatencyRow | ThroughputRow): string {
  const c = r.cpus;
  return c.parent === null ? 'none' : `${r.placement} (${c.parent}/${c.child})`;
}

function table(header: string[], rows: string[][], rightFrom: number): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i >= rightFrom ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ');
  return [line(header), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export function renderTable(res: Results): string {
  const out: string[] = [];
  const lat = res.rows.filter((r): r is LatencyRow => r.kind === 'latency');
  const thr = res.rows.filter((r): r is ThroughputRow => r.kind === 'throughput');
  if (lat.length) {
    out.push('Latency — round trip between two processes (ratio = p50 / C p50; lower is better)');
    out.push(
      table(
        ['mechanism', 'impl', 'placement', 'size', 'p50', 'p90', 'p99', 'p99.9', 'max', 'CPU/rt', 'samples', '×C'],
        lat.map((r) => [
          r.mechanism,
          impl(r),
          placement(r),
          formatSize(r.size),
          formatNs(r.p50),
          formatNs(r.p90),
          formatNs(r.p99),
          formatNs(r.p999),
          formatNs(r.max),
          formatNs(r.cpuNsPerOp),
          String(r.samples),
          r.ratioToC === null ? '' : `${r.ratioToC.toFixed(2)}×`,
        ]),
        3,
      ),
    );
  }
  if (thr.length) {
    out.push('', 'Throughput — one-way stream, every message checked (ratio = MB/s / C MB/s; higher is better)');
    out.push(
      table(
        ['mechanism', 'impl', 'placement', 'size', 'MB/s', 'msgs/s', 'CPU/MB', 'checked', '×C'],
        thr.map((r) => [
          r.mechanism,
          impl(r),
          placement(r),
          formatSize(r.size),
          r.mbPerSec.toFixed(r.mbPerSec < 100 ? 1 : 0),
          formatRate(r.msgsPerSec),
          formatNs(r.cpuNsPerMB),
          !r.verified
            ? `FAILED lost ${r.lost} reord ${r.reordered} corrupt ${r.corrupt}`
            : r.lost > 0
              ? `ok ${r.received}, lost ${(r.lossRate * 100).toFixed(1)}%`
              : `ok ${r.received}`,
          r.ratioToC === null ? '' : `${r.ratioToC.toFixed(2)}×`,
        ]),
        3,
      ),
    );
  }
  if (res.semantics.length) {
    out.push('', 'Semantics — observed across two processes, compared with the course notes (✓ agrees, ✗ differs)');
    const cell = (p: { claimed: unknown; observed: unknown; agrees: boolean }) =>
      p.agrees ? `✓ ${String(p.observed)}` : `✗ ${String(p.observed)} (notes: ${String(p.claimed)})`;
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
    for (const e of res.errors) out.push(`  ${e.kind} ${e.mechanism} ${impl(e)} ${e.placement} ${formatSize(e.size)}: ${e.error}`);
  }
  const m = res.machine;
  out.push('', `${m.cpuModel}, ${m.cores} CPUs${m.virtualized ? ' (virtual)' : ''}, Linux ${m.kernel}, Node ${m.node}; profile ${res.profile}`);
  return out.join('\n');
}
