/*
 * shm-ring.h - the shared-memory channel of packages/shm, in C.
 *
 * The same region layout as packages/shm/src/layout.ts and the same ring
 * algorithm as ring.ts and channel.ts (the blocking path), so that
 * bench/c/shm.c measures the protocol the TypeScript rows run, and a C
 * process can be the peer of a Node one over one region
 * (packages/shm/c/ring-peer.c, checked by packages/shm/test/c-interop).
 * A change here is a change of the wire format: change layout.ts with it.
 *
 * Header-only (static inline), so both programs include it and neither links
 * a library. Nothing here prints or exits: a failure returns -1 with errno
 * set, and the caller, who knows the context, says what failed.
 *
 * The region (all words 32-bit, native byte order):
 *
 *   0    magic 0x52435049     4  version 3     8  capacity (bytes per ring)
 *   12   creator pid         16  attacher pid (0 until claimed)
 *   20   attached: 0, then 1 (a futex word: the creator sleeps on it)
 *   128 + 256*r  ring r's control block, three cache lines so the two sides
 *        never write the same line:
 *        +0 head (bytes ever published)   +64 tail (bytes ever consumed)
 *        +128 dataWaiting  +132 spaceWaiting  +136 writerClosed
 *        +140 readerClosed
 *        +144 spaceNeeded (bytes a waiting producer needs; set before spaceWaiting)
 *   640 + capacity*r  ring r's data (records, below)
 *
 * Ring 0 carries the creator's messages to the attacher, ring 1 the other
 * way. A ring holds records: an 8-byte header (word 0: the length in bits
 * 0-30, bit 31 set when more fragments of the same message follow; word 1:
 * 0, or SHM_PAD for padding: `length` bytes to skip up to the end of the
 * ring, which a zero-copy claim on the TypeScript side leaves so that its
 * record lies in one piece) and the bytes, padded to 8. (The 8-byte header is for V8: its
 * copies to and from shared memory move whole words only between equally
 * aligned addresses, so 8-aligned payloads go at memory speed.) A message
 * longer than a quarter of the ring goes in fragments, so the consumer can
 * copy one out while the producer writes the next. Records are 8-aligned and
 * the capacity is a power of two, so a header never straddles the end of
 * the ring; the bytes after it may wrap to the start.
 *
 * head and tail are byte counters that wrap at 2^32 (head - tail, unsigned,
 * is what is in the ring). Each side keeps its own index privately, publishes
 * it with a sequentially consistent store, and caches the other side's,
 * reloading it only when the cached value says "full" or "empty" (rigtorp's
 * SPSCQueue): the shared cache lines move only when they must. The plain
 * copies of the bytes are ordered by those atomics (the store of head
 * releases them, the load of head acquires them).
 *
 * Sleeping: a side that finds nothing to do re-checks `spin` times, then
 * stores 1 in its waiting word, checks once more, and sleeps in FUTEX_WAIT
 * while the word is 1. The other side, after each publish, loads the word
 * and, when it is 1, stores 0 and FUTEX_WAKEs. Both orders of these stores
 * and loads are seen by one side or the other (all seq_cst), so no wake-up
 * is lost, and a publish costs no system call while the peer is awake.
 * One refinement, as in ring.ts: a producer that waits for room first stores
 * how many bytes it needs (space_needed); the consumer wakes it once that
 * much is free, not for every record it takes.
 * The futexes are not FUTEX_PRIVATE_FLAG ones: the word is in memory shared
 * between processes. A sleep lasts at most SHM_SLICE_MS; between slices the
 * peer_gone callback says whether the peer still exists, so a dead peer is
 * an error (ECONNRESET), never a hang.
 */
#ifndef SHM_RING_H
#define SHM_RING_H

#include <errno.h>
#include <linux/futex.h>
#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define SHM_MAGIC               0x52435049u     /* "IPCR" */
#define SHM_VERSION             3u
#define SHM_H_MAGIC             0
#define SHM_H_VERSION           4
#define SHM_H_CAPACITY          8
#define SHM_H_CREATOR           12
#define SHM_H_ATTACHER          16
#define SHM_H_ATTACHED          20
#define SHM_CONTROL             128
#define SHM_CONTROL_BYTES       256
#define SHM_R_HEAD              0
#define SHM_R_TAIL              64
#define SHM_R_DATA_WAITING      128
#define SHM_R_SPACE_WAITING     132
#define SHM_R_WRITER_CLOSED     136
#define SHM_R_READER_CLOSED     140
#define SHM_R_SPACE_NEEDED      144
#define SHM_DATA                (SHM_CONTROL + 2 * SHM_CONTROL_BYTES)   /* 640 */
#define SHM_RECORD_HEADER       8               /* length word + reserved word */
#define SHM_MORE                0x80000000u
#define SHM_LENGTH              0x7fffffffu
#define SHM_PAD                 1u      /* header word 1 of a padding record */

