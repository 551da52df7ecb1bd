/*
 * harness.c - the mechanism-independent part of the C baselines.
 * See harness.h for the interface and bench/PROTOCOL.md for the protocol.
 */
#define _GNU_SOURCE
#include "harness.h"
#include "histogram.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
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
#define FLAG_WARMUP     2u              /* a data message of the warm-up */
#define REPORT_SIZE     56
#define RX_MIN_BUF      65536
#define DGRAM_REPLY_MS  1000            /* latency: no echo by then = lost */
#define DGRAM_IDLE_MS   500             /* throughput: silence = the end */
#define DGRAM_END_COPIES 3              /* END datagrams, ... */
#define DGRAM_END_GAP_MS 1              /* ... this far apart */
#define DGRAM_REPORT_MS 5000            /* the sender's wait for the report */
/* BENCH_OPT_SHM: the limits and defaults of bench/c/shm-ring.h (and of
 * packages/shm's transport.ts), repeated so the harness needs no shm code. */
#define SHM_OPT_MIN_CAPACITY     4096
#define SHM_OPT_MAX_CAPACITY     268435456
#define SHM_OPT_DEFAULT_CAPACITY 262144
#define SHM_OPT_MAX_SPIN         1000000
#define SHM_OPT_DEFAULT_SPIN     64

static const char *prog = "bench";     /* argv[0], for messages */
static const char *mech_name = "bench"; /* the mechanism, for temp names */
static const char *role = "parent";    /* "child" after fork_peer */
static unsigned opt_flags;              /* BENCH_OPT_* given to bench_init */
static int datagram_mode;               /* bench_init_datagram was used */
static int message_mode;                /* datagrams, or BENCH_OPT_MESSAGES */
static size_t max_size = MAX_SIZE;      /* largest --size (a datagram's) */
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
    const char *extra = opt_flags & BENCH_OPT_NODELAY ? " [--nodelay 0|1]"
                      : opt_flags & BENCH_OPT_SHM
                      ? "\n                  [--region anon|posix|xsi|file]"
                        " [--capacity N] [--spin N] [--wake futex|spin|sem|eventfd]"
                      : "";
    const char *writes = message_mode ? "1" : "1|2";

    fprintf(f,
        "usage: %s latency    --size N --warmup-ms N --duration-ms N"
        " [--cpu-parent C] [--cpu-child C] [--writes %s]%s\n"
        "       %s throughput --size N [--warmup-ms N] --duration-ms N"
        " [--cpu-parent C] [--cpu-child C]%s\n"
        "  --size N         bytes per message, 1..%zu (throughput: at least %d)\n"
        "  --warmup-ms N    warm-up before timing, 0..%d ms (latency: required;\n"
        "                   throughput: default 0)\n"
        "  --duration-ms N  timed window, 1..%d ms\n"
        "  --cpu-parent C   pin the parent to CPU C (default: scheduler's choice)\n"
        "  --cpu-child C    pin the child to CPU C (default: scheduler's choice)\n",
        prog, writes, extra, prog, extra, max_size, MIN_TP_SIZE, MAX_MS, MAX_MS);
    if (datagram_mode)
        fprintf(f,
        "  --writes 1       latency only: accepted for symmetry; a datagram\n"
        "                   is always sent with one send(), never split\n");
    else if (message_mode)
        fprintf(f,
        "  --writes 1       latency only: accepted for symmetry; a message\n"
        "                   is always sent with one send(), never split\n");
    else
        fprintf(f,
        "  --writes 1|2     latency only: write() calls per message on both\n"
        "                   sides (default 1); 2 writes the first half (rounded\n"
        "                   up), then the rest; needs --size 2 or more\n");
    if (opt_flags & BENCH_OPT_NODELAY)
        fprintf(f,
        "  --nodelay 0|1    TCP_NODELAY on both sockets (default 1; 0 leaves\n"
        "                   Nagle's algorithm on)\n");
    if (opt_flags & BENCH_OPT_SHM)
        fprintf(f,
        "  --region R       where the rings live: anon (mmap MAP_SHARED|\n"
        "                   MAP_ANONYMOUS, inherited through fork; the default),\n"
        "                   posix (shm_open), xsi (shmget), file (a file in a\n"
        "                   private directory)\n"
        "  --capacity N     bytes per ring, a power of two, %d..%d\n"
        "                   (default %d); messages over a quarter of it go in\n"
        "                   fragments\n"
        "  --spin N         checks of the ring before a side sleeps, 0..%d\n"
        "                   (default %d)\n"
        "  --wake W         futex (default): spin, then sleep in futex(2);\n"
        "                   spin: never sleep, busy-poll (a CPU each);\n"
        "                   sem, eventfd: sleep and wake with a process-shared\n"
        "                   semaphore or an eventfd instead of the futex\n",
        SHM_OPT_MIN_CAPACITY, SHM_OPT_MAX_CAPACITY, SHM_OPT_DEFAULT_CAPACITY,
        SHM_OPT_MAX_SPIN, SHM_OPT_DEFAULT_SPIN);
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

