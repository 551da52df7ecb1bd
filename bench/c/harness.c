/*
 * harness.c - the mechanism-independent part of the C baselines.
 * See harness.h for the interface and bench/PROTOCOL.md for the protocol.
 */
#define _GNU_SOURCE
#include "harness.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_SIZE        67108864        /* 64 MiB */
#define MIN_TP_SIZE     32              /* header (16) + some payload */
#define MAX_MS          86400000        /* one day */
#define HEADER_SIZE     16
#define MSG_MAGIC       0x43435049u     /* "IPCC" */
#define REPORT_MAGIC    0x52435049u     /* "IPCR" */
#define FLAG_END        1u
#define REPORT_SIZE     48
#define RX_MIN_BUF      65536

static const char *prog = "bench";     /* argv[0], for messages */
static const char *mech_name = "bench"; /* the mechanism, for temp names */
static const char *role = "parent";    /* "child" after fork_peer */
static unsigned opt_flags;              /* BENCH_OPT_* given to bench_init */
static pid_t child_pid;                 /* in the parent, while the child lives */
static cpu_set_t allowed_cpus;          /* affinity we started with */

static void temp_cleanup(void);

/* ------------------------------------------------------------------ errors */

/* Leaves the setup phase: the child's death is no longer fatal by signal
 * (run_parent sees it as EOF or EPIPE and reports the exit status). */
static void end_setup_watch(void)
{
    signal(SIGCHLD, SIG_DFL);
}

/* A failing parent must not leave its child behind. */
static void kill_child(void)
{
    if (child_pid <= 0)
        return;
    end_setup_watch();          /* the death we cause is not news */
    kill(child_pid, SIGKILL);
    waitpid(child_pid, NULL, 0);
    child_pid = 0;
}

_Noreturn void die(const char *what)
{
    int err = errno;

    fprintf(stderr, "%s (%s): %s: %s\n", prog, role, what, strerror(err));
    kill_child();
    temp_cleanup();
    exit(1);
}

_Noreturn void fatal(const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "%s (%s): ", prog, role);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    kill_child();
    temp_cleanup();
    exit(1);
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n);

    if (p == NULL)
        die("malloc");
    return p;
}

/* ----------------------------------------------------------- command line */

static void usage(FILE *f)
{
    const char *extra = opt_flags & BENCH_OPT_NODELAY ? " [--nodelay 0|1]" : "";

    fprintf(f,
        "usage: %s latency    --size N --warmup-ms N --duration-ms N"
        " [--cpu-parent C] [--cpu-child C] [--writes 1|2]%s\n"
        "       %s throughput --size N --duration-ms N"
        " [--cpu-parent C] [--cpu-child C]%s\n"
        "  --size N         bytes per message, 1..%d (throughput: at least %d)\n"
        "  --warmup-ms N    latency only: warm-up before timing, 0..%d ms\n"
        "  --duration-ms N  timed window, 1..%d ms\n"
        "  --cpu-parent C   pin the parent to CPU C (default: scheduler's choice)\n"
        "  --cpu-child C    pin the child to CPU C (default: scheduler's choice)\n"
        "  --writes 1|2     latency only: write() calls per message on both\n"
        "                   sides (default 1); 2 writes the first half (rounded\n"
        "                   up), then the rest; needs --size 2 or more\n",
        prog, extra, prog, extra, MAX_SIZE, MIN_TP_SIZE, MAX_MS, MAX_MS);
    if (opt_flags & BENCH_OPT_NODELAY)
        fprintf(f,
        "  --nodelay 0|1    TCP_NODELAY on both sockets (default 1; 0 leaves\n"
        "                   Nagle's algorithm on)\n");
}

_Noreturn __attribute__((format(printf, 1, 2)))
static void usage_error(const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "%s: ", prog);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    usage(stderr);
    exit(1);
}

