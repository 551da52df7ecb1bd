import { describe, expect, it } from 'vitest';
import { applyRatios, latencyRow, throughputRow } from '../src/aggregate.js';
import { Histogram, bucketIndex, bucketLow, bucketWidth } from '../src/histogram.js';
import { parseSize } from '../src/plan.js';
import type { LatencyRow, ThroughputRow } from '../src/results.js';
import type { LatencyMeasurement } from '../src/runners/latency.js';
import type { ThroughputMeasurement } from '../src/runners/throughput.js';
import { UNSTABLE_SPREAD, isUnstable, latencyStats, median, percentile, spreadOf } from '../src/stats.js';

describe('Histogram buckets', () => {
  it('are exact below 512 ns, contiguous, and at most 1/256 of their value wide above', () => {
    for (let v = 0; v < 512; v++) expect([bucketIndex(v), bucketLow(v), bucketWidth(v)]).toEqual([v, v, 1]);
    let prevEnd = 0;
    for (let i = 0; i < 40 * 256; i++) {
      const low = bucketLow(i);
      expect(low).toBe(prevEnd); // no gap, no overlap
      expect(bucketIndex(low)).toBe(i);
      expect(bucketIndex(low + bucketWidth(i) - 1)).toBe(i);
      if (low >= 512) expect(bucketWidth(i) / low).toBeLessThanOrEqual(1 / 256);
      prevEnd = low + bucketWidth(i);
    }
    // Powers of two, where a floating-point log2 could be off by one.
    for (let e = 9; e < 53; e++) {
      expect(bucketLow(bucketIndex(2 ** e))).toBe(2 ** e);
      expect(bucketLow(bucketIndex(2 ** e - 1))).toBeLessThan(2 ** e);
    }
  });

  it('give nearest-rank percentiles within 0.2 % (exact below 512 ns), clamped to the measured min and max', () => {
    const h = Histogram.fromSamples(Array.from({ length: 1000 }, (_, i) => 1000 - i)); // 1..1000, unsorted
    const s = latencyStats(h);
    expect(s).toMatchObject({ samples: 1000, min: 1, p50: 500, max: 1000 });
    for (const [got, want] of [[s.p90, 900], [s.p99, 990], [s.p999, 999]] as const) {
      expect(got).toBeGreaterThanOrEqual(want);
      expect(got).toBeLessThanOrEqual(want * 1.002);
    }
    expect(s.mean).toBeCloseTo(500.5);
    expect(s.stddev).toBeCloseTo(288.82, 0);
    const one = Histogram.fromSamples([123_456]);
    expect(latencyStats(one)).toMatchObject({ p50: 123_456, p999: 123_456, min: 123_456, max: 123_456, stddev: 0 });
    expect(() => latencyStats(new Histogram())).toThrow(/no samples/);
  });

  it('merge (pooling repetitions) and round-trip through their JSON form, which is checked', () => {
    const a = Histogram.fromSamples([100, 200, 5000]);
    const b = Histogram.fromSamples([100, 70_000]);
    const pooled = new Histogram().merge(a).merge(b);
    expect(pooled.toJSON()).toMatchObject({ count: 5, sumNs: 75_400, minNs: 100, maxNs: 70_000 });
    expect(pooled.toJSON().buckets[0]).toEqual([100, 2]);
    expect(Histogram.fromData(pooled.toJSON()).toJSON()).toEqual(pooled.toJSON());
    expect(() => Histogram.fromData({ ...pooled.toJSON(), count: 6 })).toThrow(/count says 6/);
    expect(() => Histogram.fromData({ ...pooled.toJSON(), buckets: [[513, 5]] })).toThrow(/not the start of a bucket/);
    expect(() => Histogram.fromData({ ...pooled.toJSON(), subBucketBits: 7 })).toThrow(/sub-bucket bits/);
  });

  it('percentile of sorted samples (nearest rank) is still available', () => {
    expect(percentile([7], 99.9)).toBe(7);
    expect(percentile([1, 2, 3, 4], 50)).toBe(2);
  });
});

describe('median, spread, unstable', () => {
  it('median of odd and even counts; spread relative to the median; the threshold is 20 %', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(spreadOf([10, 10, 12])).toEqual({ min: 10, max: 12, relative: 0.2 });
    expect(UNSTABLE_SPREAD).toBe(0.2);
    expect(isUnstable(spreadOf([10, 10, 12]))).toBe(false); // exactly 20 %: not above
    expect(isUnstable(spreadOf([10, 10, 12.5]))).toBe(true);
    expect(spreadOf([5]).relative).toBe(0);
  });
});

describe('parseSize', () => {
  it('reads bytes, KiB and MiB and refuses the rest', () => {
    expect(['64', '4k', '64K', '1m'].map(parseSize)).toEqual([64, 4096, 65536, 1048576]);
    for (const bad of ['0', '-1', '1.5k', '65m', 'big', '']) expect(() => parseSize(bad)).toThrow();
  });
});

