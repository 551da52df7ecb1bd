// Summary statistics of latency samples (ns). Percentiles use the nearest-rank method on the sorted
// samples, so every reported figure is a latency that was actually measured.

export interface LatencyStats {
  samples: number;
  min: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
  stddev: number;
}

export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) throw new Error('no samples');
  // p * n / 100 first, and a tolerance: 99.9 / 100 * 1000 is 999.0000000000001 in floating point.
  const rank = Math.ceil((p * sorted.length) / 100 - 1e-9);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

export function latencyStats(samplesNs: ArrayLike<number>): LatencyStats {
  const sorted = Float64Array.from(samplesNs).sort();
  const n = sorted.length;
  let sum = 0;
  for (const v of sorted) sum += v;
  const mean = sum / n;
  let sq = 0;
  for (const v of sorted) sq += (v - mean) ** 2;
  return {
    samples: n,
    min: sorted[0]!,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    p999: percentile(sorted, 99.9),
    max: sorted[n - 1]!,
    mean,
    stddev: n > 1 ? Math.sqrt(sq / (n - 1)) : 0,
  };
}