/* A decimal integer in [lo, hi]: digits only, no sign, no blanks. */
static int64_t parse_int(const char *name, const char *s, int64_t lo, int64_t hi)
{
    char *end;
    long long v;

    if (s == NULL)
        usage_error("%s needs a value", name);
    if (*s < '0' || *s > '9')
        usage_error("%s: '%s' is not a number", name, s);
    errno = 0;
    v = strtoll(s, &end, 10);
    if (*end != '\0')
        usage_error("%s: '%s' is not a number", name, s);
    if (errno == ERANGE || v < lo || v > hi)
        usage_error("%s: %s is out of range (%" PRId64 "..%" PRId64 ")",
                    name, s, lo, hi);
    return v;
}

static int parse_cpu(const char *name, const char *s)
{
    int cpu = (int)parse_int(name, s, 0, CPU_SETSIZE - 1);

    if (!CPU_ISSET(cpu, &allowed_cpus))
        usage_error("%s: CPU %d is not one this process may run on", name, cpu);
    return cpu;
}

static void parse_options(int argc, char **argv, struct options *o)
{
    int64_t size = -1, warmup = -1, duration = -1, writes = -1;

    o->cpu_parent = o->cpu_child = -1;
    o->nodelay = opt_flags & BENCH_OPT_NODELAY ? 1 : -1;
    if (argc < 2)
        usage_error("missing mode (latency or throughput)");
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        usage(stdout);
        exit(0);
    }
    if (strcmp(argv[1], "latency") == 0)
        o->mode = MODE_LATENCY;
    else if (strcmp(argv[1], "throughput") == 0)
        o->mode = MODE_THROUGHPUT;
    else
        usage_error("unknown mode '%s' (latency or throughput)", argv[1]);

    for (int i = 2; i < argc; i += 2) {
        const char *name = argv[i], *val = argv[i + 1];   /* argv[argc] is NULL */

        if (strcmp(name, "--size") == 0)
            size = parse_int(name, val, 1, MAX_SIZE);
        else if (strcmp(name, "--warmup-ms") == 0)
            warmup = parse_int(name, val, 0, MAX_MS);
        else if (strcmp(name, "--duration-ms") == 0)
            duration = parse_int(name, val, 1, MAX_MS);
        else if (strcmp(name, "--cpu-parent") == 0)
            o->cpu_parent = parse_cpu(name, val);
        else if (strcmp(name, "--cpu-child") == 0)
            o->cpu_child = parse_cpu(name, val);
        else if (strcmp(name, "--nodelay") == 0) {
            if (o->nodelay < 0)
                usage_error("--nodelay applies to TCP only");
            o->nodelay = (int)parse_int(name, val, 0, 1);
        } else if (strcmp(name, "--writes") == 0)
            writes = parse_int(name, val, 1, 2);
        else
            usage_error("unknown option '%s'", name);
    }

    if (size < 0)
        usage_error("--size is required");
    if (duration < 0)
        usage_error("--duration-ms is required");
    if (o->mode == MODE_LATENCY && warmup < 0)
        usage_error("--warmup-ms is required for latency");
    if (o->mode == MODE_THROUGHPUT && warmup >= 0)
        usage_error("--warmup-ms applies to latency only");
    if (o->mode == MODE_THROUGHPUT && size < MIN_TP_SIZE)
        usage_error("--size: throughput messages need at least %d bytes",
                    MIN_TP_SIZE);
    if (o->mode == MODE_THROUGHPUT && writes >= 0)
        usage_error("--writes applies to latency only");
    if (writes == 2 && size < 2)
        usage_error("--writes 2 splits a message in two: needs --size 2 or more");
    o->size = (size_t)size;
    o->writes = writes < 0 ? 1 : (int)writes;
    o->warmup_ms = warmup < 0 ? 0 : warmup;
    o->duration_ms = duration;
}

/* ------------------------------------------------------- temporary names */