#define SHM_DEFAULT_CAPACITY    262144u         /* four pipes' worth */
#define SHM_MIN_CAPACITY        4096u           /* transport.ts's limits */
#define SHM_MAX_CAPACITY        (1u << 28)
#define SHM_DEFAULT_SPIN        64
#define SHM_MAX_SPIN            1000000
#define SHM_SLICE_MS            100             /* longest sleep between peer checks */
#define SHM_SPIN_CHECK          0xfffffu        /* busy-poll: check the peer every 2^20 polls */

_Static_assert(SHM_DATA == 640, "layout.ts: DATA = 640");
_Static_assert(SHM_R_HEAD / 64 != SHM_R_TAIL / 64
               && SHM_R_TAIL / 64 != SHM_R_DATA_WAITING / 64,
               "head, tail and the flags each on a cache line of their own");

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434              /* the same number on every architecture */
#endif

/* How a side waits: the options and how it learns that the peer is gone. */
struct shm_wait {
    int spin;               /* checks of the ring before a sleep (0: none) */
    int never_sleep;        /* 1: busy-poll for ever, never FUTEX_WAIT (--wake spin) */
    /* 1 when the peer process is gone, 0 while it lives, -1 (errno) if that
     * cannot be told; called between sleep slices. NULL: never asked. */
    int (*peer_gone)(void *ctx);
    void *peer_ctx;
    /* Another sleep and wake-up than the futex on the waiting word (the
     * waiting word protocol stays: announce, check again, sleep): sleep()
     * returns 0 woken (or maybe spuriously), 1 timed out after ms, -1
     * (errno); wake() wakes the sleeper of that word. NULL: futex(2). */
    int (*sleep)(void *ctx, uint32_t *word, int ms);
    int (*wake)(void *ctx, uint32_t *word);
    void *wake_ctx;
};

/* One side of one ring: the producer's or the consumer's. */
struct shm_ring {
    uint32_t *head, *tail;
    uint32_t *data_waiting, *space_waiting, *writer_closed, *reader_closed, *space_needed;
    unsigned char *data;
    uint32_t *words;        /* the same bytes as 32-bit words (record headers) */
    uint32_t capacity, mask, max_fragment;
    uint32_t pos;           /* own index: producer head, consumer tail (ahead of
                               the published one until publish/commit) */
    uint32_t cache;         /* the other side's index, as last loaded */
    struct shm_wait wait;
    uint64_t wakes;         /* FUTEX_WAKEs this side made */
    uint64_t sleeps;        /* FUTEX_WAITs this side made */
};

/* ------------------------------------------------------------- words */

static inline uint32_t *shm_word(void *base, size_t offset)
{
    return (uint32_t *)((unsigned char *)base + offset);
}

/* Sequentially consistent, as JavaScript's Atomics on the other side. */
static inline uint32_t shm_load(const uint32_t *p)
{
    return __atomic_load_n(p, __ATOMIC_SEQ_CST);
}

static inline void shm_store(uint32_t *p, uint32_t v)
{
    __atomic_store_n(p, v, __ATOMIC_SEQ_CST);
}

static inline uint32_t shm_align8(uint32_t n)
{
    return (n + 7) & ~7u;
}

/* Bytes a region with two rings of `capacity` needs (before page rounding). */
static inline size_t shm_region_bytes(uint32_t capacity)
{
    return SHM_DATA + 2 * (size_t)capacity;
}

static inline int shm_capacity_ok(uint64_t c)
{
    return c >= SHM_MIN_CAPACITY && c <= SHM_MAX_CAPACITY && (c & (c - 1)) == 0;
}

/* ------------------------------------------------------------- futex */

/* One FUTEX_WAIT of at most ms: 0 when woken, or the word was no longer
 * `val`, or a signal came (the caller looks again in every case); 1 when the
 * time ran out; -1 on an error (errno). */