const id = { mechanism: 'pipe', path: 'blocking', placement: 'same', size: 64 } as const;
const cpus = { parent: 1, child: 1 };
const lat = (samples: number[], cpuNs = 0): LatencyMeasurement => ({ cpus, histogram: Histogram.fromSamples(samples), cpuNs });

describe('latencyRow', () => {
  it('p50 = median of the repetitions’ p50s; tails from the pooled samples; spread and unstable from the p50s', () => {
    const reps = [lat([100, 100, 100, 400], 800), lat([110, 110, 110, 110], 440), lat([300, 300, 300, 300], 1200)];
    const row = latencyRow({ ...id, impl: 'c' }, reps);
    expect(row.reps.map((r) => r.p50)).toEqual([100, 110, 300]);
    expect(row.p50).toBe(110);
    expect(row).toMatchObject({ repetitions: 3, samples: 12, min: 100, max: 400, engine: 'c', cpuNsPerOp: 200 });
    expect(row.spread).toEqual({ min: 100, max: 300, relative: 200 / 110 });
    expect(row.unstable).toBe(true);
    expect(row.histogram.count).toBe(12);
    expect(latencyRow({ ...id, impl: 'ts' }, [lat([100]), lat([101]), lat([102])]).unstable).toBe(false);
  });
});

const thr = (o: Partial<ThroughputMeasurement> & { received: number; warmupReceived: number; lost?: number }): ThroughputMeasurement => ({
  cpus,
  warmupMessages: o.warmupMessages ?? 0,
  messages: o.messages ?? 0,
  elapsedNs: o.elapsedNs ?? 1e9,
  cpuNs: o.cpuNs ?? 1e9,
  report: { received: o.received, warmupReceived: o.warmupReceived, lost: o.lost ?? 0, reordered: 0, corrupt: 0 },
});

describe('throughputRow', () => {
  it('counts only the timed window in the figures, checks the whole stream, medians over repetitions', () => {
    const size = 1000;
    const reps = [
      thr({ warmupMessages: 500, messages: 1000, received: 1500, warmupReceived: 500 }), // 1 MB/s
      thr({ warmupMessages: 500, messages: 2000, received: 2500, warmupReceived: 500 }), // 2 MB/s
      thr({ warmupMessages: 500, messages: 3000, received: 3500, warmupReceived: 500 }), // 3 MB/s
    ];
    const row = throughputRow({ ...id, size, impl: 'c' }, reps, true);
    expect(row.reps.map((r) => r.mbPerSec)).toEqual([1, 2, 3]);
    expect(row).toMatchObject({ mbPerSec: 2, msgsPerSec: 2000, messages: 6000, warmupMessages: 1500, bytes: 6e6, received: 7500, verified: true, unstable: true });
    expect(row.cpuNsPerMB).toBe(1e9 / 2);
    // A reliable mechanism that lost a warm-up message is not verified: every message is checked.
    const lostInWarmup = throughputRow({ ...id, size, impl: 'c' }, [thr({ warmupMessages: 10, messages: 10, received: 19, warmupReceived: 9, lost: 1 })], true);
    expect(lostInWarmup.verified).toBe(false);
    // A lossy one is verified with its loss reported, over the whole stream.
    const udp = throughputRow({ ...id, size, impl: 'c' }, [thr({ warmupMessages: 10, messages: 10, received: 15, warmupReceived: 8, lost: 5 })], false);
    expect(udp).toMatchObject({ verified: true, lossRate: 0.25, bytes: 7 * size });
    // The last 3 datagrams and the ENDs lost: the receiver saw 2 gaps and ended on silence; the
    // sender's count makes it 5, so received + lost is what was sent.
    const tail = throughputRow({ ...id, size, impl: 'ts' }, [thr({ warmupMessages: 10, messages: 10, received: 15, warmupReceived: 10, lost: 2 })], false);
    expect(tail).toMatchObject({ lost: 5, lossRate: 0.25 });
    expect(tail.received + tail.lost).toBe(20);
  });
});

describe('applyRatios', () => {
  it('divides each row by the C row of the same mechanism, size and placement, overall and per repetition', () => {
    const c = latencyRow({ ...id, impl: 'c' }, [lat([2000]), lat([2000]), lat([2200])]);
    const ts = latencyRow({ ...id, impl: 'ts' }, [lat([3000]), lat([3300]), lat([3000])]);
    const other = latencyRow({ ...id, size: 4096, impl: 'ts' }, [lat([5000])]);
    const tc = throughputRow({ ...id, impl: 'c' }, [thr({ messages: 1e6, received: 1e6, warmupReceived: 0 })], true);
    const tt = throughputRow({ ...id, impl: 'ts' }, [thr({ messages: 8e5, received: 8e5, warmupReceived: 0 })], true);
    const rows: Array<LatencyRow | ThroughputRow> = [c, ts, other, tc, tt];
    applyRatios(rows);
    expect(rows.map((r) => r.ratioToC)).toEqual([null, 1.5, null, null, 0.8]);
    expect(ts.reps.map((r) => r.ratioToC)).toEqual([1.5, 1.65, 3000 / 2200]);
  });
});