/* One of the NULL-terminated choices (returned as the static string). */
static const char *parse_choice(const char *name, const char *s,
                                const char *const *choices)
{
    if (s == NULL)
        usage_error("%s needs a value", name);
    for (int i = 0; choices[i] != NULL; i++)
        if (strcmp(s, choices[i]) == 0)
            return choices[i];
    usage_error("%s: unknown value '%s'", name, s);
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

    static const char *const regions[] = { "anon", "posix", "xsi", "file", NULL };
    static const char *const wakes[] = { "futex", "spin", "sem", "eventfd", NULL };
    int shm = (opt_flags & BENCH_OPT_SHM) != 0;

    o->cpu_parent = o->cpu_child = -1;
    o->nodelay = opt_flags & BENCH_OPT_NODELAY ? 1 : -1;
    o->region = shm ? regions[0] : NULL;
    o->wake = shm ? wakes[0] : NULL;
    o->capacity = shm ? SHM_OPT_DEFAULT_CAPACITY : 0;
    o->spin = shm ? SHM_OPT_DEFAULT_SPIN : 0;
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
            size = parse_int(name, val, 1, (int64_t)max_size);
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
        else if (shm && strcmp(name, "--region") == 0)
            o->region = parse_choice(name, val, regions);
        else if (shm && strcmp(name, "--wake") == 0)
            o->wake = parse_choice(name, val, wakes);
        else if (shm && strcmp(name, "--spin") == 0)
            o->spin = (int)parse_int(name, val, 0, SHM_OPT_MAX_SPIN);
        else if (shm && strcmp(name, "--capacity") == 0) {
            o->capacity = (uint32_t)parse_int(name, val, SHM_OPT_MIN_CAPACITY,
                                              SHM_OPT_MAX_CAPACITY);
            if ((o->capacity & (o->capacity - 1)) != 0)
                usage_error("--capacity: %s is not a power of two", val);
        } else if (strcmp(name, "--region") == 0 || strcmp(name, "--wake") == 0
                   || strcmp(name, "--spin") == 0
                   || strcmp(name, "--capacity") == 0)
            usage_error("%s applies to shm only", name);
        else
            usage_error("unknown option '%s'", name);
    }

    if (size < 0)
        usage_error("--size is required");
    if (duration < 0)
        usage_error("--duration-ms is required");
    if (o->mode == MODE_LATENCY && warmup < 0)
        usage_error("--warmup-ms is required for latency");
    if (o->mode == MODE_THROUGHPUT && size < MIN_TP_SIZE)
        usage_error("--size: throughput messages need at least %d bytes",
                    MIN_TP_SIZE);
    if (o->mode == MODE_THROUGHPUT && writes >= 0)
        usage_error("--writes applies to latency only");
    if (writes == 2 && datagram_mode)
        usage_error("--writes 2: a datagram is one send(), it cannot be split");
    if (writes == 2 && message_mode)
        usage_error("--writes 2: a message is one send(), it cannot be split");
    if (writes == 2 && size < 2)
        usage_error("--writes 2 splits a message in two: needs --size 2 or more");
    o->size = (size_t)size;
    o->writes = writes < 0 ? 1 : (int)writes;
    o->datagram = datagram_mode;
    o->message = message_mode;
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

/*
 * The process's CPU-time clock: user + system time of all its threads
 * (exited ones included), exact at the moment of the call, for this process
 * (pid 0 or our own) or another one (the child). The TypeScript rows read
 * the same clock (cpuTimeNs in the addon), so CPU figures compare.
 */
uint64_t cpu_ns_of(pid_t pid)
{
    struct timespec ts;
    clockid_t clock;
    int err = clock_getcpuclockid(pid == getpid() ? 0 : pid, &clock);

    if (err != 0) {
        errno = err;
        die("clock_getcpuclockid");
    }
    if (clock_gettime(clock, &ts) < 0)
        die("clock_gettime");
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
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

/* All n bytes, however many write() calls that takes; 0, or -1 (errno). */
static int write_all(int fd, const void *buf, size_t n)
{
    size_t put = 0;

    while (put < n) {
        ssize_t w = write(fd, (const char *)buf + put, n - put);

        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;              /* EPIPE too: SIGPIPE is ignored */
        }
        put += (size_t)w;
    }
    return 0;
}

void write_full(int fd, const void *buf, size_t n)
{
    if (write_all(fd, buf, n) < 0)
        die("write");
}

/* Gather write: header and payload come from different buffers. */
static int writev_all(int fd, struct iovec *iov, int cnt)
{
    while (cnt > 0) {
        ssize_t w = writev(fd, iov, cnt);

        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        for (; cnt > 0 && (size_t)w >= iov->iov_len; iov++, cnt--)
            w -= (ssize_t)iov->iov_len;
        if (cnt > 0) {
            iov->iov_base = (char *)iov->iov_base + w;
            iov->iov_len -= (size_t)w;
        }
    }
    return 0;
}

