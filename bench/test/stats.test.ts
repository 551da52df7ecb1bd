import { describe, expect, it } from 'vitest';
import { parseSize } from '../src/plan.js';
import { applyRatios } from '../src/run.js';
import type { LatencyRow, ThroughputRow } from '../src/results.js';
import { latencyStats, percentile } from '../src/stats.js';

describe('latencyStats', () => {
  it('uses nearest-rank percentiles: every figure is a measured sample', () => {
    const samples = Array.from({ length: 1000 }, (_, i) => 1000 - i); // 1..1000, unsorted
    const s = latencyStats(samples);
    expect(s).toMatchObject({ samples: 1000, min: 1, p50: 500, p90: 900, p99: 990, p999: 999, max: 1000 });
    expect(s.mean).toBeCloseTo(500.5);
    expect(s.stddev).toBeCloseTo(288.82, 1);
    expect(percentile([7], 99.9)).toBe(7);
    expect(() => latencyStats([])).toThrow();
  });
});

describe('parseSize', () => {
  it('reads bytes, KiB and MiB and refuses the rest', () => {
    expect(['64', '4k', '64K', '1m'].map(parseSize)).toEqual([64, 4096, 65536, 1048576]);
    for (const bad of ['0', '-1', '1.5k', '65m', 'big', '']) expect(() => parseSize(bad)).toThrow();
  });
});

describe('applyRatios', () => {
  it('divides each TS row by the C row of the same mechanism, size and placement only', () => {
    const base = { mechanism: 'pipe', placement: 'same', cpus: { parent: 1, child: 1 }, size: 64 } as const;
    const lat = (impl: 'ts' | 'c', p50: number, extra: Partial<LatencyRow> = {}) =>
      ({ ...base, kind: 'latency', impl, path: 'blocking', p50, ratioToC: null, ...extra }) as LatencyRow;
    const thr = (impl: 'ts' | 'c', mbPerSec: number) => ({ ...base, kind: 'throughput', impl, path: 'blocking', mbPerSec, ratioToC: null }) as ThroughputRow;
    const rows = [lat('c', 2000), lat('ts', 3000), lat('ts', 5000, { size: 4096 }), thr('c', 1000), thr('ts', 800)];
    applyRatios(rows);
    expect(rows.map((r) => r.ratioToC)).toEqual([null, 1.5, null, null, 0.8]);
  });
});