/*
 * The state is plain static memory, so the signal handlers can reach it, and
 * a name is counted only once its path is complete. Cleanup uses only
 * async-signal-safe calls (getpid, unlink, rmdir) and ignores errors: on the
 * way out, a name that was never created is no news.
 */
#define TEMP_MAX_NAMES 4

static char temp_dir_path[PATH_MAX];            /* "" when there is none */
static char temp_names[TEMP_MAX_NAMES][PATH_MAX];
static volatile sig_atomic_t temp_count;
static pid_t temp_owner;                        /* the process that made them */
static const int temp_signals[] = { SIGHUP, SIGINT, SIGTERM };
#define TEMP_NSIGNALS (sizeof temp_signals / sizeof *temp_signals)
static struct sigaction temp_old[TEMP_NSIGNALS]; /* dispositions to restore */
static int temp_caught[TEMP_NSIGNALS];          /* 1: we installed ours */

static void temp_cleanup(void)
{
    if (temp_dir_path[0] == '\0' || getpid() != temp_owner)
        return;                 /* nothing made, or we are the child */
    for (int i = temp_count; i-- > 0;)
        unlink(temp_names[i]);
    rmdir(temp_dir_path);
    temp_count = 0;
    temp_dir_path[0] = '\0';
}

/* SIGHUP/SIGINT/SIGTERM while names exist: remove them, then die of the
 * signal as we would have (SA_RESETHAND restored the default action). */
static void temp_on_signal(int sig)
{
    temp_cleanup();
    raise(sig);                 /* SA_NODEFER: delivered, and fatal, at once */
}

static void temp_signals_mask(sigset_t *set)
{
    sigemptyset(set);
    for (size_t i = 0; i < TEMP_NSIGNALS; i++)
        sigaddset(set, temp_signals[i]);
}

void temp_dir(void)
{
    const char *base = getenv("TMPDIR");
    char tmpl[PATH_MAX];
    struct sigaction sa;
    sigset_t set, old;
    int n;

    if (temp_dir_path[0] != '\0')
        fatal("temp_dir: there is one already");
    if (base == NULL || *base == '\0')
        base = "/tmp";
    n = snprintf(tmpl, sizeof tmpl, "%s/ipc-bench-%s.XXXXXX", base, mech_name);
    if (n < 0 || (size_t)n >= sizeof tmpl) {
        errno = ENAMETOOLONG;
        die(base);
    }

    /* Catch the signals first, so the directory never exists unguarded
     * (unless the signal was ignored: then it cannot hurt us). */
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = temp_on_signal;
    sa.sa_flags = SA_RESETHAND | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < TEMP_NSIGNALS; i++) {
        if (sigaction(temp_signals[i], NULL, &temp_old[i]) < 0)
            die("sigaction");
        temp_caught[i] = temp_old[i].sa_handler != SIG_IGN;
        if (temp_caught[i] && sigaction(temp_signals[i], &sa, NULL) < 0)
            die("sigaction");
    }

    /* Made and recorded with the signals held: none can fall in between. */
    temp_signals_mask(&set);
    if (sigprocmask(SIG_BLOCK, &set, &old) < 0)
        die("sigprocmask");
    if (mkdtemp(tmpl) == NULL)
        die(base);              /* (mkdtemp makes it with mode 0700) */
    temp_owner = getpid();
    memcpy(temp_dir_path, tmpl, (size_t)n + 1);
    if (sigprocmask(SIG_SETMASK, &old, NULL) < 0)
        die("sigprocmask");
}

const char *temp_path(const char *name)
{
    char *p;
    int n;

    if (temp_dir_path[0] == '\0')
        fatal("temp_path: call temp_dir() first");
    if (temp_count == TEMP_MAX_NAMES)
        fatal("temp_path: more than %d names", TEMP_MAX_NAMES);
    p = temp_names[temp_count];
    n = snprintf(p, PATH_MAX, "%s/%s", temp_dir_path, name);
    if (n < 0 || n >= PATH_MAX) {
        errno = ENAMETOOLONG;
        die(name);
    }
    temp_count++;               /* registered before it is created */
    return p;
}