/* ------------------------------------------------------------ datagrams */

/*
 * A datagram socket keeps message boundaries: one send() is one datagram,
 * and one recv() returns one whole datagram, or its beginning if the buffer
 * is too small (the rest is discarded, not kept for the next recv). With
 * MSG_TRUNC in the flags, recv() returns the datagram's real length even
 * then, so a wrong-sized datagram cannot pass for a right-sized one.
 * There is no end of file (except on SOCK_SEQPACKET, which is connected):
 * recv() returning 0 is an empty datagram. The parent uses an empty
 * datagram to tell the child to stop, which on SOCK_SEQPACKET reads the
 * same as end of file.
 */

/* Sends one datagram from the gathered pieces: all of it, or -1 (errno). */
static int send_dgram_iov(int fd, struct iovec *iov, int cnt)
{
    struct msghdr m = { .msg_iov = iov, .msg_iovlen = (size_t)cnt };
    size_t n = 0;
    ssize_t w;

    for (int i = 0; i < cnt; i++)
        n += iov[i].iov_len;
    while ((w = sendmsg(fd, &m, 0)) < 0)
        if (errno != EINTR)
            return -1;      /* ECONNREFUSED: the peer's socket is gone */
    if ((size_t)w != n)
        fatal("send: %zd of %zu bytes: a datagram must go whole", w, n);
    return 0;
}

/* Receives one datagram into buf (at most cap bytes kept); returns its real
 * length (0: an empty datagram, or end of file on SOCK_SEQPACKET), or -1
 * (errno; EAGAIN: the socket's receive timeout, SO_RCVTIMEO, expired). */
static ssize_t recv_dgram(int fd, void *buf, size_t cap)
{
    ssize_t n;

    while ((n = recv(fd, buf, cap, MSG_TRUNC)) < 0)
        if (errno != EINTR)
            return -1;
    return n;
}

/*
 * A receive timeout on the socket itself rather than poll() before each
 * recv(): a datagram costs one system call, as a message of the stream
 * baselines does when it arrives in one read. ms = 0: wait forever.
 */
static void set_recv_timeout(int fd, int64_t ms)
{
    struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = ms % 1000 * 1000 };

    if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) < 0)
        die("setsockopt SO_RCVTIMEO");
}

/* Waits up to ms for fd to be readable (or in error); 1 if it is. */
static int wait_readable(int fd, int64_t ms)
{
    struct pollfd p = { .fd = fd, .events = POLLIN };
    uint64_t end = now_ns() + ms_to_ns(ms);

    for (;;) {
        uint64_t now = now_ns();
        int left = now >= end ? 0 : (int)((end - now + 999999) / 1000000);
        int r = poll(&p, 1, left);

        if (r > 0)
            return 1;
        if (r == 0)
            return 0;
        if (errno != EINTR)
            die("poll");
    }
}

/* After a wait for the child ran out: if the child has died, that is the
 * news, not a lost datagram. (A dead UDP peer is otherwise only noticed
 * at the next send, through ICMP; an AF_UNIX datagram peer never wakes
 * our recv().) */
static void fatal_if_child_gone(void)
{
    int status;

    if (child_pid <= 0 || waitpid(child_pid, &status, WNOHANG) != child_pid)
        return;
    child_pid = 0;
    if (WIFSIGNALED(status))
        fatal("child killed by signal %d", WTERMSIG(status));
    fatal("child exited with status %d", WEXITSTATUS(status));
}

void unix_fit_sndbuf(int fd, size_t size)
{
    int have, want;
    socklen_t len = sizeof have;

    if (getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &have, &len) < 0)
        die("getsockopt SO_SNDBUF");
    if ((size_t)have >= size + 32)
        return;                 /* the default is enough (the usual case) */
    /* The kernel doubles the value asked for (the other half is for its
     * bookkeeping) and caps the request at net.core.wmem_max. */
    want = (int)((size + 32 + 1) / 2);
    if (setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &want, sizeof want) < 0)
        die("setsockopt SO_SNDBUF");
    len = sizeof have;
    if (getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &have, &len) < 0)
        die("getsockopt SO_SNDBUF");
    if ((size_t)have < size + 32)
        fatal("--size %zu: a datagram must fit in SO_SNDBUF - 32 bytes, and"
              " the send buffer can only grow to %d (net.core.wmem_max)",
              size, have);
}

/* ---------------------------------------------- the channel of two fds */

/*
 * What run_child()/run_parent() give the roles: the same system calls the
 * roles made on the descriptors before there were channels (read; write or
 * writev; sendmsg and recv(MSG_TRUNC) on a datagram socket).
 */
struct fd_ends {
    int rfd, wfd;               /* may be one socket: closed once */
};

