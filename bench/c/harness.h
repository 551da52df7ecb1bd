/*
 * harness.h - everything a C baseline needs that does not depend on the IPC
 * mechanism: command line, CPU pinning, clocks, CPU accounting, full reads and
 * writes, and the two benchmark roles (latency ping-pong, throughput stream).
 *
 * A mechanism program (pipe.c, ...) only creates its channel and forks:
 *
 *     struct options opt;
 *     bench_init(argc, argv, "pipe", &opt);
 *     ... create the channel ...
 *     if (fork_peer(&opt) == 0) {
 *         ... keep the child's ends ...
 *         run_child(&opt, rfd, wfd);          // never returns
 *     }
 *     ... keep the parent's ends ...
 *     return run_parent(&opt, rfd, wfd);
 *
 * The wire protocol and the JSON output are specified in bench/PROTOCOL.md.
 */
#ifndef HARNESS_H
#define HARNESS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum mode { MODE_LATENCY, MODE_THROUGHPUT };

struct options {
    const char *mechanism;  /* name printed in the JSON, e.g. "pipe" */
    enum mode mode;
    size_t size;            /* bytes per message */
    int64_t warmup_ms;      /* latency only */
    int64_t duration_ms;
    int cpu_parent;         /* -1: let the scheduler choose */
    int cpu_child;
};

/* Parses the command line (exits 1 with usage on error), ignores SIGPIPE. */
void bench_init(int argc, char **argv, const char *mechanism,
                struct options *opt);

/* Pins the parent, forks; the child pins itself. Returns 0 in the child. */
pid_t fork_peer(const struct options *opt);

/* The child's role over its ends of the channel; exits the process. */
_Noreturn void run_child(const struct options *opt, int rfd, int wfd);

/* The parent's role: measures, closes rfd/wfd, reaps the child, prints the
 * JSON line. Returns the process exit status (0). */
int run_parent(const struct options *opt, int rfd, int wfd);

/* Building blocks, usable by mechanisms that need them. */
void pin_to_cpu(int cpu);                     /* no-op when cpu < 0 */
uint64_t now_ns(void);                        /* CLOCK_MONOTONIC */
uint64_t cpu_ns_of(pid_t pid);                /* all threads, from /proc */
size_t read_full(int fd, void *buf, size_t n);       /* n, or 0 at EOF */
void write_full(int fd, const void *buf, size_t n);

/* Print "what: strerror(errno)" (die) or a message (fatal) on stderr, kill
 * the child if there is one, exit 1. */
_Noreturn void die(const char *what);
_Noreturn void fatal(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

#endif