void temp_remove(void)
{
    if (temp_dir_path[0] == '\0' || getpid() != temp_owner)
        return;
    for (int i = temp_count; i-- > 0;)
        if (unlink(temp_names[i]) < 0 && errno != ENOENT)
            die(temp_names[i]);
    if (rmdir(temp_dir_path) < 0)
        die(temp_dir_path);
    temp_count = 0;
    temp_dir_path[0] = '\0';
    for (size_t i = 0; i < TEMP_NSIGNALS; i++)
        if (temp_caught[i] && sigaction(temp_signals[i], &temp_old[i], NULL) < 0)
            die("sigaction");
}

/* --------------------------------------------------- clocks, CPUs, /proc */

void pin_to_cpu(int cpu)
{
    cpu_set_t set;

    if (cpu < 0)
        return;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof set, &set) < 0)
        die("sched_setaffinity");
}

uint64_t now_ns(void)
{
    struct timespec ts;

    if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0)
        die("clock_gettime");
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t ms_to_ns(int64_t ms)
{
    return (uint64_t)ms * 1000000u;
}

/* First field of schedstat: time spent on the CPU, in ns. */
static uint64_t thread_cpu_ns(pid_t pid, const char *tid)
{
    char path[sizeof "/proc//task//schedstat" + 12 + NAME_MAX];
    unsigned long long ns;
    FILE *f;

    snprintf(path, sizeof path, "/proc/%d/task/%s/schedstat", (int)pid, tid);
    f = fopen(path, "r");
    if (f == NULL) {
        if (errno == ENOENT || errno == ESRCH)
            return 0;               /* the thread ended meanwhile */
        die(path);
    }
    if (fscanf(f, "%llu", &ns) != 1)
        fatal("%s: cannot parse", path);
    fclose(f);
    return ns;
}

uint64_t cpu_ns_of(pid_t pid)
{
    char path[sizeof "/proc//task" + 12];
    struct dirent *e;
    uint64_t sum = 0;
    DIR *d;

    snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
    d = opendir(path);
    if (d == NULL)
        die(path);
    for (errno = 0; (e = readdir(d)) != NULL; errno = 0)
        if (e->d_name[0] != '.')
            sum += thread_cpu_ns(pid, e->d_name);
    if (errno != 0)
        die("readdir");
    closedir(d);
    return sum;
}

/* CPU time of both processes at one moment. */
struct cpu_mark { uint64_t parent, child; };

static struct cpu_mark cpu_mark(void)
{
    struct cpu_mark m = { cpu_ns_of(getpid()), cpu_ns_of(child_pid) };

    return m;
}

/* -------------------------------------------------------------------- I/O */

/* A stream may return fewer bytes than asked: loop until we have n. */
size_t read_full(int fd, void *buf, size_t n)
{
    size_t got = 0;

    while (got < n) {
        ssize_t r = read(fd, (char *)buf + got, n - got);

        if (r < 0) {
            if (errno == EINTR)
                continue;
            die("read");
        }
        if (r == 0) {
            if (got == 0)
                return 0;           /* clean EOF between messages */
            fatal("read: end of file after %zu of %zu bytes", got, n);
        }
        got += (size_t)r;
    }
    return n;
}

void write_full(int fd, const void *buf, size_t n)
{
    size_t put = 0;

    while (put < n) {
        ssize_t w = write(fd, (const char *)buf + put, n - put);

        if (w < 0) {
            if (errno == EINTR)
                continue;
            die("write");           /* EPIPE too: SIGPIPE is ignored */
        }
        put += (size_t)w;
    }
}

