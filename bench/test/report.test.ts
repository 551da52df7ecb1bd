// The terminal report renders a saved results.json and needs nothing else: no runner, no transport,
// not the native addon. Checked twice: the built module's import graph, and a real Node process that
// renders a file and then lists the shared objects it has loaded. Also what the table shows of
// repetitions: the spread column and the unstable marks.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { applyRatios, latencyRow, throughputRow } from '../src/aggregate.js';
import { Histogram } from '../src/histogram.js';
import { machineInfo } from '../src/machine.js';
import { formatNs, formatNsRange } from '../src/report/format.js';
import { formatResultsJson } from '../src/report/json.js';
import { renderTable } from '../src/report/table.js';
import { RESULTS_SCHEMA, type LatencyRow, type Results, type ThroughputRow } from '../src/results.js';
import { UNSTABLE_SPREAD } from '../src/stats.js';

const dist = fileURLToPath(new URL('../dist/', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'ipc-compare-report-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function sampleResults(): Results {
  const cpus = { parent: 1, child: 1 };
  const lat = (ns: number) => ({ cpus, histogram: Histogram.fromSamples([ns, ns, ns * 1.01]), cpuNs: 3 * ns });
  const thr = (messages: number) => ({ cpus, warmupMessages: 10, messages, elapsedNs: 1e8, cpuNs: 1e8, report: { received: messages + 10, warmupReceived: 10, lost: 0, reordered: 0, corrupt: 0 } });
  const id = { mechanism: 'pipe', placement: 'same', size: 64 } as const;
  const rows = [
    latencyRow({ ...id, impl: 'c', path: 'blocking' }, [lat(5000), lat(5100), lat(5200)]),
    latencyRow({ ...id, impl: 'ts', path: 'blocking' }, [lat(6000), lat(9000), lat(6100)]), // 50 % apart: unstable
    throughputRow({ ...id, impl: 'c', path: 'blocking' }, [thr(100_000), thr(101_000), thr(99_000)], true),
    throughputRow({ ...id, impl: 'ts', path: 'async' }, [thr(80_000), thr(81_000), thr(79_000)], true),
  ];
  applyRatios(rows);
  return {
    schema: RESULTS_SCHEMA,
    createdAt: new Date(0).toISOString(),
    command: 'ipc-compare bench all',
    machine: machineInfo(),
    profile: 'quick',
    settings: { placements: ['same'], latencySizes: [64], throughputSizes: [64], repetitions: 3, latencyWarmupMs: 1, latencyDurationMs: 1, throughputWarmupMs: 1, throughputDurationMs: 1, unstableSpread: UNSTABLE_SPREAD },
    harness: { cpuTimeSource: 'clock_getcpuclockid', sampleOverheadNs: null, floors: [] },
    rows,
    semantics: [],
    errors: [],
  };
}

/** Every module the built file imports, transitively (relative imports resolved; bare ones kept as written). */
function importGraph(entry: string): Set<string> {
  const seen = new Set<string>();
  const walk = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    if (!file.startsWith('/')) return; // a package or node: builtin
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/^\s*(?:(?:import|export)\s[^;'"]*?\sfrom|import)\s*['"]([^'"]+)['"]/gm)) {
      const spec = m[1]!;
      walk(spec.startsWith('.') ? resolve(dirname(file), spec) : spec);
    }
    for (const m of text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) walk(m[1]!.startsWith('.') ? resolve(dirname(file), m[1]!) : m[1]!);
  };
  walk(entry);
  return seen;
}

