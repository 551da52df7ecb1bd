/*
 * histogram.c - the log-linear latency histogram; see histogram.h.
 */
#include "histogram.h"

#include <inttypes.h>
#include <stdlib.h>

#include "harness.h"

struct histogram *hist_new(void)
{
    struct histogram *h = calloc(1, sizeof *h);

    if (h == NULL)
        die("calloc");
    h->min = UINT64_MAX;
    return h;
}

unsigned hist_index(uint64_t v)
{
    unsigned shift;

    if (v < 2 * HIST_SUB)
        return (unsigned)v;
    /* 2^e <= v < 2^(e+1), e >= B + 1: keep the top B + 1 bits of v. */
    shift = (unsigned)(63 - __builtin_clzll(v)) - HIST_SUB_BITS;
    return shift * HIST_SUB + (unsigned)(v >> shift);
}

uint64_t hist_low(unsigned index)
{
    unsigned shift;

    if (index < 2 * HIST_SUB)
        return index;
    shift = index / HIST_SUB - 1;
    return (uint64_t)(index - shift * HIST_SUB) << shift;
}

void hist_record(struct histogram *h, uint64_t v)
{
    h->buckets[hist_index(v)]++;
    h->count++;
    h->sum += v;
    if (v < h->min)
        h->min = v;
    if (v > h->max)
        h->max = v;
}

void hist_print_json(FILE *f, const struct histogram *h)
{
    int first = 1;

    fprintf(f, "{\"subBucketBits\":%d,\"count\":%" PRIu64 ",\"sumNs\":%" PRIu64
            ",\"minNs\":%" PRIu64 ",\"maxNs\":%" PRIu64 ",\"buckets\":[",
            HIST_SUB_BITS, h->count, h->sum, h->count ? h->min : 0, h->max);
    for (unsigned i = 0; i < HIST_BUCKETS; i++) {
        if (h->buckets[i] == 0)
            continue;
        fprintf(f, "%s[%" PRIu64 ",%" PRIu64 "]", first ? "" : ",",
                hist_low(i), h->buckets[i]);
        first = 0;
    }
    fputs("]}", f);
}