static inline int shm_futex_wait(uint32_t *word, uint32_t val, int ms)
{
    struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

    if (syscall(SYS_futex, word, FUTEX_WAIT, val, &ts, NULL, 0) == 0)
        return 0;
    if (errno == EAGAIN || errno == EINTR)
        return 0;
    if (errno == ETIMEDOUT)
        return 1;
    return -1;
}

static inline int shm_futex_wake(uint32_t *word, int n)
{
    return syscall(SYS_futex, word, FUTEX_WAKE, n, NULL, NULL, 0) < 0 ? -1 : 0;
}

/* ------------------------------------------------------- the header */

/* The creator fills the header; the magic goes last: a region that has it
 * is complete (an attacher checks it first). */
static inline void shm_header_init(void *base, uint32_t capacity, pid_t creator)
{
    *shm_word(base, SHM_H_VERSION) = SHM_VERSION;
    *shm_word(base, SHM_H_CAPACITY) = capacity;
    *shm_word(base, SHM_H_CREATOR) = (uint32_t)creator;
    shm_store(shm_word(base, SHM_H_ATTACHER), 0);
    shm_store(shm_word(base, SHM_H_ATTACHED), 0);
    shm_store(shm_word(base, SHM_H_MAGIC), SHM_MAGIC);
}

/* What is wrong with a region of `size` bytes someone else made (NULL:
 * nothing; it holds a version-1 channel whose rings fit in it). */
static inline const char *shm_header_problem(void *base, size_t size)
{
    uint32_t capacity;

    if (size < SHM_DATA)
        return "the region is smaller than the channel's header";
    if (shm_load(shm_word(base, SHM_H_MAGIC)) != SHM_MAGIC)
        return "no channel in the region (bad magic)";
    if (*shm_word(base, SHM_H_VERSION) != SHM_VERSION)
        return "a channel of another version";
    capacity = *shm_word(base, SHM_H_CAPACITY);
    if (!shm_capacity_ok(capacity))
        return "the ring capacity is not a power of two in 4096..268435456";
    if (size < shm_region_bytes(capacity))
        return "the region is too small for its two rings";
    return NULL;
}

/*
 * The attacher's claim, as transport.ts attach() makes it: its pid into the
 * attacher word by compare-and-swap from 0 (a second attacher is refused:
 * EBUSY), then attached = 1 and a FUTEX_WAKE for the creator, who sleeps on
 * that word until someone is there.
 */
static inline int shm_claim(void *base, pid_t self)
{
    uint32_t expected = 0;
    uint32_t *attached = shm_word(base, SHM_H_ATTACHED);

    if (!__atomic_compare_exchange_n(shm_word(base, SHM_H_ATTACHER), &expected,
                                     (uint32_t)self, 0, __ATOMIC_SEQ_CST,
                                     __ATOMIC_SEQ_CST)) {
        errno = EBUSY;
        return -1;
    }
    shm_store(attached, 1);
    return shm_futex_wake(attached, 1);
}

/* The creator's wait for the claim; returns the attacher's pid, or -1
 * (errno; ECONNRESET: w->peer_gone said the peer is gone). */
static inline pid_t shm_wait_attached(void *base, const struct shm_wait *w)
{
    uint32_t *attached = shm_word(base, SHM_H_ATTACHED);

    while (shm_load(attached) == 0) {
        int r = shm_futex_wait(attached, 0, SHM_SLICE_MS);

        if (r < 0)
            return -1;
        if (r == 1 && w->peer_gone != NULL) {
            int gone = w->peer_gone(w->peer_ctx);

            if (gone < 0)
                return -1;
            if (gone && shm_load(attached) == 0) {
                errno = ECONNRESET;
                return -1;
            }
        }
    }
    return (pid_t)shm_load(shm_word(base, SHM_H_ATTACHER));
}

/* -------------------------------------------------------- the peer */

/* A pidfd turns readable when its process exits: a check that neither
 * reaps a child nor mistakes a recycled pid for the peer. */
static inline int shm_pidfd_open(pid_t pid)
{
    return (int)syscall(SYS_pidfd_open, pid, 0);
}

/* A peer_gone callback; ctx points to the pidfd. */
static inline int shm_pidfd_gone(void *ctx)
{
    struct pollfd p = { .fd = *(int *)ctx, .events = POLLIN };
    int n = poll(&p, 1, 0);

    if (n < 0)
        return errno == EINTR ? 0 : -1;
    return n > 0;
}

/* ---------------------------------------------------------- the ring */

