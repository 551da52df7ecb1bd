// Summary statistics: latency percentiles from a histogram (the same code for C and TypeScript rows),
// and the median and spread of a row's repetitions.
import { Histogram } from './histogram.js';

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

/**
 * A row is flagged `unstable` when its repetitions disagree by more than this fraction of their
 * median: (max − min) / median > 0.2. Why 20 %: the quality bar's tightest margins are of that order
 * (64 KiB throughput ≥ 80 % of C, blocking round trip ≤ 1.3× C), so a row whose own repetitions differ
 * by more cannot say on which side of such a line it stands; and this machine's known failure — the
 * same figure 3 µs in one run and 60 µs in the next (FACTS.md: unpinned, bimodal) — is far wider.
 * Measured here (quick profile, 2 vCPUs, other work running meanwhile): the median spread was ≈ 9 %
 * for C latency rows and ≈ 13–15 % for TS blocking ones, ≈ 15–30 % for throughput and async rows; a
 * third to a half of all rows crossed 20 % — those are the figures to re-measure with longer windows.
 */
export const UNSTABLE_SPREAD = 0.2;

/**
 * Nearest-rank percentile of sorted samples: every reported figure is a measured sample. (Latency rows
 * use Histogram.percentile, the same rule on the histogram's buckets.)
 */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) throw new Error('no samples');
  // p * n / 100 first, and a tolerance: 99.9 / 100 * 1000 is 999.0000000000001 in floating point.
  const rank = Math.ceil((p * sorted.length) / 100 - 1e-9);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

/** Latency statistics (ns) of a histogram, or of raw samples (recorded into one first). */
export function latencyStats(from: Histogram | ArrayLike<number>): LatencyStats {
  const h = from instanceof Histogram ? from : Histogram.fromSamples(Array.from(from));
  if (h.count === 0) throw new Error('no samples');
  const { mean, stddev } = h.meanStddev();
  return {
    samples: h.count,
    min: h.minNs,
    p50: h.percentile(50),
    p90: h.percentile(90),
    p99: h.percentile(99),
    p999: h.percentile(99.9),
    max: h.maxNs,
    mean,
    stddev,
  };
}

/** The median (the mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('no values');
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Range of a row's repetitions and its width relative to their median. */
export interface Spread {
  min: number;
  max: number;
  /** (max − min) / median; 0 with one repetition. */
  relative: number;
}

export function spreadOf(values: readonly number[]): Spread {
  const min = Math.min(...values);
  const max = Math.max(...values);
  const m = median(values);
  return { min, max, relative: m > 0 ? (max - min) / m : 0 };
}

export function isUnstable(s: Spread): boolean {
  return s.relative > UNSTABLE_SPREAD;
}
