/*
 * harness.h - everything a C baseline needs that does not depend on the IPC
 * mechanism: command line, CPU pinning, clocks, CPU accounting, full reads and
 * writes, and the two benchmark roles (latency ping-pong, throughput stream).
 *
 * A mechanism program (pipe.c, ...) only creates its channel and forks:
 *
 *     struct options opt;
 *     bench_init(argc, argv, "pipe", 0, &opt);
 *     ... create the channel ...
 *     if (fork_peer(&opt) == 0) {
 *         ... keep the child's ends ...
 *         run_child(&opt, rfd, wfd);          // never returns
 *     }
 *     ... keep the parent's ends ...
 *     return run_parent(&opt, rfd, wfd);
 *
 * rfd and wfd may be the same descriptor (a socket); it is closed once.
 *
 * A mechanism without file descriptors (shared memory: shm.c) gives the
 * roles a channel instead, a struct channel_ops (below), and calls
 * run_child_channel() / run_parent_channel(); run_child() and run_parent()
 * are those over the harness's own channel of two descriptors.
 *
 * A datagram mechanism (udp.c, ...) calls bench_init_datagram() instead,
 * with the largest datagram it can carry, and passes one socket as both
 * rfd and wfd: the harness then sends every message with one send() and
 * receives it with one recv() (the datagram rules of PROTOCOL.md).
 *
 * Between fork_peer() and run_parent() the parent is "setting up": it may
 * block until the child opens or connects (a FIFO's open, accept). If the
 * child dies meanwhile, the parent does not hang: it removes its temporary
 * names (below) and exits 1.
 *
 * The wire protocol and the JSON output are specified in bench/PROTOCOL.md.
 */
#ifndef HARNESS_H
#define HARNESS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

enum mode { MODE_LATENCY, MODE_THROUGHPUT };

struct options {
    const char *mechanism;  /* name printed in the JSON, e.g. "pipe" */
    enum mode mode;
    size_t size;            /* bytes per message */
    int64_t warmup_ms;      /* latency: round trips, throughput: streaming,
                               before the timed window (0: none) */
    int64_t duration_ms;
    int cpu_parent;         /* -1: let the scheduler choose */
    int cpu_child;
    int nodelay;            /* --nodelay: 1 (default) or 0; -1 when the
                               mechanism has no such option (not TCP) */
    int writes;             /* --writes, latency only: write() calls per
                               message on both sides, 1 (default) or 2;
                               always 1 in throughput mode (and for
                               datagram mechanisms) */
    int datagram;           /* 1: one message = one datagram (send/recv),
                               with the datagram rules (timeouts, END x3) */
    int message;            /* 1: one send = one message = one recv: the
                               datagram programs and BENCH_OPT_MESSAGES */
    /* BENCH_OPT_SHM only (region NULL elsewhere): */
    const char *region;     /* --region anon|posix|xsi|file (default anon) */
    uint32_t capacity;      /* --capacity: bytes per ring, a power of two */
    int spin;               /* --spin: checks of the ring before a sleep */
    const char *wake;       /* --wake futex|spin (spin: never sleep) */
};

/* Flags for bench_init: which mechanism-specific options it accepts. */
#define BENCH_OPT_NODELAY   1u      /* --nodelay 0|1, printed in the JSON */
#define BENCH_OPT_MESSAGES  2u      /* a reliable channel that keeps message
                                       boundaries: one send() = one message =
                                       one recv(), --writes 2 refused, the
                                       stream's end rules (END once, the end
                                       of the channel stops the child) */
#define BENCH_OPT_SHM       4u      /* --region, --capacity, --spin, --wake;
                                       "region" and "wake" in the JSON */

/* Parses the command line (exits 1 with usage on error), ignores SIGPIPE. */
void bench_init(int argc, char **argv, const char *mechanism, unsigned flags,
                struct options *opt);

/* The same for a datagram mechanism: --size is limited to max_datagram
 * bytes, --writes 2 (splitting a message) is a usage error. */
void bench_init_datagram(int argc, char **argv, const char *mechanism,
                         size_t max_datagram, struct options *opt);

/* Pins the parent, forks; the child pins itself. Returns 0 in the child. */
pid_t fork_peer(const struct options *opt);