/* Gather write: header and payload come from different buffers. */
static void writev_full(int fd, struct iovec *iov, int cnt)
{
    while (cnt > 0) {
        ssize_t w = writev(fd, iov, cnt);

        if (w < 0) {
            if (errno == EINTR)
                continue;
            die("writev");
        }
        for (; cnt > 0 && (size_t)w >= iov->iov_len; iov++, cnt--)
            w -= (ssize_t)iov->iov_len;
        if (cnt > 0) {
            iov->iov_base = (char *)iov->iov_base + w;
            iov->iov_len -= (size_t)w;
        }
    }
}

static void close_ends(int rfd, int wfd)
{
    if (close(rfd) < 0)
        die("close");
    if (wfd != rfd && close(wfd) < 0)
        die("close");
}

/* ---------------------------------------------------------- wire format */

static void put_le32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static void put_le64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t get_le32(const unsigned char *p)
{
    uint32_t v = 0;

    for (int i = 3; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static uint64_t get_le64(const unsigned char *p)
{
    uint64_t v = 0;

    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

/*
 * Byte j of a message with sequence number seq is
 *     (j*131 + (seq % 7)*29 + 17) & 0xff
 * (the latency payload is the seq 0 pattern). 131 is odd, hence invertible
 * mod 256, so each of the 7 patterns is the seq 0 pattern shifted by some
 * offset below 256: one buffer of size + 256 bytes holds all seven, however
 * large the messages. Built before fork, it is shared by both processes.
 */
static unsigned char *pattern_base;
static size_t pattern_shift[7];

static void patterns_init(size_t size)
{
    pattern_base = xmalloc(size + 256);
    for (size_t i = 0; i < size + 256; i++)
        pattern_base[i] = (unsigned char)(i * 131 + 17);
    for (unsigned k = 0; k < 7; k++) {
        size_t d = 0;

        while (((d * 131) & 0xff) != ((k * 29) & 0xff))
            d++;
        pattern_shift[k] = d;
    }
}

/* The expected bytes of message seq, from offset 0 (header bytes unused). */
static const unsigned char *pattern(uint64_t seq)
{
    return pattern_base + pattern_shift[seq % 7];
}

/* ------------------------------------------------------ latency (ping-pong) */

struct samples { uint64_t *v; size_t n, cap; };

static void samples_push(struct samples *s, uint64_t x)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 65536;
        uint64_t *v = realloc(s->v, cap * sizeof *v);

        if (v == NULL)
            die("realloc");
        s->v = v;
        s->cap = cap;
    }
    s->v[s->n++] = x;
}

/* Sends one latency message as `writes` write() calls (each completed by
 * write_full on a short write): 1 = the whole message; 2 = the first
 * ceil(size/2) bytes, then the rest. Two small writes before the peer can
 * answer are what Nagle's algorithm holds back (--writes 2 --nodelay 0). */
static void send_latency(int wfd, const unsigned char *msg, size_t size,
                         int writes)
{
    size_t first = writes == 2 ? size - size / 2 : size;

    write_full(wfd, msg, first);
    if (first < size)
        write_full(wfd, msg + first, size - first);
}

/* Send one message, wait for the whole echo; spot-check it. */
static void round_trip(int rfd, int wfd, unsigned char *reply, size_t size,
                       int writes)
{
    const unsigned char *msg = pattern(0);

    send_latency(wfd, msg, size, writes);
    if (read_full(rfd, reply, size) == 0)
        fatal("the child closed the channel");
    if (reply[0] != msg[0] || reply[size - 1] != msg[size - 1])
        fatal("reply differs from the message: stream out of sync");
}

/* Parent: discarded first round trip, warm-up, then the timed window. */
static void ping(const struct options *o, int rfd, int wfd,
                 struct samples *s, struct cpu_mark *cpu)
{
    unsigned char *reply = xmalloc(o->size);
    uint64_t warm_end, start, t0, t1;
    struct cpu_mark c0, c1;

    round_trip(rfd, wfd, reply, o->size, o->writes);
    warm_end = now_ns() + ms_to_ns(o->warmup_ms);
    while (now_ns() < warm_end)
        round_trip(rfd, wfd, reply, o->size, o->writes);

    c0 = cpu_mark();
    start = now_ns();
    do {
        t0 = now_ns();
        round_trip(rfd, wfd, reply, o->size, o->writes);
        t1 = now_ns();
        samples_push(s, t1 - t0);
    } while (t1 - start < ms_to_ns(o->duration_ms));
    c1 = cpu_mark();

    cpu->parent = c1.parent - c0.parent;
    cpu->child = c1.child - c0.child;
    free(reply);
}

/* Child: echo every message until the parent closes its end. */
static void pong(const struct options *o, int rfd, int wfd)
{
    unsigned char *buf = xmalloc(o->size);

    while (read_full(rfd, buf, o->size) != 0)
        send_latency(wfd, buf, o->size, o->writes);
    free(buf);
}

/* ------------------------------------------------- throughput (one-way) */

struct report {
    uint64_t received, lost, reordered, corrupt, bytes;
    uint64_t expected;          /* receiver's state, not sent */
};

static void send_message(int wfd, size_t size, uint64_t seq, uint32_t flags)
{
    unsigned char hdr[HEADER_SIZE];
    struct iovec iov[2];

    put_le32(hdr, MSG_MAGIC);
    put_le32(hdr + 4, flags);
    put_le64(hdr + 8, seq);
    iov[0].iov_base = hdr;
    iov[0].iov_len = HEADER_SIZE;
    iov[1].iov_base = (void *)(pattern(seq) + HEADER_SIZE);
    iov[1].iov_len = size - HEADER_SIZE;
    writev_full(wfd, iov, 2);
}

/* Parent: stream for duration_ms, send END, wait for the receiver's report. */
static void sender(const struct options *o, int rfd, int wfd,
                   struct report *rep, uint64_t *messages,
                   uint64_t *elapsed, struct cpu_mark *cpu)
{
    unsigned char buf[REPORT_SIZE];
    uint64_t seq = 0, start;
    struct cpu_mark c0, c1;

    c0 = cpu_mark();
    start = now_ns();
    do
        send_message(wfd, o->size, seq++, 0);
    while (now_ns() - start < ms_to_ns(o->duration_ms));
    send_message(wfd, o->size, seq, FLAG_END);
    if (read_full(rfd, buf, REPORT_SIZE) == 0)
        fatal("the child closed the channel before its report");
    *elapsed = now_ns() - start;
    c1 = cpu_mark();

    if (get_le32(buf) != REPORT_MAGIC)
        fatal("bad report magic 0x%08" PRIx32, get_le32(buf));
    rep->received = get_le64(buf + 8);
    rep->lost = get_le64(buf + 16);
    rep->reordered = get_le64(buf + 24);
    rep->corrupt = get_le64(buf + 32);
    rep->bytes = get_le64(buf + 40);
    *messages = seq;
    cpu->parent = c1.parent - c0.parent;
    cpu->child = c1.child - c0.child;
}

/* Checks one whole message and counts it; returns 1 for END. */
static int check_message(const unsigned char *m, size_t size, struct report *r)
{
    uint64_t seq = get_le64(m + 8);
    int payload_ok;

    if (get_le32(m) != MSG_MAGIC) {
        r->corrupt++;           /* header garbage: seq is meaningless */
        r->expected++;
        return 0;
    }
    payload_ok = memcmp(m + HEADER_SIZE, pattern(seq) + HEADER_SIZE,
                        size - HEADER_SIZE) == 0;
    if (get_le32(m + 4) & FLAG_END) {
        if (!payload_ok)
            r->corrupt++;
        if (seq > r->received + r->lost)    /* the missing ones are lost */
            r->lost = seq - r->received;
        return 1;
    }
    if (seq > r->expected)
        r->lost += seq - r->expected;
    else if (seq < r->expected)
        r->reordered++;
    if (!payload_ok)
        r->corrupt++;
    else if (seq >= r->expected)
        r->received++;
    if (seq >= r->expected)     /* a late message does not rewind us */
        r->expected = seq + 1;
    return 0;
}

/* Reads until END, reassembling messages that straddle reads. */
static void receive_all(int rfd, unsigned char *buf, size_t cap, size_t size,
                        struct report *r)
{
    size_t fill = 0, off;
    int end = 0;

    while (!end) {
        ssize_t n = read(rfd, buf + fill, cap - fill);

        if (n < 0) {
            if (errno == EINTR)
                continue;
            die("read");
        }
        if (n == 0)
            fatal("end of file %s", fill ? "in the middle of a message"
                                         : "before the END message");
        r->bytes += (uint64_t)n;
        fill += (size_t)n;
        for (off = 0; !end && fill - off >= size; off += size)
            end = check_message(buf + off, size, r);
        memmove(buf, buf + off, fill - off);    /* keep the partial message */
        fill -= off;
    }
    if (fill != 0)
        fatal("%zu unexpected bytes after the END message", fill);
}

/* Child: receive, check, report. */
static void receiver(const struct options *o, int rfd, int wfd)
{
    size_t cap = o->size > RX_MIN_BUF ? o->size : RX_MIN_BUF;
    unsigned char *buf = xmalloc(cap);
    unsigned char out[REPORT_SIZE];
    struct report r = { 0 };

    receive_all(rfd, buf, cap, o->size, &r);

    put_le32(out, REPORT_MAGIC);
    put_le32(out + 4, 0);
    put_le64(out + 8, r.received);
    put_le64(out + 16, r.lost);
    put_le64(out + 24, r.reordered);
    put_le64(out + 32, r.corrupt);
    put_le64(out + 40, r.bytes);
    write_full(wfd, out, REPORT_SIZE);

    /* Stay alive until the parent closes: it still reads our CPU time. */
    if (read_full(rfd, buf, 1) != 0)
        fatal("unexpected data after the END message");
    free(buf);
}

/* ------------------------------------------------------- the two processes */

void bench_init(int argc, char **argv, const char *mechanism, unsigned flags,
                struct options *opt)
{
    if (argc > 0 && argv[0] != NULL)
        prog = argv[0];
    mech_name = mechanism;
    opt_flags = flags;
    if (sched_getaffinity(0, sizeof allowed_cpus, &allowed_cpus) < 0)
        die("sched_getaffinity");
    parse_options(argc, argv, opt);
    opt->mechanism = mechanism;
    /* A write to a closed peer must fail with EPIPE, not kill us silently. */
    if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
        die("signal");
    patterns_init(opt->size);
}

/* Writes s on stderr with write(2) only: usable in a signal handler. */
static void say(const char *s)
{
    size_t n = strlen(s);

    while (n > 0) {
        ssize_t w = write(STDERR_FILENO, s, n);

        if (w <= 0)
            return;
        s += w;
        n -= (size_t)w;
    }
}

/* SIGCHLD during setup: the parent may be blocked waiting for the child
 * (a FIFO's open, accept), which would then wait forever. Exiting from the
 * handler has no race: a child that died before the parent started waiting
 * has already run it. */
static void child_died_in_setup(int sig)
{
    (void)sig;
    say(prog);
    say(" (parent): the child ended before the channel was set up\n");
    temp_cleanup();
    _exit(1);
}

pid_t fork_peer(const struct options *opt)
{
    pid_t parent = getpid(), pid;
    struct sigaction sa;

    pin_to_cpu(opt->cpu_parent);
    /* Before fork: a child that dies at once must not be missed. */
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = child_died_in_setup;
    sa.sa_flags = SA_NOCLDSTOP;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGCHLD, &sa, NULL) < 0)
        die("sigaction");
    fflush(NULL);               /* nothing buffered may be written twice */
    pid = fork();
    if (pid < 0)
        die("fork");
    if (pid > 0) {
        child_pid = pid;
        return pid;
    }
    role = "child";
    end_setup_watch();          /* the child has no children */
    /* Die with the parent, however the parent dies. */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
        die("prctl");
    if (getppid() != parent)
        fatal("the parent is gone");
    if (opt->cpu_child >= 0)
        pin_to_cpu(opt->cpu_child);
    else if (sched_setaffinity(0, sizeof allowed_cpus, &allowed_cpus) < 0)
        die("sched_setaffinity");   /* undo the inherited parent pinning */
    return 0;
}

