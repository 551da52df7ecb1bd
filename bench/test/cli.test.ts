// The built CLI, run in plain Node (not through vitest's module loader), end to end: real processes,
// the C baseline, results.json and its schema.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { RESULTS_SCHEMA, type LatencyRow, type Results, type ThroughputRow } from '../src/results.js';

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const out = mkdtempSync(join(tmpdir(), 'ipc-compare-cli-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [cli, ...args], { cwd: out, maxBuffer: 64 << 20 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('ipc-compare bench (built CLI, plain Node)', () => {
  it('measures pipe latency and throughput for TS async, TS blocking, Node and C, with ratios and placement', async () => {
    const r = await run(['bench', 'all', '--mechanisms', 'pipe', '--sizes', '64', '--placement', 'same,split', '--duration-ms', '40', '--warmup-ms', '10', '--no-floors', '--out', out]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Latency — round trip/);
    expect(r.stdout).toMatch(/pipe\s+TS blocking\s+same \(\d\/\d\)\s+64 B/);
    expect(r.stdout).toMatch(/pipe\s+Node async\s+split \(0\/1\)\s+64 B/);
    const res = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as Results;
    expect(res.schema).toBe(RESULTS_SCHEMA);
    expect(res.machine).toMatchObject({ cores: expect.any(Number), kernel: expect.any(String), node: process.version });
    expect(res.errors).toEqual([]);
    const lat = res.rows.filter((x): x is LatencyRow => x.kind === 'latency');
    const thr = res.rows.filter((x): x is ThroughputRow => x.kind === 'throughput');
    // 4 impls × 2 placements each.
    const kinds = ['c/blocking', 'node/async', 'ts/async', 'ts/blocking'].flatMap((k) => [`${k}/same`, `${k}/split`]);
    expect(lat.map((x) => `${x.impl}/${x.path}/${x.placement}`).sort()).toEqual(kinds);
    expect(thr.map((x) => `${x.impl}/${x.path}/${x.placement}`).sort()).toEqual(kinds);
    for (const row of lat) {
      expect(row.samples).toBeGreaterThan(0);
      expect(row.p50).toBeGreaterThan(0);
      expect(row.p50).toBeLessThanOrEqual(row.p99);
      expect(row.cpuNsPerOp).toBeGreaterThan(0);
      expect(row.ratioToC === null).toBe(row.impl === 'c');
      expect(row.cpus.parent).not.toBeNull();
    }
    for (const row of thr) {
      expect(row.verified).toBe(true);
      expect(row.received).toBe(row.messages);
      expect(row.mbPerSec).toBeGreaterThan(0);
    }
    const split = lat.find((x) => x.placement === 'split')!;
    expect(split.cpus.parent).not.toBe(split.cpus.child);
  });

  it('prints JSON on --json and refuses bad arguments with usage (exit 2)', async () => {
    const j = await run(['bench', 'latency', '--sizes', '1', '--placement', 'none', '--duration-ms', '20', '--warmup-ms', '5', '--no-floors', '--json', '--out', out]);
    expect(j.code).toBe(0);
    const res = JSON.parse(j.stdout) as Results;
    expect(res.rows.every((x) => x.placement === 'none' && x.cpus.parent === null)).toBe(true);
    for (const bad of [['bench', 'sideways'], ['bench', '--sizes', '0'], ['bench', '--placement', 'left'], ['bench', '--mechanisms', 'carrier-pigeon'], ['frobnicate']]) {
      const r = await run(bad);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^ipc-compare: .+\n\nusage: ipc-compare bench/);
    }
  });
});