/* The child's role over its ends of the channel; exits the process. */
_Noreturn void run_child(const struct options *opt, int rfd, int wfd);

/* The parent's role: measures, closes rfd/wfd, reaps the child, prints the
 * JSON line. Returns the process exit status (0). */
int run_parent(const struct options *opt, int rfd, int wfd);

/*
 * How the roles move bytes. The fd channel of run_child/run_parent is one
 * (read/write/writev on a stream, recv(MSG_TRUNC)/sendmsg on a datagram
 * socket); a mechanism without descriptors supplies its own. No operation
 * returns EINTR: each retries it itself.
 *
 * send: sends the bytes gathered from iov[0..cnt) (it may modify iov): on
 *       a stream all of them, however many calls that takes; with
 *       message_mode as one message. 0, or -1 with errno set.
 * recv: on a stream reads 1..cap bytes, 0 at end of file. With
 *       message_mode it takes one whole message and returns its real length
 *       (bytes past cap are discarded: a longer message shows as one), 0 at
 *       the end of the channel (or an empty message: the bench never sends
 *       one); EAGAIN is a receive timeout (datagram sockets only). -1 with
 *       errno set.
 * close: this end is done; the peer's recv returns 0 once it has read
 *       everything sent before. 0, or -1 with errno set.
 *
 * The harness names the call in its error message ("read", "write",
 * "writev"; "recv", "send" in message mode); when it fails with EPIPE or
 * ECONNRESET in a parent whose child has died, the child's end is the
 * message instead ("child killed by signal 9").
 */
struct channel_ops {
    int (*send)(void *ctx, struct iovec *iov, int cnt);
    ssize_t (*recv)(void *ctx, void *buf, size_t cap);
    int (*close)(void *ctx);
    void *ctx;
    int message_mode;       /* must equal opt->message */
};

/* run_child and run_parent over a channel of the mechanism's own. */
_Noreturn void run_child_channel(const struct options *opt,
                                 const struct channel_ops *ch);
int run_parent_channel(const struct options *opt,
                       const struct channel_ops *ch);

/*
 * Named mechanisms (FIFOs, UNIX socket paths) put their names in a private
 * directory: temp_dir() makes it with mkdtemp (mode 0700) under $TMPDIR, or
 * /tmp when that is unset or empty; temp_path("x") returns "<dir>/x" and
 * registers it for removal (at most 4 names); temp_remove() unlinks the names
 * and removes the directory, and is called by the parent as soon as both
 * peers have their ends open (run_parent() calls it too, in case).
 * Until then the parent removes them on every way out it can see: die(),
 * fatal(), the child's death during setup, SIGINT, SIGTERM, SIGHUP. Only a
 * SIGKILL of the parent during setup can leave them behind. The child never
 * removes them.
 */
void temp_dir(void);
const char *temp_path(const char *name);
void temp_remove(void);

/* An AF_UNIX socket of `type` (SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET) bound
 * to path, the socket file made 0600; its address goes in *addr. A path that
 * does not fit sun_path dies with ENAMETOOLONG. */
struct sockaddr_un;
int unix_bound_socket(int type, const char *path, struct sockaddr_un *addr);

/* Building blocks, usable by mechanisms that need them. */
void pin_to_cpu(int cpu);                     /* no-op when cpu < 0 */
uint64_t now_ns(void);                        /* CLOCK_MONOTONIC */
uint64_t cpu_ns_of(pid_t pid);                /* all threads, exact: the
                                                 process CPU-time clock */
size_t read_full(int fd, void *buf, size_t n);       /* n, or 0 at EOF */
void write_full(int fd, const void *buf, size_t n);

/* AF_UNIX datagrams (SOCK_DGRAM, SOCK_SEQPACKET) must fit in the sending
 * socket's SO_SNDBUF less 32 bytes: raises SO_SNDBUF when the default
 * (net.core.wmem_default) is too small for size; fails if
 * net.core.wmem_max does not allow enough. */
void unix_fit_sndbuf(int fd, size_t size);

/* Print "what: strerror(errno)" (die) or a message (fatal) on stderr, kill
 * the child if there is one, remove the temporary names, exit 1. */
_Noreturn void die(const char *what);
_Noreturn void fatal(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

#endif