_Noreturn void run_child(const struct options *opt, int rfd, int wfd)
{
    if (opt->mode == MODE_LATENCY)
        pong(opt, rfd, wfd);
    else
        receiver(opt, rfd, wfd);
    close_ends(rfd, wfd);
    free(pattern_base);
    exit(0);
}

static void reap_child(void)
{
    pid_t pid = child_pid;
    int status;

    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            die("waitpid");
    child_pid = 0;
    if (WIFSIGNALED(status))
        fatal("child killed by signal %d", WTERMSIG(status));
    if (WEXITSTATUS(status) != 0)
        fatal("child exited with status %d", WEXITSTATUS(status));
}

/* The fields every line starts with; "nodelay" only where it applies,
 * "writes" in latency mode only. */
static void print_head(const struct options *o, const char *mode)
{
    printf("{\"mechanism\":\"%s\",\"mode\":\"%s\",\"size\":%zu",
           o->mechanism, mode, o->size);
    if (o->nodelay >= 0)
        printf(",\"nodelay\":%s", o->nodelay ? "true" : "false");
    if (o->mode == MODE_LATENCY)
        printf(",\"writes\":%d", o->writes);
}

static void print_latency(const struct options *o, const struct samples *s,
                          const struct cpu_mark *cpu)
{
    print_head(o, "latency");
    printf(",\"samplesNs\":[");
    for (size_t i = 0; i < s->n; i++)
        printf(i ? ",%" PRIu64 : "%" PRIu64, s->v[i]);
    printf("],\"cpuNsParent\":%" PRIu64 ",\"cpuNsChild\":%" PRIu64 "}\n",
           cpu->parent, cpu->child);
}