/* Side `producer` (1) or consumer (0) of ring `ring` (0 or 1) of the region
 * at base; the indexes start from what is published (0 in a new region). */
static inline void shm_ring_init(struct shm_ring *r, void *base, int ring,
                                 uint32_t capacity, int producer,
                                 const struct shm_wait *w)
{
    size_t c = SHM_CONTROL + (size_t)ring * SHM_CONTROL_BYTES;

    memset(r, 0, sizeof *r);
    r->head = shm_word(base, c + SHM_R_HEAD);
    r->tail = shm_word(base, c + SHM_R_TAIL);
    r->data_waiting = shm_word(base, c + SHM_R_DATA_WAITING);
    r->space_waiting = shm_word(base, c + SHM_R_SPACE_WAITING);
    r->writer_closed = shm_word(base, c + SHM_R_WRITER_CLOSED);
    r->reader_closed = shm_word(base, c + SHM_R_READER_CLOSED);
    r->space_needed = shm_word(base, c + SHM_R_SPACE_NEEDED);
    r->data = (unsigned char *)base + SHM_DATA + (size_t)ring * capacity;
    r->words = (uint32_t *)r->data;
    r->capacity = capacity;
    r->mask = capacity - 1;
    r->max_fragment = capacity / 4;
    r->pos = shm_load(producer ? r->head : r->tail);
    r->cache = shm_load(producer ? r->tail : r->head);
    r->wait = *w;
}

/* After a store the other side may sleep for: wake it if it said so. */
static inline int shm_wake_if_waiting(struct shm_ring *r, uint32_t *word)
{
    if (shm_load(word) == 0)
        return 0;
    shm_store(word, 0);
    r->wakes++;
    return r->wait.wake ? r->wait.wake(r->wait.wake_ctx, word) : shm_futex_wake(word, 1);
}

/* 0 while the peer lives; -1 (ECONNRESET) once it is gone. */
static inline int shm_check_peer(struct shm_ring *r)
{
    int gone;

    if (r->wait.peer_gone == NULL)
        return 0;
    gone = r->wait.peer_gone(r->wait.peer_ctx);
    if (gone < 0)
        return -1;
    if (gone) {
        errno = ECONNRESET;
        return -1;
    }
    return 0;
}

/*
 * Waits until ready(r, need): `spin` checks, then sleeps on `word` in
 * slices, checking the peer after each slice that ran out (channel.ts
 * #waitSync). With never_sleep it polls for ever, and checks the peer every
 * 2^20 polls (a few ms). 0, or -1 (errno).
 */
static inline int shm_wait_for(struct shm_ring *r,
                               int (*ready)(struct shm_ring *, uint32_t),
                               uint32_t need, uint32_t *word)
{
    if (r->wait.never_sleep) {
        for (uint32_t i = 1;; i++) {
            if (ready(r, need))
                return 0;
            if ((i & SHM_SPIN_CHECK) == 0 && shm_check_peer(r) < 0)
                return -1;
        }
    }
    for (int i = 0; i < r->wait.spin; i++)
        if (ready(r, need))
            return 0;
    for (;;) {
        int slept;

        /* Announce the sleep, then look once more: a publish that came
         * before the announcement is seen here, one after it wakes us. A
         * producer says first how much room it needs (the consumer wakes it
         * once that much is free). */
        if (word == r->space_waiting)
            shm_store(r->space_needed, need);
        shm_store(word, 1);
        if (ready(r, need)) {
            shm_store(word, 0);
            return 0;
        }
        r->sleeps++;
        slept = r->wait.sleep ? r->wait.sleep(r->wait.wake_ctx, word, SHM_SLICE_MS)
                              : shm_futex_wait(word, 1, SHM_SLICE_MS);
        if (slept < 0)
            return -1;
        if (slept == 0) {
            if (ready(r, need))
                return 0;
            continue;
        }
        shm_store(word, 0);     /* timed out: nobody cleared it for us */
        if (ready(r, need))
            return 0;
        if (shm_check_peer(r) < 0)
            return -1;
    }
}

/* ------------------------------------------------------ the producer */

/* Room for a record of `bytes`? Reloads the consumer's tail only if needed. */
static inline int shm_has_room(struct shm_ring *r, uint32_t bytes)
{
    if (r->capacity - (r->pos - r->cache) >= bytes)
        return 1;
    r->cache = shm_load(r->tail);
    return r->capacity - (r->pos - r->cache) >= bytes;
}