describe('report', () => {
  it('the built table module imports only the report and nothing outside it', () => {
    const graph = [...importGraph(join(dist, 'report/table.js'))];
    expect(graph.length).toBeGreaterThan(1);
    for (const m of graph) expect(m.startsWith(join(dist, 'report/'))).toBe(true);
  });

  it('rendering a saved results.json in a fresh Node process loads no runner and not the addon', () => {
    const file = join(dir, 'results.json');
    writeFileSync(file, formatResultsJson(sampleResults()));
    const script = `
      import { readFileSync } from 'node:fs';
      const { renderTable } = await import(${JSON.stringify(join(dist, 'report/table.js'))});
      const table = renderTable(JSON.parse(readFileSync(${JSON.stringify(file)}, 'utf8')));
      const shared = process.report.getReport().sharedObjects.filter((s) => s.endsWith('.node'));
      process.stdout.write(JSON.stringify({ table, shared }));`;
    const out = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' })) as { table: string; shared: string[] };
    expect(out.shared).toEqual([]);
    expect(out.table).toMatch(/^Latency/m);
    expect(out.table).toMatch(/pipe\s+TS blocking\s+same \(1\/1\)\s+64 B/);
  });

  it('shows the spread of the repetitions, marks unstable rows and the ratios they make', () => {
    const res = JSON.parse(formatResultsJson(sampleResults())) as Results;
    const table = renderTable(res);
    const [c, ts, tc, ta] = res.rows as [LatencyRow, LatencyRow, ThroughputRow, ThroughputRow];
    const esc = (t: string) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    expect(c.unstable).toBe(false);
    expect(table).toMatch(new RegExp(`pipe\\s+C\\s+same \\(1/1\\)\\s+64 B\\s+${esc(formatNs(c.p50))}\\s+${esc(formatNsRange(c.spread.min, c.spread.max))}\\s`));
    // TS blocking: 6.0, 9.0, 6.1 µs, about half the median apart: marked, and so is its ratio.
    expect(ts.unstable).toBe(true);
    expect(table).toMatch(new RegExp(`pipe\\s+TS blocking\\s+same \\(1/1\\)\\s+64 B\\s+${esc(formatNs(ts.p50))}\\s+${esc(formatNsRange(ts.spread.min, ts.spread.max))} !.*${ts.ratioToC!.toFixed(2)}×!$`, 'm'));
    expect(tc.unstable || ta.unstable).toBe(false);
    expect(table).toMatch(/pipe\s+TS async\s+same \(1\/1\)\s+64 B\s+51\.2\s+50\.6–51\.8\s.*0\.80×$/m);
    expect(table).toMatch(/3 repetition\(s\) per row/);
    expect(table).toMatch(/! = spread wider than 20 % of the median/);
    expect(table).toMatch(/allowed: [\d,]+; SMT siblings: /);
  });

  it('prints the reference section (spin floor, memcpy) when results.json has one, and says when the spin was skipped', () => {
    const res = sampleResults();
    res.harness.reference = { spinRoundTrip: { cpus: { parent: 0, child: 1 }, samples: 1000, p50: 292, p99: 316, mean: 300 }, memcpy: [{ bytes: 65536, nsPerCopy: 1350, mbps: 48545 }, { bytes: 1 << 20, nsPerCopy: 32000, mbps: 32768 }] };
    const table = renderTable(res);
    expect(table).toMatch(/^Reference \(c\/reference\.c\)/m);
    expect(table).toMatch(/busy-spin floor, split \(0\/1\): 292 ns p50, 316 ns p99 per round trip/);
    expect(table).toMatch(/memcpy: 64 KiB 48545 MB\/s \(1\.35 µs a copy\), 1 MiB 32768 MB\/s \(32\.0 µs a copy\)/);
    res.harness.reference.spinRoundTrip = { skipped: 'needs two distinct CPUs' };
    expect(renderTable(res)).toMatch(/busy-spin floor: not measured \(needs two distinct CPUs\)/);
    delete res.harness.reference;
    expect(renderTable(res)).not.toMatch(/^Reference/m); // an older results.json
  });

  it('results.json keeps repetitions and histograms on one line each, and reads back unchanged', () => {
    const res = sampleResults();
    const text = formatResultsJson(res);
    expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(res)));
    expect(text).toMatch(/^ {8}"buckets": \[\[\d+,\d+\]/m);
    expect(text).toMatch(/^ {8}\{"samples":3,"min":/m);
  });
});
