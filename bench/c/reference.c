/*
 * reference - two figures of this machine that bound every row of the
 * bench: the busy-spin floor (the fastest any shared-memory round trip can
 * be here) and memcpy bandwidth (the most bytes per second any copy-based
 * transport can move here).
 *
 *   reference [--cpu-parent P] [--cpu-child C] [--duration-ms N]
 *
 * Spin floor: a MAP_SHARED|MAP_ANONYMOUS page, fork(); the parent stores a
 * round number in one cache line, the child spins until it sees it and
 * stores it back in another line, the parent spins until it sees that: one
 * round trip, timed with clock_gettime, N ms of them after as many of
 * warm-up. Nothing sleeps, nothing enters the kernel: only the two cache
 * lines move between the CPUs. The spin loops have no PAUSE: a floor is the
 * fastest hand-over (PAUSE adds its own latency, and on KVM a long PAUSE
 * loop can exit to the hypervisor). Both sides spin, so the two must be on
 * different CPUs (on one, each waits out the other's time slice): without
 * two distinct CPUs the line says so instead of measuring.
 *
 * memcpy: 64 KiB and 1 MiB, between two distinct warm buffers, for N ms
 * each; the copy is checked byte for byte once (exit 1 if it is wrong).
 *
 * Output, one JSON line each:
 *   {"kind":"spin","cpuParent":P,"cpuChild":C,"samples":n,"p50":ns,"p99":ns,"mean":ns}
 *   {"kind":"spin","skipped":"why"}
 *   {"kind":"memcpy","bytes":b,"copies":n,"nsPerCopy":x,"mbps":y}
 * Exit 0; 1 when a call fails or a copy is wrong; 2 on bad usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_SAMPLES (1u << 22)

static uint64_t now_ns(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static _Noreturn void die(const char *what)
{
    fprintf(stderr, "reference: %s: %s\n", what, strerror(errno));
    exit(1);
}

static void pin(int cpu)
{
    cpu_set_t set;

    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof set, &set) < 0)
        die("sched_setaffinity");
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return x < y ? -1 : x > y;
}

/* The two words, each on a cache line of its own. */
struct lines {
    _Alignas(64) volatile uint64_t ping;
    _Alignas(64) volatile uint64_t pong;
};

static void spin_floor(int cpu_parent, int cpu_child, unsigned duration_ms)
{
    struct lines *l;
    uint64_t *samples, round = 0, n = 0, sum = 0, end;
    pid_t child;
    int status;

    if (cpu_parent < 0 || cpu_child < 0 || cpu_parent == cpu_child) {
        printf("{\"kind\":\"spin\",\"skipped\":\"needs two distinct CPUs (--cpu-parent, --cpu-child): on one, each side waits out the other's time slice\"}\n");
        return;
    }
    l = mmap(NULL, sizeof *l, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (l == MAP_FAILED)
        die("mmap");
    samples = malloc(MAX_SAMPLES * sizeof *samples);
    if (samples == NULL)
        die("malloc");
    fflush(stdout);
    child = fork();
    if (child < 0)
        die("fork");
    if (child == 0) {
        pin(cpu_child);
        for (uint64_t seen = 0;;) {
            uint64_t v = __atomic_load_n(&l->ping, __ATOMIC_ACQUIRE);

            if (v == UINT64_MAX)
                _exit(0);
            if (v != seen) {
                seen = v;
                __atomic_store_n(&l->pong, v, __ATOMIC_RELEASE);
            }
        }
    }
    pin(cpu_parent);
    /* Warm-up as long as the window, then the window. */
    for (int phase = 0; phase < 2; phase++) {
        end = now_ns() + (uint64_t)duration_ms * 1000000u;
        for (uint64_t t0 = now_ns(); t0 < end && n < MAX_SAMPLES;) {
            uint64_t t1;

            __atomic_store_n(&l->ping, ++round, __ATOMIC_RELEASE);
            while (__atomic_load_n(&l->pong, __ATOMIC_ACQUIRE) != round)
                ;
            t1 = now_ns();
            if (phase == 1) {
                samples[n++] = t1 - t0;
                sum += t1 - t0;
            }
            t0 = t1;
        }
    }
    __atomic_store_n(&l->ping, UINT64_MAX, __ATOMIC_RELEASE);
    if (waitpid(child, &status, 0) < 0)
        die("waitpid");
    qsort(samples, n, sizeof *samples, cmp_u64);
    printf("{\"kind\":\"spin\",\"cpuParent\":%d,\"cpuChild\":%d,\"samples\":%llu,\"p50\":%llu,\"p99\":%llu,\"mean\":%.1f}\n",
           cpu_parent, cpu_child, (unsigned long long)n, (unsigned long long)samples[n / 2],
           (unsigned long long)samples[n * 99 / 100], (double)sum / (double)n);
    free(samples);
    munmap(l, sizeof *l);
}

static void memcpy_bandwidth(size_t bytes, unsigned duration_ms)
{
    unsigned char *src = aligned_alloc(64, bytes), *dst = aligned_alloc(64, bytes);
    uint64_t copies = 0, t0, t1, end;

    if (src == NULL || dst == NULL)
        die("aligned_alloc");
    for (size_t i = 0; i < bytes; i++)
        src[i] = (unsigned char)(i * 131 + 7);
    memset(dst, 0, bytes);
    memcpy(dst, src, bytes);
    if (memcmp(dst, src, bytes) != 0) {
        fprintf(stderr, "reference: a %zu-byte memcpy is not a copy\n", bytes);
        exit(1);
    }
    end = now_ns() + (uint64_t)duration_ms * 1000000u;     /* warm-up */
    while (now_ns() < end)
        memcpy(dst, src, bytes);
    t0 = now_ns();
    end = t0 + (uint64_t)duration_ms * 1000000u;
    do {
        for (int i = 0; i < 16; i++) {
            memcpy(dst, src, bytes);
            __asm__ volatile("" : : "r"(dst) : "memory");  /* each copy happens */
        }
        copies += 16;
        t1 = now_ns();
    } while (t1 < end);
    printf("{\"kind\":\"memcpy\",\"bytes\":%zu,\"copies\":%llu,\"nsPerCopy\":%.1f,\"mbps\":%.1f}\n", bytes,
           (unsigned long long)copies, (double)(t1 - t0) / (double)copies,
           (double)bytes * (double)copies / ((double)(t1 - t0) / 1e9) / 1e6);
    free(src);
    free(dst);
}

static _Noreturn void usage(void)
{
    fprintf(stderr, "usage: reference [--cpu-parent P] [--cpu-child C] [--duration-ms N]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    int cpu_parent = -1, cpu_child = -1;
    unsigned duration_ms = 100;

    for (int i = 1; i < argc; i++) {
        char *end;
        long v;

        if (i + 1 >= argc)
            usage();
        v = strtol(argv[i + 1], &end, 10);
        if (*end != '\0' || v < 0 || v > 60000)
            usage();
        if (strcmp(argv[i], "--cpu-parent") == 0)
            cpu_parent = (int)v;
        else if (strcmp(argv[i], "--cpu-child") == 0)
            cpu_child = (int)v;
        else if (strcmp(argv[i], "--duration-ms") == 0 && v > 0)
            duration_ms = (unsigned)v;
        else
            usage();
        i++;
    }
    spin_floor(cpu_parent, cpu_child, duration_ms);
    memcpy_bandwidth(64 * 1024, duration_ms);
    memcpy_bandwidth(1024 * 1024, duration_ms);
    return 0;
}