static inline int shm_room_or_closed(struct shm_ring *r, uint32_t bytes)
{
    return shm_has_room(r, bytes) || shm_load(r->reader_closed) != 0;
}

/* The record the next fragment of a message with `left` bytes to go needs. */
static inline uint32_t shm_record_bytes(const struct shm_ring *r, size_t left)
{
    return SHM_RECORD_HEADER
           + shm_align8(left < r->max_fragment ? (uint32_t)left : r->max_fragment);
}

/* Where the gathered bytes of a message have been copied up to. */
struct shm_cursor {
    const struct iovec *iov;
    size_t off;             /* in iov[0] */
};

static inline void shm_cursor_copy(struct shm_cursor *c, unsigned char *dst, size_t n)
{
    while (n > 0) {
        size_t take = c->iov->iov_len - c->off;

        if (take > n)
            take = n;
        memcpy(dst, (const unsigned char *)c->iov->iov_base + c->off, take);
        dst += take;
        n -= take;
        c->off += take;
        if (c->off == c->iov->iov_len) {
            c->iov++;
            c->off = 0;
        }
    }
}

static inline int shm_publish(struct shm_ring *r)
{
    shm_store(r->head, r->pos);
    return shm_wake_if_waiting(r, r->data_waiting);
}

/*
 * Writes the next fragments of a message (`*left` bytes to go, from c)
 * while they fit, then publishes them with one store (ring.ts write()).
 * 1 once the last fragment is in, 0 when the ring is full first, -1 (errno)
 * if the wake failed.
 */
static inline int shm_write(struct shm_ring *r, struct shm_cursor *c, size_t *left)
{
    int wrote = 0, done = 0;

    for (;;) {
        uint32_t len = *left < r->max_fragment ? (uint32_t)*left : r->max_fragment;
        uint32_t p, q, first;

        if (!shm_has_room(r, SHM_RECORD_HEADER + shm_align8(len)))
            break;
        *left -= len;
        p = r->pos & r->mask;
        q = (p + SHM_RECORD_HEADER) & r->mask;
        first = len < r->capacity - q ? len : r->capacity - q;
        r->words[p >> 2] = *left > 0 ? len | SHM_MORE : len;
        r->words[(p >> 2) + 1] = 0;
        shm_cursor_copy(c, r->data + q, first);
        if (len > first)
            shm_cursor_copy(c, r->data, len - first);   /* wraps to the start */
        r->pos += SHM_RECORD_HEADER + shm_align8(len);
        wrote = 1;
        if (*left == 0) {
            done = 1;
            break;
        }
    }
    if (wrote && shm_publish(r) < 0)
        return -1;
    return done;
}

/*
 * Sends the bytes of iov[0..cnt) as one message, waiting for room as long
 * as it takes (a ring never drops). 0, or -1: EPIPE when the consumer has
 * closed its end, ECONNRESET when the peer is gone, a futex error.
 */
static inline int shm_sendv(struct shm_ring *r, const struct iovec *iov, int cnt)
{
    struct shm_cursor c = { .iov = iov, .off = 0 };
    size_t left = 0;

    for (int i = 0; i < cnt; i++)
        left += iov[i].iov_len;
    if (shm_load(r->reader_closed) != 0) {
        errno = EPIPE;
        return -1;
    }
    for (;;) {
        int done = shm_write(r, &c, &left);

        if (done != 0)
            return done < 0 ? -1 : 0;
        if (shm_wait_for(r, shm_room_or_closed, shm_record_bytes(r, left),
                         r->space_waiting) < 0)
            return -1;
        if (shm_load(r->reader_closed) != 0) {
            errno = EPIPE;
            return -1;
        }
    }
}

static inline int shm_send(struct shm_ring *r, const void *buf, size_t n)
{
    struct iovec iov = { .iov_base = (void *)buf, .iov_len = n };

    return shm_sendv(r, &iov, 1);
}

/* End of stream for the consumer, once it has read what is in the ring. */
static inline int shm_close_writer(struct shm_ring *r)
{
    shm_store(r->writer_closed, 1);
    return shm_wake_if_waiting(r, r->data_waiting);
}

/* ------------------------------------------------------ the consumer */

/* Anything published not read yet? Reloads the producer's head only if needed. */
static inline int shm_has_data(struct shm_ring *r)
{
    if (r->cache != r->pos)
        return 1;
    r->cache = shm_load(r->head);
    return r->cache != r->pos;
}