static void print_throughput(const struct options *o, uint64_t messages,
                             uint64_t elapsed, const struct cpu_mark *cpu,
                             const struct report *r)
{
    print_head(o, "throughput");
    printf(",\"messages\":%" PRIu64 ",\"bytes\":%" PRIu64
           ",\"elapsedNs\":%" PRIu64 ",\"cpuNsParent\":%" PRIu64
           ",\"cpuNsChild\":%" PRIu64 ",\"received\":%" PRIu64
           ",\"lost\":%" PRIu64 ",\"reordered\":%" PRIu64
           ",\"corrupt\":%" PRIu64 "}\n",
           messages, messages * o->size, elapsed,
           cpu->parent, cpu->child, r->received, r->lost, r->reordered,
           r->corrupt);
}

int run_parent(const struct options *opt, int rfd, int wfd)
{
    struct samples s = { 0 };
    struct report r = { 0 };
    struct cpu_mark cpu;
    uint64_t messages = 0, elapsed = 0;

    /* Setup is over: both ends are open, no name is needed any more. */
    end_setup_watch();
    temp_remove();

    if (opt->mode == MODE_LATENCY)
        ping(opt, rfd, wfd, &s, &cpu);
    else
        sender(opt, rfd, wfd, &r, &messages, &elapsed, &cpu);
    close_ends(rfd, wfd);       /* the child sees EOF and exits */
    reap_child();

    /* Only a fully successful run prints its JSON. */
    if (opt->mode == MODE_LATENCY)
        print_latency(opt, &s, &cpu);
    else
        print_throughput(opt, messages, elapsed, &cpu, &r);
    if (fflush(stdout) == EOF || ferror(stdout))
        die("stdout");
    free(s.v);
    free(pattern_base);
    return 0;
}