static int fd_send(void *ctx, struct iovec *iov, int cnt)
{
    struct fd_ends *e = ctx;

    if (datagram_mode)
        return send_dgram_iov(e->wfd, iov, cnt);
    if (cnt == 1)
        return write_all(e->wfd, iov->iov_base, iov->iov_len);
    return writev_all(e->wfd, iov, cnt);
}

static ssize_t fd_recv(void *ctx, void *buf, size_t cap)
{
    struct fd_ends *e = ctx;
    ssize_t n;

    if (datagram_mode)
        return recv_dgram(e->rfd, buf, cap);
    while ((n = read(e->rfd, buf, cap)) < 0 && errno == EINTR)
        ;
    return n;
}

static int fd_close(void *ctx)
{
    struct fd_ends *e = ctx;

    if (close(e->rfd) < 0)
        return -1;
    if (e->wfd != e->rfd && close(e->wfd) < 0)
        return -1;
    return 0;
}

static struct fd_ends fd_ends;
static const struct channel_ops fd_channel_proto = {
    .send = fd_send, .recv = fd_recv, .close = fd_close, .ctx = &fd_ends,
};

static struct channel_ops fd_channel(const struct options *o, int rfd, int wfd)
{
    struct channel_ops ch = fd_channel_proto;

    fd_ends.rfd = rfd;
    fd_ends.wfd = wfd;
    ch.message_mode = o->message;
    return ch;
}

/* The datagram rules (receive timeouts, poll for the report) need the
 * socket itself: only the fd channel has one (run_*_channel checks). */
static int dgram_fd(const struct channel_ops *ch)
{
    return ((const struct fd_ends *)ch->ctx)->rfd;
}

/* ------------------------------------------------- channel operations */

/* A failed channel operation: in a parent whose child has died (EPIPE,
 * ECONNRESET: the peer is gone), the child's end is the news. */
_Noreturn static void channel_failed(const char *what)
{
    int err = errno;

    if (err == EPIPE || err == ECONNRESET)
        fatal_if_child_gone();
    errno = err;
    die(what);
}

static void ch_sendv(const struct channel_ops *ch, struct iovec *iov, int cnt)
{
    if (ch->send(ch->ctx, iov, cnt) < 0)
        channel_failed(ch->message_mode ? "send" : cnt > 1 ? "writev" : "write");
}

static void ch_send(const struct channel_ops *ch, const void *buf, size_t n)
{
    struct iovec iov = { .iov_base = (void *)buf, .iov_len = n };

    ch_sendv(ch, &iov, 1);
}

/* What ch->recv returns; -1 only for a datagram receive timeout. */
static ssize_t ch_recv(const struct channel_ops *ch, void *buf, size_t cap)
{
    ssize_t n = ch->recv(ch->ctx, buf, cap);

    if (n >= 0)
        return n;
    if (datagram_mode && (errno == EAGAIN || errno == EWOULDBLOCK))
        return -1;
    channel_failed(ch->message_mode ? "recv" : "read");
}

/* read_full() over a stream channel: n bytes, or 0 at a clean EOF. */
static size_t ch_read_full(const struct channel_ops *ch, void *buf, size_t n)
{
    size_t got = 0;

    while (got < n) {
        ssize_t r = ch_recv(ch, (char *)buf + got, n - got);

        if (r == 0) {
            if (got == 0)
                return 0;           /* clean EOF between messages */
            fatal("read: end of file after %zu of %zu bytes", got, n);
        }
        got += (size_t)r;
    }
    return n;
}