static inline int shm_data_or_closed(struct shm_ring *r, uint32_t unused)
{
    (void)unused;
    return shm_has_data(r) || shm_load(r->writer_closed) != 0;
}

/* Gives what was taken back to the producer; wakes it if it waits, once the
 * room it asked for is free (ring.ts commit(); the file's comment says why). */
static inline int shm_commit(struct shm_ring *r)
{
    shm_store(r->tail, r->pos);
    if (shm_load(r->space_waiting) == 0)
        return 0;
    if (r->capacity - (shm_load(r->head) - r->pos) < shm_load(r->space_needed))
        return 0;
    return shm_wake_if_waiting(r, r->space_waiting);
}

/*
 * Receives one message, reassembling its fragments, into *buf (*cap
 * bytes): with grow, *buf is realloc()ed to fit; without, the bytes past
 * *cap are discarded (as MSG_TRUNC) and *len still says the real length.
 * Each fragment but the last is committed at once, so the producer goes on
 * with the next one meanwhile. Returns 1 (a message of *len bytes), 0 at the
 * end of stream (the producer closed and everything was read), or -1:
 * EBADMSG (a record header that cannot be: the ring is corrupt, or the
 * other side does not speak this layout), EPROTO (end of stream inside a
 * message), ECONNRESET (the peer is gone), ENOMEM, a futex error.
 */
static inline int shm_recv_into(struct shm_ring *r, unsigned char **buf,
                                size_t *cap, int grow, size_t *len)
{
    size_t total = 0;
    int partial = 0;

    for (;;) {
        uint32_t h, n, p, q, first, copy;

        if (!shm_has_data(r)) {
            if (shm_load(r->writer_closed) != 0 && !shm_has_data(r)) {
                if (partial) {
                    errno = EPROTO;
                    return -1;
                }
                return 0;
            }
            if (shm_wait_for(r, shm_data_or_closed, 0, r->data_waiting) < 0)
                return -1;
            continue;
        }
        p = r->pos & r->mask;
        h = r->words[p >> 2];
        n = h & SHM_LENGTH;
        /* A producer never writes a fragment over a quarter of the ring,
         * nor publishes part of a record, and word 1 is 0 or SHM_PAD (a
         * padding record, which ends exactly at the end of the ring):
         * anything else is not this layout. */
        if (n > r->max_fragment || (r->words[(p >> 2) + 1] & ~SHM_PAD) != 0
            || SHM_RECORD_HEADER + shm_align8(n) > r->cache - r->pos) {
            errno = EBADMSG;
            return -1;
        }
        if (r->words[(p >> 2) + 1] == SHM_PAD) {  /* padding: to the end of the ring */
            if (p + SHM_RECORD_HEADER + n != r->capacity || (h & SHM_MORE)) {
                errno = EBADMSG;
                return -1;
            }
            r->pos += SHM_RECORD_HEADER + n;
            continue;
        }
        if (grow && total + n > *cap) {
            size_t want = *cap * 2 > total + n ? *cap * 2 : total + n;
            unsigned char *bigger = realloc(*buf, want);

            if (bigger == NULL)
                return -1;      /* (errno ENOMEM) */
            *buf = bigger;
            *cap = want;
        }
        copy = total >= *cap ? 0 : (*cap - total < n ? (uint32_t)(*cap - total) : n);
        q = (p + SHM_RECORD_HEADER) & r->mask;
        first = copy < r->capacity - q ? copy : r->capacity - q;
        if (copy > 0)
            memcpy(*buf + total, r->data + q, first);
        if (copy > first)
            memcpy(*buf + total + first, r->data, copy - first);  /* wrapped */
        r->pos += SHM_RECORD_HEADER + shm_align8(n);
        total += n;
        if (!(h & SHM_MORE))
            break;
        partial = 1;
        if (shm_commit(r) < 0)  /* let the producer go on with the next fragment */
            return -1;
    }
    if (shm_commit(r) < 0)
        return -1;
    *len = total;
    return 1;
}

static inline int shm_recv(struct shm_ring *r, void *buf, size_t cap, size_t *len)
{
    unsigned char *b = buf;

    return shm_recv_into(r, &b, &cap, 0, len);
}

/* The consumer left: the producer's waits for room end, its sends fail. */
static inline int shm_close_reader(struct shm_ring *r)
{
    shm_store(r->reader_closed, 1);
    return shm_wake_if_waiting(r, r->space_waiting);
}

#endif
