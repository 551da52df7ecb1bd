/*
 * ring-peer - a C peer for a channel a Node process made with shm-posix or
 * shm-xsi: it maps the region by its name or id, checks the header, claims
 * the attacher slot exactly as transport.ts attach() does, and echoes every
 * message back, byte for byte, until the end of stream; then it ends its
 * own direction and exits 0.
 *
 * The ring is bench/c/shm-ring.h, the one the C baseline (bench/c/shm.c)
 * measures, not a copy: if this program and the TypeScript side agree on
 * every byte (test/c-interop.test.ts), the baseline runs the same protocol
 * as the TypeScript rows.
 *
 *   cc -O2 -Wall -Werror -o ring-peer ring-peer.c
 *   ring-peer posix NAME | xsi ID  [--spin N] [--wake futex|spin] [--timeout S]
 *
 * --timeout S: die of SIGALRM after S seconds whatever it is doing. A test's
 * guard: a peer that misreads the records can wait for ever, and a blocking
 * sendSync() on the other side with it, where no JavaScript timer can fire;
 * a dead peer ends that wait within a slice.
 *
 * Output: "echoed N messages, B bytes" on stdout at the end. Exit 0; 1 when
 * a call fails or the channel is not right (what and why on stderr); 2 on
 * bad usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../../bench/c/shm-ring.h"

static void usage(void)
{
    fputs("usage: ring-peer posix NAME | xsi ID  [--spin N] [--wake futex|spin] [--timeout S]\n", stderr);
    exit(2);
}

static void fail(const char *what)
{
    int err = errno;

    fprintf(stderr, "ring-peer: %s: %s%s\n", what, strerror(err),
            err == EBADMSG ? " (a record this layout does not allow: the two sides disagree on it)"
            : err == ECONNRESET ? " (the creator ended without closing the channel)"
            : err == EPIPE ? " (the creator closed its end before reading the echo)"
            : "");
    exit(1);
}

static void bad(const char *why)
{
    fprintf(stderr, "ring-peer: %s\n", why);
    exit(1);
}

/* A decimal number in [0, max]; anything else is a usage error. */
static long number(const char *s, long max)
{
    char *end;
    long v;

    if (s == NULL || *s < '0' || *s > '9')
        usage();
    errno = 0;
    v = strtol(s, &end, 10);
    if (*end != '\0' || errno != 0 || v > max)
        usage();
    return v;
}

int main(int argc, char **argv)
{
    struct shm_wait wait = { .spin = SHM_DEFAULT_SPIN };
    struct shm_ring rx, tx;
    unsigned char *base, *buf = NULL;
    size_t size, cap = 0, len;
    unsigned long long messages = 0, bytes = 0;
    const char *problem;
    int xsi, pidfd, r;
    pid_t creator;

    if (argc < 3 || (strcmp(argv[1], "posix") != 0 && strcmp(argv[1], "xsi") != 0))
        usage();
    xsi = strcmp(argv[1], "xsi") == 0;
    for (int i = 3; i < argc; i += 2) {
        if (strcmp(argv[i], "--spin") == 0)
            wait.spin = (int)number(argv[i + 1], SHM_MAX_SPIN);
        else if (strcmp(argv[i], "--wake") == 0 && i + 1 < argc
                 && (strcmp(argv[i + 1], "futex") == 0 || strcmp(argv[i + 1], "spin") == 0))
            wait.never_sleep = strcmp(argv[i + 1], "spin") == 0;
        else if (strcmp(argv[i], "--timeout") == 0) {
            long s = number(argv[i + 1], 86400);

            if (s == 0)
                usage();
            alarm((unsigned)s);     /* (no earlier alarm to report) */
        } else
            usage();
    }

    /* Map the region the creator made: the whole object, whatever its size
     * (the header then says whether two rings of its capacity fit in it). */
    if (!xsi) {
        struct stat st;
        int fd = shm_open(argv[2], O_RDWR, 0);

        if (fd < 0)
            fail(argv[2]);
        if (fstat(fd, &st) < 0)
            fail("fstat");
        size = (size_t)st.st_size;
        if (size < SHM_DATA)
            bad("the object is smaller than a channel's header");
        base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (base == MAP_FAILED)
            fail("mmap");
        if (close(fd) < 0)
            fail("close");
    } else {
        struct shmid_ds ds;
        int id = (int)number(argv[2], INT32_MAX);

        if (shmctl(id, IPC_STAT, &ds) < 0)
            fail("shmctl IPC_STAT");
        /* Linux lets anyone attach a segment already removed while others
         * still have it; a removed segment is gone by every other account
         * (regions.ts refuses it the same way). */
        if (ds.shm_perm.mode & SHM_DEST) {
            errno = EIDRM;
            fail("shmat");
        }
        size = ds.shm_segsz;
        base = shmat(id, NULL, 0);
        if (base == (void *)-1)
            fail("shmat");
    }
    if ((problem = shm_header_problem(base, size)) != NULL)
        bad(problem);
    creator = (pid_t)*shm_word(base, SHM_H_CREATOR);

    /* Watch the creator before claiming: a creator already gone is an error
     * now, and a dead one later ends every wait within a slice. */
    pidfd = shm_pidfd_open(creator);
    if (pidfd < 0)
        fail("pidfd_open (the creator)");
    wait.peer_gone = shm_pidfd_gone;
    wait.peer_ctx = &pidfd;
    if (shm_claim(base, getpid()) < 0) {
        if (errno == EBUSY)
            bad("another process already attached to this channel");
        fail("futex FUTEX_WAKE (attached)");
    }

    /* The attacher receives on ring 0 and sends on ring 1. */
    shm_ring_init(&rx, base, 0, *shm_word(base, SHM_H_CAPACITY), 0, &wait);
    shm_ring_init(&tx, base, 1, *shm_word(base, SHM_H_CAPACITY), 1, &wait);
    while ((r = shm_recv_into(&rx, &buf, &cap, 1, &len)) == 1) {
        if (shm_send(&tx, buf, len) < 0)
            fail("send");
        messages++;
        bytes += len;
    }
    if (r < 0)
        fail("recv");

    /* End of stream: ours for the creator, and we read no more. */
    if (shm_close_writer(&tx) < 0 || shm_close_reader(&rx) < 0)
        fail("futex FUTEX_WAKE (close)");
    if ((xsi ? shmdt(base) : munmap(base, size)) < 0)
        fail(xsi ? "shmdt" : "munmap");
    if (close(pidfd) < 0)
        fail("close");
    free(buf);
    printf("echoed %llu messages, %llu bytes\n", messages, bytes);
    if (fflush(stdout) == EOF)
        fail("stdout");
    return 0;
}