static void ch_close(const struct channel_ops *ch)
{
    if (ch->close(ch->ctx) < 0)
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

/* Sends one latency message as `writes` write() calls (each completed by
 * further writes on a short write): 1 = the whole message; 2 = the first
 * ceil(size/2) bytes, then the rest. Two small writes before the peer can
 * answer are what Nagle's algorithm holds back (--writes 2 --nodelay 0).
 * A message channel always sends it as one message (writes is 1). */
static void send_latency(const struct channel_ops *ch, const unsigned char *msg,
                         size_t size, int writes)
{
    size_t first = writes == 2 ? size - size / 2 : size;

    ch_send(ch, msg, first);
    if (first < size)
        ch_send(ch, msg + first, size - first);
}

/* The receive buffer: a message longer than expected must show (a datagram
 * is cut to the buffer, but MSG_TRUNC gives its length; a message channel
 * returns the real length too), a stream needs room for reassembly. */
static size_t rx_capacity(size_t size)
{
    return size > RX_MIN_BUF ? size : RX_MIN_BUF;
}

/* What one message is called in error messages. */
static const char *unit(const struct options *o)
{
    return o->datagram ? "datagram" : "message";
}

/* Send one message, wait for the whole echo; spot-check it. A message
 * echo comes in one recv() or not at all: its length is checked; for a
 * datagram, no echo within DGRAM_REPLY_MS (the socket's receive timeout)
 * means lost. (A reliable message channel has no timeout: it reports a
 * dead peer itself.) */
static void round_trip(const struct options *o, const struct channel_ops *ch,
                       unsigned char *reply, size_t cap)
{
    const unsigned char *msg = pattern(0);
    size_t size = o->size;

    if (o->message) {
        ssize_t n;

        ch_send(ch, msg, size);
        n = ch_recv(ch, reply, cap);
        if (n < 0) {
            fatal_if_child_gone();
            fatal("datagram lost: no reply within %d ms", DGRAM_REPLY_MS);
        }
        if (n == 0)
            fatal(o->datagram
                  ? "the child closed the channel (or sent an empty datagram)"
                  : "the child closed the channel");
        if ((size_t)n != size)
            fatal("reply of %zd bytes to a %s of %zu", n, unit(o), size);
    } else {
        send_latency(ch, msg, size, o->writes);
        if (ch_read_full(ch, reply, size) == 0)
            fatal("the child closed the channel");
    }
    if (reply[0] != msg[0] || reply[size - 1] != msg[size - 1])
        fatal("reply differs from the message: %s",
              o->message ? (o->datagram ? "wrong datagram" : "wrong message")
                         : "stream out of sync");
}

/* Parent: discarded first round trip, warm-up, then the timed window, every
 * round trip recorded in the histogram (constant memory however long). */
static void ping(const struct options *o, const struct channel_ops *ch,
                 struct histogram *h, struct cpu_mark *cpu)
{
    size_t cap = o->message ? rx_capacity(o->size) : o->size;
    unsigned char *reply = xmalloc(cap);
    uint64_t warm_end, start, t0, t1;
    struct cpu_mark c0, c1;

    if (o->datagram)
        set_recv_timeout(dgram_fd(ch), DGRAM_REPLY_MS);
    round_trip(o, ch, reply, cap);
    warm_end = now_ns() + ms_to_ns(o->warmup_ms);
    while (now_ns() < warm_end)
        round_trip(o, ch, reply, cap);

    c0 = cpu_mark();
    start = now_ns();
    do {
        t0 = now_ns();
        round_trip(o, ch, reply, cap);
        t1 = now_ns();
        hist_record(h, t1 - t0);
    } while (t1 - start < ms_to_ns(o->duration_ms));
    c1 = cpu_mark();

    cpu->parent = c1.parent - c0.parent;
    cpu->child = c1.child - c0.child;
    free(reply);
}

/* Child: echo every message until the parent closes its end (a datagram
 * mechanism: until the parent's empty datagram). */
static void pong(const struct options *o, const struct channel_ops *ch)
{
    size_t cap = o->message ? rx_capacity(o->size) : o->size;
    unsigned char *buf = xmalloc(cap);

    if (!o->message) {
        while (ch_read_full(ch, buf, o->size) != 0)
            send_latency(ch, buf, o->size, o->writes);
    } else {
        ssize_t n;

        /* (no receive timeout is set here: n >= 0) */
        while ((n = ch_recv(ch, buf, cap)) != 0) {
            if ((size_t)n != o->size)
                fatal("%s of %zd bytes, expected %zu", unit(o), n, o->size);
            ch_send(ch, buf, o->size);
        }
    }
    free(buf);
}

/* ------------------------------------------------- throughput (one-way) */

struct report {
    uint64_t received, lost, reordered, corrupt, bytes;
    uint64_t warmup_received;   /* of received: those flagged FLAG_WARMUP */
    uint64_t expected;          /* receiver's state, not sent */
};

/* What the sender measured: the timed window only (warm-up excluded). */
struct stream_counts {
    uint64_t warmup_messages;   /* data messages sent during the warm-up */
    uint64_t messages;          /* data messages sent in the timed window */
    uint64_t elapsed;           /* ns, timed window start to the report */
};

/* One message: header and payload gathered from two buffers in one call,
 * a writev() on a stream, a sendmsg() (one datagram), one message on a
 * message channel. */
static void send_message(const struct options *o, const struct channel_ops *ch,
                         uint64_t seq, uint32_t flags)
{
    unsigned char hdr[HEADER_SIZE];
    struct iovec iov[2];

    put_le32(hdr, MSG_MAGIC);
    put_le32(hdr + 4, flags);
    put_le64(hdr + 8, seq);
    iov[0].iov_base = hdr;
    iov[0].iov_len = HEADER_SIZE;
    iov[1].iov_base = (void *)(pattern(seq) + HEADER_SIZE);
    iov[1].iov_len = o->size - HEADER_SIZE;
    ch_sendv(ch, iov, 2);
}

/*
 * Datagram END: an unreliable mechanism may drop it (UDP drops what does not
 * fit in the receiver's buffer, and a fast sender keeps it full), so END
 * goes up to DGRAM_END_COPIES times, DGRAM_END_GAP_MS apart; once the report
 * is in, the receiver has seen one and the remaining copies are not sent.
 * Then the report: one datagram, within DGRAM_REPORT_MS.
 */
static void end_and_report_dgram(const struct options *o,
                                 const struct channel_ops *ch, uint64_t seq,
                                 unsigned char *buf)
{
    int ready = 0;
    ssize_t n;

    for (int i = 0; i < DGRAM_END_COPIES && !ready; i++) {
        send_message(o, ch, seq, FLAG_END);
        ready = wait_readable(dgram_fd(ch),
                              i + 1 < DGRAM_END_COPIES ? DGRAM_END_GAP_MS
                                                       : DGRAM_REPORT_MS);
    }
    if (!ready) {
        fatal_if_child_gone();
        fatal("no report from the receiver within %d ms", DGRAM_REPORT_MS);
    }
    n = ch_recv(ch, buf, REPORT_SIZE);
    if (n == 0)
        fatal("the child closed the channel before its report");
    if (n != REPORT_SIZE)
        fatal("report of %zd bytes, expected %d", n, REPORT_SIZE);
}

/*
 * Parent: stream warm-up messages (flagged FLAG_WARMUP) for warmup_ms, then
 * the timed window for duration_ms, send END, wait for the receiver's
 * report. The clock and both CPU marks start with the first message of the
 * timed window and stop when the report has arrived.
 */
static void sender(const struct options *o, const struct channel_ops *ch,
                   struct report *rep, struct stream_counts *sc,
                   struct cpu_mark *cpu)
{
    unsigned char buf[REPORT_SIZE];
    uint64_t seq = 0, start, warm_end;
    struct cpu_mark c0, c1;

    warm_end = now_ns() + ms_to_ns(o->warmup_ms);
    while (o->warmup_ms > 0 && now_ns() < warm_end)
        send_message(o, ch, seq++, FLAG_WARMUP);
    sc->warmup_messages = seq;

    c0 = cpu_mark();
    start = now_ns();
    do
        send_message(o, ch, seq++, 0);
    while (now_ns() - start < ms_to_ns(o->duration_ms));
    if (o->datagram)
        end_and_report_dgram(o, ch, seq, buf);
    else if (o->message) {
        /* Reliable: one END, and the report is one message. */
        ssize_t n;

        send_message(o, ch, seq, FLAG_END);
        n = ch_recv(ch, buf, REPORT_SIZE);
        if (n == 0)
            fatal("the child closed the channel before its report");
        if (n != REPORT_SIZE)
            fatal("report of %zd bytes, expected %d", n, REPORT_SIZE);
    } else {
        send_message(o, ch, seq, FLAG_END);
        if (ch_read_full(ch, buf, REPORT_SIZE) == 0)
            fatal("the child closed the channel before its report");
    }
    sc->elapsed = now_ns() - start;
    c1 = cpu_mark();

    if (get_le32(buf) != REPORT_MAGIC)
        fatal("bad report magic 0x%08" PRIx32, get_le32(buf));
    rep->received = get_le64(buf + 8);
    rep->lost = get_le64(buf + 16);
    rep->reordered = get_le64(buf + 24);
    rep->corrupt = get_le64(buf + 32);
    rep->bytes = get_le64(buf + 40);
    rep->warmup_received = get_le64(buf + 48);
    sc->messages = seq - sc->warmup_messages;
    cpu->parent = c1.parent - c0.parent;
    cpu->child = c1.child - c0.child;
}

/* Checks one whole message and counts it; returns 1 for END, whose seq
 * (the number of data messages sent) goes to *end_seq: the caller completes
 * the lost count, by the rule of its kind of mechanism. */
static int check_message(const unsigned char *m, size_t size, struct report *r,
                         uint64_t *end_seq)
{
    uint64_t seq = get_le64(m + 8);
    uint32_t flags = get_le32(m + 4);
    int payload_ok;

    if (get_le32(m) != MSG_MAGIC) {
        r->corrupt++;           /* header garbage: seq is meaningless */
        r->expected++;
        return 0;
    }
    payload_ok = memcmp(m + HEADER_SIZE, pattern(seq) + HEADER_SIZE,
                        size - HEADER_SIZE) == 0;
    if (flags & FLAG_END) {
        if (!payload_ok)
            r->corrupt++;
        *end_seq = seq;
        return 1;
    }
    if (seq > r->expected)
        r->lost += seq - r->expected;
    else if (seq < r->expected)
        r->reordered++;
    if (!payload_ok)
        r->corrupt++;
    else if (seq >= r->expected) {
        r->received++;
        if (flags & FLAG_WARMUP)
            r->warmup_received++;
    }
    if (seq >= r->expected)     /* a late message does not rewind us */
        r->expected = seq + 1;
    return 0;
}

/* Reads until END, reassembling messages that straddle reads. */
static void receive_all(const struct channel_ops *ch, unsigned char *buf,
                        size_t cap, size_t size, struct report *r)
{
    size_t fill = 0, off;
    uint64_t end_seq = 0;
    int end = 0;

    while (!end) {
        ssize_t n = ch_recv(ch, buf + fill, cap - fill);

        if (n == 0)
            fatal("end of file %s", fill ? "in the middle of a message"
                                         : "before the END message");
        r->bytes += (uint64_t)n;
        fill += (size_t)n;
        for (off = 0; !end && fill - off >= size; off += size)
            end = check_message(buf + off, size, r, &end_seq);
        memmove(buf, buf + off, fill - off);    /* keep the partial message */
        fill -= off;
    }
    if (fill != 0)
        fatal("%zu unexpected bytes after the END message", fill);
    if (end_seq > r->received + r->lost)        /* the missing ones are lost */
        r->lost = end_seq - r->received;
}

/*
 * One recv() per message, until the first END. A message of the wrong
 * length is corrupt (its header is not trusted). Datagrams: also until
 * DGRAM_IDLE_MS pass without any datagram (every END was lost); that clock
 * starts with the first datagram, so a sender slow to start is not taken
 * for a finished one. (A reliable message channel loses nothing: its END
 * comes, and it has no timeout.)
 */
static void receive_all_messages(const struct options *o,
                                 const struct channel_ops *ch,
                                 unsigned char *buf, size_t cap,
                                 size_t size, struct report *r)
{
    int idle_timeout_set = 0;

    for (;;) {
        uint64_t corrupt_before = r->corrupt, end_seq, accounted;
        ssize_t n = ch_recv(ch, buf, cap);

        if (n < 0)
            return;     /* silence: lost stays as the seq jumps counted it */
        if (n == 0)
            fatal(o->datagram
                  ? "end of file (or an empty datagram) before the END message"
                  : "end of the channel before the END message");
        if (o->datagram && !idle_timeout_set) {
            set_recv_timeout(dgram_fd(ch), DGRAM_IDLE_MS);
            idle_timeout_set = 1;
        }
        r->bytes += (uint64_t)n;
        if ((size_t)n != size) {
            r->corrupt++;
            r->expected++;
            continue;
        }
        if (check_message(buf, size, r, &end_seq)) {
            /* Every data message is received, corrupt, or lost. */
            accounted = r->received + corrupt_before;
            r->lost = end_seq > accounted ? end_seq - accounted : 0;
            return;
        }
    }
}

static int is_end_copy(const unsigned char *m, ssize_t n, size_t size)
{
    return (size_t)n == size && get_le32(m) == MSG_MAGIC
           && (get_le32(m + 4) & FLAG_END);
}

/* Child: receive, check, report. */
static void receiver(const struct options *o, const struct channel_ops *ch)
{
    size_t cap = rx_capacity(o->size);
    unsigned char *buf = xmalloc(cap);
    unsigned char out[REPORT_SIZE];
    struct report r = { 0 };
    ssize_t n;

    if (o->message)
        receive_all_messages(o, ch, buf, cap, o->size, &r);
    else
        receive_all(ch, buf, cap, o->size, &r);

    put_le32(out, REPORT_MAGIC);
    put_le32(out + 4, 0);
    put_le64(out + 8, r.received);
    put_le64(out + 16, r.lost);
    put_le64(out + 24, r.reordered);
    put_le64(out + 32, r.corrupt);
    put_le64(out + 40, r.bytes);
    put_le64(out + 48, r.warmup_received);

    /* Stay alive until the parent closes: it still reads our CPU time. */
    if (!o->message) {
        ch_send(ch, out, REPORT_SIZE);
        if (ch_read_full(ch, buf, 1) != 0)
            fatal("unexpected data after the END message");
    } else if (!o->datagram) {
        ch_send(ch, out, REPORT_SIZE);
        if (ch_recv(ch, buf, cap) != 0)
            fatal("unexpected message after the END message");
    } else {
        ch_send(ch, out, REPORT_SIZE);
        set_recv_timeout(dgram_fd(ch), 0);
        /* Until the parent's empty datagram; more copies of END may come
         * first. (Our queue is drained, so that datagram is not dropped.) */
        while ((n = ch_recv(ch, buf, cap)) != 0)
            if (!is_end_copy(buf, n, o->size))
                fatal("unexpected datagram after the END message");
    }
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
    message_mode = datagram_mode || (flags & BENCH_OPT_MESSAGES) != 0;
    if (sched_getaffinity(0, sizeof allowed_cpus, &allowed_cpus) < 0)
        die("sched_getaffinity");
    parse_options(argc, argv, opt);
    opt->mechanism = mechanism;
    /* A write to a closed peer must fail with EPIPE, not kill us silently. */
    if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
        die("signal");
    patterns_init(opt->size);
}

void bench_init_datagram(int argc, char **argv, const char *mechanism,
                         size_t max_datagram, struct options *opt)
{
    datagram_mode = 1;
    max_size = max_datagram < MAX_SIZE ? max_datagram : MAX_SIZE;
    bench_init(argc, argv, mechanism, 0, opt);
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

/* The datagram rules need a socket (timeouts, poll): only the fd channel
 * has one; and the roles must agree with the channel on boundaries. */
static void check_channel(const struct options *opt, const struct channel_ops *ch)
{
    if (ch->message_mode != opt->message)
        fatal("harness: the channel's message mode is not the options'");
    if (opt->datagram && ch->recv != fd_recv)
        fatal("harness: datagram mechanisms run over their socket");
}

_Noreturn void run_child_channel(const struct options *opt,
                                 const struct channel_ops *ch)
{
    check_channel(opt, ch);
    if (opt->mode == MODE_LATENCY)
        pong(opt, ch);
    else
        receiver(opt, ch);
    ch_close(ch);
    free(pattern_base);
    exit(0);
}

_Noreturn void run_child(const struct options *opt, int rfd, int wfd)
{
    struct channel_ops ch = fd_channel(opt, rfd, wfd);

    run_child_channel(opt, &ch);
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

/* The fields every line starts with; "nodelay", "region" and "wake" only
 * where they apply, "writes" in latency mode only. */
static void print_head(const struct options *o, const char *mode)
{
    printf("{\"mechanism\":\"%s\",\"mode\":\"%s\",\"size\":%zu",
           o->mechanism, mode, o->size);
    if (o->nodelay >= 0)
        printf(",\"nodelay\":%s", o->nodelay ? "true" : "false");
    if (o->region != NULL)
        printf(",\"region\":\"%s\",\"wake\":\"%s\"", o->region, o->wake);
    if (o->mode == MODE_LATENCY)
        printf(",\"writes\":%d", o->writes);
}

static void print_latency(const struct options *o, const struct histogram *h,
                          const struct cpu_mark *cpu)
{
    print_head(o, "latency");
    printf(",\"histogram\":");
    hist_print_json(stdout, h);
    printf(",\"cpuNsParent\":%" PRIu64 ",\"cpuNsChild\":%" PRIu64 "}\n",
           cpu->parent, cpu->child);
}

static void print_throughput(const struct options *o,
                             const struct stream_counts *sc,
                             const struct cpu_mark *cpu,
                             const struct report *r)
{
    print_head(o, "throughput");
    printf(",\"warmupMessages\":%" PRIu64 ",\"messages\":%" PRIu64
           ",\"bytes\":%" PRIu64 ",\"elapsedNs\":%" PRIu64
           ",\"cpuNsParent\":%" PRIu64 ",\"cpuNsChild\":%" PRIu64
           ",\"received\":%" PRIu64 ",\"warmupReceived\":%" PRIu64
           ",\"lost\":%" PRIu64 ",\"reordered\":%" PRIu64
           ",\"corrupt\":%" PRIu64 "}\n",
           sc->warmup_messages, sc->messages, sc->messages * o->size,
           sc->elapsed, cpu->parent, cpu->child, r->received,
           r->warmup_received, r->lost, r->reordered, r->corrupt);
}

int run_parent_channel(const struct options *opt, const struct channel_ops *ch)
{
    struct histogram *h = NULL;
    struct report r = { 0 };
    struct stream_counts sc = { 0 };
    struct cpu_mark cpu;

    check_channel(opt, ch);
    /* Setup is over: both ends are open, no name is needed any more. */
    end_setup_watch();
    temp_remove();

    if (opt->mode == MODE_LATENCY)
        ping(opt, ch, h = hist_new(), &cpu);
    else
        sender(opt, ch, &r, &sc, &cpu);
    /* A datagram socket has no end of file to send: an empty datagram
     * tells the child to stop. (The child's queue is empty by now, so even
     * UDP does not drop it.) */
    if (opt->datagram)
        ch_send(ch, "", 0);
    ch_close(ch);               /* the child sees the end and exits */
    reap_child();

    /* Only a fully successful run prints its JSON. */
    if (opt->mode == MODE_LATENCY)
        print_latency(opt, h, &cpu);
    else
        print_throughput(opt, &sc, &cpu, &r);
    if (fflush(stdout) == EOF || ferror(stdout))
        die("stdout");
    free(h);
    free(pattern_base);
    return 0;
}

int run_parent(const struct options *opt, int rfd, int wfd)
{
    struct channel_ops ch = fd_channel(opt, rfd, wfd);

    return run_parent_channel(opt, &ch);
}

/* ------------------------------------------------------ AF_UNIX names */

int unix_bound_socket(int type, const char *path, struct sockaddr_un *addr)
{
    mode_t old_mask;
    int fd;

    if (strlen(path) >= sizeof addr->sun_path) {    /* keep the final NUL */
        errno = ENAMETOOLONG;
        die(path);
    }
    memset(addr, 0, sizeof *addr);
    addr->sun_family = AF_UNIX;
    strcpy(addr->sun_path, path);
    fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
    if (fd < 0)
        die("socket");
    old_mask = umask(0177);     /* the socket file: 0600 */
    if (bind(fd, (struct sockaddr *)addr, sizeof *addr) < 0)
        die(path);
    umask(old_mask);
    return fd;
}
