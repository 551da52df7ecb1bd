// Latency samples as a log-linear histogram: bounded memory however long a run is, mergeable across
// repetitions, and the same buckets on both sides (bench/c/histogram.c; PROTOCOL.md, "Latency
// histogram"), so C and TypeScript rows are summarised by one piece of code (stats.ts).
//
// Values below 2^(B+1) ns have a bucket each (exact); above, every power of two [2^e, 2^(e+1)) is cut
// into 2^B buckets of 2^(e−B) ns. B = 8: a bucket is at most 1/256 (0.39 %) of its value wide.

export const SUB_BUCKET_BITS = 8;
const SUB = 2 ** SUB_BUCKET_BITS;
/** Buckets enough for every value below 2^64 (as in C). */
const BUCKETS = (64 - SUB_BUCKET_BITS + 1) * SUB;

/** A histogram as results.json and the C programs write it. */
export interface HistogramData {
  subBucketBits: number;
  count: number;
  sumNs: number;
  minNs: number;
  maxNs: number;
  /** Non-empty buckets, ascending: [smallest value of the bucket (ns), samples in it]. */
  buckets: Array<[number, number]>;
}

/** floor(log2(v)) for an integer v ≥ 1 up to 2^53, exactly (Math.log2 can be off by one near powers of two). */
function log2Floor(v: number): number {
  let e = Math.floor(Math.log2(v));
  while (2 ** e > v) e--;
  while (2 ** (e + 1) <= v) e++;
  return e;
}

export function bucketIndex(v: number): number {
  if (v < 2 * SUB) return v;
  const shift = log2Floor(v) - SUB_BUCKET_BITS;
  return shift * SUB + Math.floor(v / 2 ** shift);
}

export function bucketLow(index: number): number {
  if (index < 2 * SUB) return index;
  const shift = Math.floor(index / SUB) - 1;
  return (index - shift * SUB) * 2 ** shift;
}

export function bucketWidth(index: number): number {
  return index < 2 * SUB ? 1 : 2 ** (Math.floor(index / SUB) - 1);
}

export class Histogram {
  readonly counts = new Float64Array(BUCKETS);
  count = 0;
  sumNs = 0;
  minNs = Infinity;
  maxNs = 0;

  /** Records one sample (ns; rounded to a whole ns, negative clamped to 0). */
  record(ns: number): void {
    const v = Math.max(0, Math.round(ns));
    this.counts[bucketIndex(v)]!++;
    this.count++;
    this.sumNs += v;
    if (v < this.minNs) this.minNs = v;
    if (v > this.maxNs) this.maxNs = v;
  }

  /** Adds every sample of `other` (pooling repetitions). */
  merge(other: Histogram): this {
    for (let i = 0; i < BUCKETS; i++) this.counts[i]! += other.counts[i]!;
    this.count += other.count;
    this.sumNs += other.sumNs;
    this.minNs = Math.min(this.minNs, other.minNs);
    this.maxNs = Math.max(this.maxNs, other.maxNs);
    return this;
  }

  static fromSamples(samplesNs: Iterable<number>): Histogram {
    const h = new Histogram();
    for (const v of samplesNs) h.record(v);
    return h;
  }

  static fromData(d: HistogramData): Histogram {
    if (d.subBucketBits !== SUB_BUCKET_BITS) throw new Error(`histogram with ${d.subBucketBits} sub-bucket bits (expected ${SUB_BUCKET_BITS})`);
    const h = new Histogram();
    let n = 0;
    for (const [low, c] of d.buckets) {
      const i = bucketIndex(low);
      if (bucketLow(i) !== low) throw new Error(`histogram bucket ${low} is not the start of a bucket`);
      h.counts[i]! += c;
      n += c;
    }
    if (n !== d.count) throw new Error(`histogram buckets hold ${n} samples, count says ${d.count}`);
    h.count = d.count;
    h.sumNs = d.sumNs;
    h.minNs = d.count > 0 ? d.minNs : Infinity;
    h.maxNs = d.maxNs;
    return h;
  }

  toJSON(): HistogramData {
    const buckets: Array<[number, number]> = [];
    for (let i = 0; i < BUCKETS; i++) if (this.counts[i]! > 0) buckets.push([bucketLow(i), this.counts[i]!]);
    return { subBucketBits: SUB_BUCKET_BITS, count: this.count, sumNs: this.sumNs, minNs: this.count > 0 ? this.minNs : 0, maxNs: this.maxNs, buckets };
  }

  /**
   * Nearest-rank percentile: the bucket holding the ⌈p·n/100⌉-th smallest sample, reported as the
   * bucket's midpoint clamped to [min, max] (exact for values below 512 ns, within 0.2 % above).
   */
  percentile(p: number): number {
    if (this.count === 0) throw new Error('no samples');
    // p * n / 100 first, and a tolerance: 99.9 / 100 * 1000 is 999.0000000000001 in floating point.
    const rank = Math.min(this.count, Math.max(1, Math.ceil((p * this.count) / 100 - 1e-9)));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return this.#representative(i);
    }
    return this.maxNs;
  }

  /** Mean and standard deviation: the mean from the exact sum, the deviation from bucket midpoints. */
  meanStddev(): { mean: number; stddev: number } {
    const mean = this.sumNs / this.count;
    if (this.count < 2) return { mean, stddev: 0 };
    let sq = 0;
    for (let i = 0; i < BUCKETS; i++) {
      const c = this.counts[i]!;
      if (c > 0) sq += c * (this.#representative(i) - mean) ** 2;
    }
    return { mean, stddev: Math.sqrt(sq / (this.count - 1)) };
  }

  #representative(i: number): number {
    const mid = bucketLow(i) + Math.floor(bucketWidth(i) / 2);
    return Math.min(this.maxNs, Math.max(this.minNs, mid));
  }
}
