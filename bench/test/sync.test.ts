// `ipc-compare bench sync`: the built CLI in plain Node (real child processes, worker threads and the
// C program), and the C program's modes on their own. Shapes, counts and correctness only: no timing
// is judged (noisy VMs).
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { Histogram, type HistogramData } from '../src/histogram.js';
import { RESULTS_SCHEMA, type Results } from '../src/results.js';
import { cProgramPath } from '../src/runners/c-baseline.js';
import { syncPrimitives } from '../src/sync/primitives.js';

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
/** Hang guard only (no timing is judged): the whole sync suite, on a machine with both cores busy. */
const HANG_GUARD_MS = 300_000;
const out = mkdtempSync(join(tmpdir(), 'ipc-compare-sync-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

function exec(file: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd: out, maxBuffer: 64 << 20 }, (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }));
  });
}

describe('ipc-compare bench sync (built CLI, plain Node)', () => {
  it('measures every primitive of the table: uncontended with C ratios, exact contended totals, ping-pong rows, placement recorded', async () => {
    const r = await exec(process.execPath, [cli, 'bench', 'sync', '--quick', '--json', '--repetitions', '2', '--duration-ms', '20', '--warmup-ms', '5', '--placement', 'same,split', '--out', out]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const res = JSON.parse(r.stdout) as Results;
    expect(res.schema).toBe(RESULTS_SCHEMA);
    expect(res.errors).toEqual([]);
    expect(res.rows).toEqual([]); // no transport suite ran
    const sync = res.sync!;
    expect(sync.settings).toMatchObject({ increments: 20_000, uncontendedMs: 20, pingpongWarmupMs: 5, pingpongDurationMs: 20 });

    // Uncontended: one TS row per operation of the table, each with its C operation measured and a ratio.
    const ops = syncPrimitives.flatMap((p) => (p.uncontended ?? []).map((u) => `${p.id}/${u.op}`));
    expect(sync.uncontended.filter((x) => x.impl === 'ts').map((x) => `${x.primitive}/${x.op}`)).toEqual(ops);
    for (const row of sync.uncontended) {
      expect(row.repetitions).toBe(2);
      expect(row.reps).toHaveLength(2);
      expect(row.nsPerOp).toBeGreaterThan(0);
      expect(row.placement).toBe('same');
      expect(row.cpus.parent).toEqual(expect.any(Number));
      if (row.impl === 'c') {
        expect(row.ratioToC).toBeNull();
        continue;
      }
      const c = sync.uncontended.find((x) => x.impl === 'c' && x.op === row.cOp)!;
      expect(c).toBeDefined();
      expect(row.ratioToC).toBeCloseTo(row.nsPerOp / c.nsPerOp, 9);
      row.reps.forEach((rep, i) => expect(rep.ratioToC).toBeCloseTo(rep.nsPerOp / c.reps[i]!.nsPerOp, 9));
    }

    // Contended: C and TS for every lock of the table, processes and threads, both placements; exact totals.
    const locks = syncPrimitives.filter((p) => p.contended).map((p) => p.id);
    expect(locks).toEqual(['futex-mutex', 'mutex', 'rwlock', 'semaphore', 'named-semaphore', 'xsi-semaphore']);
    const expectedKeys = locks.flatMap((id) => ['processes', 'threads'].flatMap((w) => ['same', 'split'].flatMap((pl) => ['c/blocking', 'ts/blocking', 'ts/async'].map((i) => `${id}/${w}/${pl}/${i}`))));
    expect(sync.contended.map((x) => `${x.primitive}/${x.workers}/${x.placement}/${x.impl}/${x.path}`).sort()).toEqual(expectedKeys.sort());
    for (const row of sync.contended) {
      expect(row.exact).toBe(true);
      expect(row.parties).toBe(2);
      const n = row.path === 'async' ? 2000 : 20_000;
      expect(row.incrementsPerParty).toBe(n);
      expect(row.reps).toHaveLength(2);
      for (const rep of row.reps) {
        expect(rep.total).toBe(2 * n);
        expect(rep.expected).toBe(2 * n);
        expect(rep.opsPerSec).toBeGreaterThan(0);
        expect(rep.cpuNsPerOp).toBeGreaterThan(0);
      }
      expect(row.ratioToC === null).toBe(row.impl === 'c');
      expect(row.cpus.parent).not.toBeNull();
      if (row.placement === 'split') expect(row.cpus.parent).not.toBe(row.cpus.child);
      else expect(row.cpus.parent).toBe(row.cpus.child);
    }

    // Ping-pong: blocking and async TS rows beside their C row, Atomics between threads only, the pipe of the same run.
    const pp = sync.pingpong;
    const key = (x: (typeof pp)[number]) => `${x.primitive}/${x.workers}/${x.impl}/${x.path}`;
    for (const placement of ['same', 'split']) {
      const here = pp.filter((x) => x.placement === placement).map(key).sort();
      expect(here).toEqual(
        [
          ...['semaphore', 'futex', 'mutex-cond', 'eventfd'].flatMap((p) => ['processes', 'threads'].flatMap((w) => [`${p}/${w}/c/blocking`, `${p}/${w}/ts/blocking`, `${p}/${w}/ts/async`])),
          'atomics/threads/ts/blocking',
          'atomics/threads/ts/async',
          'pipe/processes/c/blocking',
          'pipe/processes/ts/blocking',
        ].sort(),
      );
    }
    for (const row of pp) {
      expect(row.samples).toBeGreaterThan(0);
      expect(row.histogram.count).toBe(row.samples);
      expect(row.reps.reduce((n, x) => n + x.samples, 0)).toBe(row.samples);
      expect(row.cpuNsPerOp).toBeGreaterThan(0);
      expect(row.cpus.parent).not.toBeNull();
      if (row.impl === 'c') {
        expect(row.cRef).toBeNull();
        continue;
      }
      expect(row.cRef).toEqual({ primitive: row.primitive === 'atomics' ? 'futex' : row.primitive, workers: row.workers });
      const c = pp.find((x) => x.impl === 'c' && x.primitive === row.cRef!.primitive && x.workers === row.workers && x.placement === row.placement)!;
      expect(row.ratioToC).toBeCloseTo(row.p50 / c.p50, 9);
      for (const rep of row.reps) expect(rep.ratioToC).toEqual(expect.any(Number));
    }
    const saved = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as Results;
    expect(saved.sync!.contended).toHaveLength(sync.contended.length);
  }, HANG_GUARD_MS);

  it('renders the sync tables with placement and ratios', async () => {
    const r = await exec(process.execPath, [cli, 'bench', 'sync', '--quick', '--repetitions', '1', '--duration-ms', '10', '--warmup-ms', '0', '--placement', 'same', '--out', out]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Sync, uncontended/m);
    expect(r.stdout).toMatch(/^futex-mutex\s+lockSync\+unlock\s+TS\s+same \(\d+\)\s+[\d.]+/m);
    expect(r.stdout).toMatch(/^target: FutexMutex lockSync\+unlock .* (met|not met)/m);
    expect(r.stdout).toMatch(/^Sync, contended/m);
    expect(r.stdout).toMatch(/^mutex\s+TS blocking\s+processes\s+same \(\d+\/\d+\)\s+.*exact 40000\s+[\d.]+×/m);
    expect(r.stdout).toMatch(/^named-semaphore\s+TS async\s+processes\s+same \(\d+\/\d+\)\s+.*exact 4000\s+[\d.]+×/m);
    expect(r.stdout).toMatch(/^eventfd\s+TS blocking\s+threads\s+same .* eventfd\s+[\d.]+×/m);
    expect(r.stdout).toMatch(/^Sync, wake-up latency/m);
    expect(r.stdout).toMatch(/^semaphore\s+TS async\s+processes\s+same \(\d+\/\d+\)\s+[\d.]+ µs/m);
    expect(r.stdout).toMatch(/^atomics\s+TS blocking\s+threads\s+same .* futex\s+[\d.]+×/m);
  }, HANG_GUARD_MS);
});

describe('bench/c/sync', () => {
  const sync = cProgramPath('sync');

  it('--uncontended prints ns/op for every C operation the table compares with', async () => {
    const r = await exec(sync, ['--uncontended', '--duration-ms', '5', '--cpu', '0']);
    expect(r.code).toBe(0);
    const o = JSON.parse(r.stdout) as { mode: string; cpu: number; ops: Array<{ op: string; nsPerOp: number; iterations: number }> };
    expect(o).toMatchObject({ mechanism: 'sync', mode: 'uncontended', cpu: 0 });
    const wanted = new Set(syncPrimitives.flatMap((p) => (p.uncontended ?? []).map((u) => u.cOp)));
    expect(new Set(o.ops.map((x) => x.op))).toEqual(wanted);
    for (const op of o.ops) {
      expect(op.nsPerOp).toBeGreaterThan(0);
      expect(op.iterations % 1024).toBe(0);
    }
  });

  it.each(['mutex', 'sem', 'futex', 'rwlock', 'named-sem', 'xsi-sem'].flatMap((p) => [[p, 'processes'], [p, 'threads']]))('--contended %s between %s: the total is exact', async (prim, workers) => {
    const r = await exec(sync, ['--contended', prim!, ...(workers === 'threads' ? ['--threads'] : []), '--increments', '50000', '--cpu-parent', '0', '--cpu-child', '1']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const o = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(o).toMatchObject({ mode: 'contended', primitive: prim, workers, parties: 2, increments: 50000, expected: 100000, total: 100000 });
    expect(o.elapsedNs).toBeGreaterThan(0);
    expect(o.cpuNsParent).toBeGreaterThan(0);
    if (workers === 'threads') expect(o.cpuNsChild).toBe(0);
  });

  it.each(['sem', 'futex', 'cond', 'eventfd'].flatMap((p) => [[p, 'processes'], [p, 'threads']]))('--pingpong %s between %s: a valid histogram and CPU time', async (prim, workers) => {
    const r = await exec(sync, ['--pingpong', prim!, ...(workers === 'threads' ? ['--threads'] : []), '--warmup-ms', '0', '--duration-ms', '10']);
    expect(r.code).toBe(0);
    const o = JSON.parse(r.stdout) as { primitive: string; workers: string; histogram: HistogramData; cpuNsParent: number; cpuNsChild: number };
    expect(o).toMatchObject({ mode: 'pingpong', primitive: prim, workers });
    expect(Histogram.fromData(o.histogram).count).toBeGreaterThan(0);
    expect(o.cpuNsParent).toBeGreaterThan(0);
    if (workers === 'processes') expect(o.cpuNsChild).toBeGreaterThan(0);
  });

  it('refuses bad arguments with usage (exit 1)', async () => {
    for (const bad of [[], ['--pingpong', 'mutex', '--warmup-ms', '0', '--duration-ms', '1'], ['--contended', 'sem'], ['--contended', 'cond', '--increments', '1'], ['--pingpong', 'rwlock', '--warmup-ms', '0', '--duration-ms', '1'], ['--uncontended', '--duration-ms', 'x']]) {
      const r = await exec(sync, bad);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/usage: sync --uncontended/);
    }
  });
});
