/*
 * histogram.h - latency samples kept as a log-linear histogram, so a run of
 * any length needs the same, bounded memory (and output) instead of one
 * number per round trip.
 *
 * The bucket scheme (bench/PROTOCOL.md, "Latency histogram"; the
 * TypeScript side, bench/src/histogram.ts, uses the same one):
 *
 *   values below 2^(B+1) ns have a bucket each (exact); above, every power
 *   of two [2^e, 2^(e+1)) is cut into 2^B equal buckets of 2^(e-B) ns.
 *
 * With B = HIST_SUB_BITS = 8 a bucket is at most 1/256 of its value wide
 * (0.39 %; its midpoint is within 0.2 % of any sample in it), values up to
 * 511 ns are exact, and 14592 buckets cover every uint64_t.
 *
 * The exact count, sum, minimum and maximum are kept beside the buckets.
 */
#ifndef HISTOGRAM_H
#define HISTOGRAM_H

#include <stdint.h>
#include <stdio.h>

#define HIST_SUB_BITS   8
#define HIST_SUB        (1u << HIST_SUB_BITS)
#define HIST_BUCKETS    ((64 - HIST_SUB_BITS + 1) * HIST_SUB)

struct histogram {
    uint64_t count, sum, min, max;
    uint64_t buckets[HIST_BUCKETS];
};

/* An empty histogram, on the heap (it is 114 KiB); dies when out of memory. */
struct histogram *hist_new(void);

/* The bucket of a value, and the smallest value of a bucket. */
unsigned hist_index(uint64_t v);
uint64_t hist_low(unsigned index);

void hist_record(struct histogram *h, uint64_t v);

/* Prints the histogram as one JSON object (PROTOCOL.md):
 * {"subBucketBits":8,"count":N,"sumNs":S,"minNs":A,"maxNs":B,
 *  "buckets":[[low,count],...]} - only non-empty buckets, ascending. */
void hist_print_json(FILE *f, const struct histogram *h);

#endif
