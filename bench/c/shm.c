/*
 * shm.c - shared memory: both processes map the same pages, and messages go
 * through two rings in them (bench/c/shm-ring.h, the layout and algorithm
 * of packages/shm). While both sides are awake a message costs no system
 * call at all: the producer copies it into the ring and publishes its index
 * with an atomic store, the consumer sees the index move and copies it out.
 * futex(2) is only for a side that found nothing to do and went to sleep
 * (--wake futex, after --spin checks of the ring), and --wake spin never
 * sleeps: each side busy-polls, one CPU each, as the spin rows of the
 * TypeScript benchmark do. --wake sem and --wake eventfd keep the protocol
 * but sleep and wake with a process-shared semaphore or an eventfd instead
 * of the futex: the comparison that chose futex(2) for packages/shm.
 *
 * Message mode: one send is one message, one recv returns it whole (a
 * message longer than a quarter of the ring goes in fragments that the
 * receiver reassembles), and the channel is reliable and has an end: the
 * parent's close (writerClosed + a wake) is the child's end of stream once
 * it has read everything, as a stream's EOF (PROTOCOL.md).
 *
 * --region is how the pages are made and reach the child:
 *   anon   mmap(MAP_SHARED | MAP_ANONYMOUS), then fork(): the child inherits
 *          the mapping. No name at all: what C can do and Node cannot (it
 *          cannot fork() without exec; packages/shm's shm-anon passes a memfd
 *          instead).
 *   posix  shm_open("/ipc-compare-shm-c-<pid>-<random>", O_CREAT | O_EXCL,
 *          0600): a file in /dev/shm (tmpfs); ftruncate, posix_fallocate (a
 *          full /dev/shm is ENOSPC now, not SIGBUS at the first touch), mmap.
 *   xsi    shmget(IPC_PRIVATE, 0600) and shmat: a System V segment by id.
 *   file   a regular file in a private directory (mkdtemp, 0700; the file
 *          0600), posix_fallocate, mmap(MAP_SHARED): the page cache of
 *          whatever file system $TMPDIR is on.
 * The child inherits every kind of mapping through fork(), so the parent
 * removes the name (shm_unlink, IPC_RMID, unlink + rmdir) right after fork:
 * from then on a crash of either process leaves nothing behind (the kernel
 * frees the pages at the last unmap). Until then HUP, INT, TERM and CHLD
 * are held, so no signal can end the parent with the name still there, and
 * a failure exits through die(), whose exit() removes it (atexit).
 *
 * The rendezvous is the transport's, though fork() makes it a formality:
 * the parent writes the header (the magic last), the child claims the
 * attacher slot (compare-and-swap of its pid, attached = 1, FUTEX_WAKE) and
 * the parent waits for that. A dead peer never hangs the other: the child
 * has PR_SET_PDEATHSIG (SIGKILL); the parent sleeps in slices of 100 ms
 * and between them looks at the child's pidfd, and with --wake spin every
 * 2^20 polls.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <semaphore.h>
#include <sys/eventfd.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <poll.h>
#include <sys/random.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "shm-ring.h"

#define PAGE 4096

/* This process's end of the channel. */
struct shm_end {
    void *base;
    size_t bytes;
    int xsi;                    /* shmdt, not munmap */
    struct shm_ring tx, rx;
    int pidfd;                  /* parent: the child's; -1 in the child */
    pid_t parent;               /* child: the process whose death ends us */
};

static struct shm_end end = { .pidfd = -1 };

/* ------------------------------------------- other wake-ups (--wake) */

/* --wake sem and --wake eventfd: the same waiting words and announce /
 * check / sleep protocol, but the sleep and the wake-up are a process-shared
 * POSIX semaphore (sem_timedwait / sem_post, in a shared page both
 * processes inherit) or an eventfd (poll + read / write, inherited fds): one
 * per waiting word, ring r's data_waiting at 2r, space_waiting at 2r + 1. A
 * post that comes after a sleeper timed out is left over and makes its next
 * sleep return at once: a spurious wake-up, which the caller's check of the
 * ring absorbs. */
static sem_t *sems;
static int efds[4] = { -1, -1, -1, -1 };

static int word_index(uint32_t *word)
{
    size_t off = (size_t)((char *)word - (char *)end.base) - SHM_CONTROL;

    return (int)(off / SHM_CONTROL_BYTES) * 2 + (off % SHM_CONTROL_BYTES == SHM_R_SPACE_WAITING);
}

static int sem_sleep(void *ctx, uint32_t *word, int ms)
{
    struct timespec t;

    (void)ctx;
    clock_gettime(CLOCK_REALTIME, &t);
    t.tv_sec += ms / 1000;
    t.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (t.tv_nsec >= 1000000000L)
        t.tv_sec++, t.tv_nsec -= 1000000000L;
    if (sem_timedwait(&sems[word_index(word)], &t) == 0)
        return 0;
    return errno == ETIMEDOUT ? 1 : errno == EINTR ? 0 : -1;
}

static int sem_wake(void *ctx, uint32_t *word)
{
    (void)ctx;
    return sem_post(&sems[word_index(word)]);
}

static int eventfd_sleep(void *ctx, uint32_t *word, int ms)
{
    struct pollfd p = { .fd = efds[word_index(word)], .events = POLLIN };
    uint64_t n;
    int r;

    (void)ctx;
    r = poll(&p, 1, ms);
    if (r < 0)
        return errno == EINTR ? 0 : -1;
    if (r == 0)
        return 1;
    if (read(p.fd, &n, sizeof n) < 0 && errno != EAGAIN)
        return -1;
    return 0;
}

static int eventfd_wake(void *ctx, uint32_t *word)
{
    uint64_t one = 1;

    (void)ctx;
    return write(efds[word_index(word)], &one, sizeof one) == sizeof one ? 0 : -1;
}

/* Before fork: the semaphores or eventfds both processes will use. */
static void make_wakeups(const char *wake)
{
    if (strcmp(wake, "sem") == 0) {
        sems = mmap(NULL, 4 * sizeof *sems, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (sems == MAP_FAILED)
            die("mmap");
        for (int i = 0; i < 4; i++)
            if (sem_init(&sems[i], 1, 0) < 0)
                die("sem_init");
    } else if (strcmp(wake, "eventfd") == 0) {
        for (int i = 0; i < 4; i++)
            if ((efds[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0)
                die("eventfd");
    }
}

/* -------------------------------------------------------------- names */

/* The name until it is removed: for die()'s exit() during setup. Only the
 * parent that made it removes it (the child inherits these variables). */
static char posix_name[64];
static int xsi_id = -1;
static pid_t name_owner;

static void remove_name_on_exit(void)
{
    if (getpid() != name_owner)
        return;
    if (posix_name[0] != '\0')
        shm_unlink(posix_name);     /* on the way out: nothing to report to */
    if (xsi_id >= 0)
        shmctl(xsi_id, IPC_RMID, NULL);
}

/* Both processes have the mapping: the names have done their job. */
static void remove_name(const struct options *o)
{
    if (posix_name[0] != '\0') {
        if (shm_unlink(posix_name) < 0)
            die(posix_name);
        posix_name[0] = '\0';
    }
    if (xsi_id >= 0) {
        if (shmctl(xsi_id, IPC_RMID, NULL) < 0)
            die("shmctl IPC_RMID");
        xsi_id = -1;
    }
    if (strcmp(o->region, "file") == 0)
        temp_remove();              /* the file and its directory */
}

/* ------------------------------------------------------------ regions */

/* posix_fallocate returns the error instead of setting errno. */
static void reserve(int fd, size_t bytes, const char *what)
{
    int err;

    if (ftruncate(fd, (off_t)bytes) < 0)
        die(what);
    while ((err = posix_fallocate(fd, 0, (off_t)bytes)) == EINTR)
        ;
    if (err != 0) {
        errno = err;
        die(what);
    }
}

static void *map_fd(int fd, size_t bytes)
{
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

    if (p == MAP_FAILED)
        die("mmap");
    return p;
}

static void *make_region(const char *kind, size_t bytes)
{
    void *p;
    int fd;

    if (strcmp(kind, "anon") == 0) {
        p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
                 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
            die("mmap MAP_SHARED|MAP_ANONYMOUS");
        return p;
    }
    if (strcmp(kind, "posix") == 0) {
        unsigned char rnd[8];
        ssize_t got;
        int n;

        while ((got = getrandom(rnd, sizeof rnd, 0)) < 0 && errno == EINTR)
            ;
        if (got < 0)
            die("getrandom");
        if ((size_t)got != sizeof rnd)
            fatal("getrandom: %zd of %zu bytes", got, sizeof rnd);
        n = snprintf(posix_name, sizeof posix_name,
                     "/ipc-compare-shm-c-%ld-%02x%02x%02x%02x%02x%02x%02x%02x",
                     (long)getpid(), rnd[0], rnd[1], rnd[2], rnd[3], rnd[4],
                     rnd[5], rnd[6], rnd[7]);
        if (n < 0 || (size_t)n >= sizeof posix_name)
            fatal("shm name too long");
        /* O_EXCL: a name that exists is someone else's, never reused. */
        fd = shm_open(posix_name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0) {
            posix_name[0] = '\0';   /* not ours to remove */
            die("shm_open");
        }
        reserve(fd, bytes, posix_name);
        p = map_fd(fd, bytes);
        if (close(fd) < 0)
            die("close");
        return p;
    }
    if (strcmp(kind, "xsi") == 0) {
        xsi_id = shmget(IPC_PRIVATE, bytes, IPC_CREAT | IPC_EXCL | 0600);
        if (xsi_id < 0)
            die("shmget");
        p = shmat(xsi_id, NULL, 0);
        if (p == (void *)-1)
            die("shmat");
        end.xsi = 1;
        return p;
    }
    /* file */
    {
        const char *path;

        temp_dir();                 /* 0700, removed by die() and signals */
        path = temp_path("region");
        fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0)
            die(path);
        reserve(fd, bytes, path);
        p = map_fd(fd, bytes);
        if (close(fd) < 0)
            die("close");
        return p;
    }
}

/*
 * Fault the pages in now, in each process, so the first lap of the ring
 * in the timed window takes no page faults (fork() does not copy the page
 * tables of a shared mapping: the child would fault every page once).
 * MADV_POPULATE_WRITE maps them writable without touching their bytes. A
 * kernel before 5.14 does not know it (EINVAL): then the warm-up takes the
 * faults.
 */
static void populate(void)
{
#ifdef MADV_POPULATE_WRITE
    if (madvise(end.base, end.bytes, MADV_POPULATE_WRITE) < 0 && errno != EINVAL)
        die("madvise MADV_POPULATE_WRITE");
#endif
}

/* ----------------------------------------------------------- channel */

/* The child's peer_gone: PR_SET_PDEATHSIG kills it with its parent; this
 * catches the parent that died before prctl() took effect. */
static int parent_gone(void *ctx)
{
    (void)ctx;
    return getppid() != end.parent;
}

static int end_send(void *ctx, struct iovec *iov, int cnt)
{
    return shm_sendv(&((struct shm_end *)ctx)->tx, iov, cnt);
}

static ssize_t end_recv(void *ctx, void *buf, size_t cap)
{
    size_t len;
    int r = shm_recv(&((struct shm_end *)ctx)->rx, buf, cap, &len);

    if (r < 0)
        return -1;
    return r == 0 ? 0 : (ssize_t)len;
}

/* As channel.ts close(): end of stream for the peer's consumer, and our
 * consumer leaves (the peer's sends fail instead of waiting for room). */
static int end_close(void *ctx)
{
    struct shm_end *e = ctx;

    if (shm_close_writer(&e->tx) < 0 || shm_close_reader(&e->rx) < 0)
        return -1;
    if ((e->xsi ? shmdt(e->base) : munmap(e->base, e->bytes)) < 0)
        return -1;
    if (e->pidfd >= 0 && close(e->pidfd) < 0)
        return -1;
    return 0;
}

static struct channel_ops channel(const struct options *o, int ring_out)
{
    struct shm_wait w = {
        .spin = o->spin,
        .never_sleep = strcmp(o->wake, "spin") == 0,
        .peer_gone = end.pidfd >= 0 ? shm_pidfd_gone : parent_gone,
        .peer_ctx = &end.pidfd,
        .sleep = sems ? sem_sleep : efds[0] >= 0 ? eventfd_sleep : NULL,
        .wake = sems ? sem_wake : efds[0] >= 0 ? eventfd_wake : NULL,
    };
    struct channel_ops ch = {
        .send = end_send, .recv = end_recv, .close = end_close, .ctx = &end,
        .message_mode = 1,
    };

    shm_ring_init(&end.tx, end.base, ring_out, o->capacity, 1, &w);
    shm_ring_init(&end.rx, end.base, 1 - ring_out, o->capacity, 0, &w);
    return ch;
}

/* ---------------------------------------------------------------- main */

int main(int argc, char **argv)
{
    struct options opt;
    struct channel_ops ch;
    struct shm_wait setup = { .peer_gone = shm_pidfd_gone, .peer_ctx = &end.pidfd };
    sigset_t hold, old;
    pid_t parent, child, attacher;

    bench_init(argc, argv, "shm", BENCH_OPT_MESSAGES | BENCH_OPT_SHM, &opt);
    end.bytes = (shm_region_bytes(opt.capacity) + PAGE - 1) / PAGE * PAGE;

    /* From the name's creation to its removal after fork: no signal may end
     * us in between (SIGCHLD included: the harness's setup handler exits
     * at once), and die() removes it on its way out. */
    sigemptyset(&hold);
    sigaddset(&hold, SIGHUP);
    sigaddset(&hold, SIGINT);
    sigaddset(&hold, SIGTERM);
    sigaddset(&hold, SIGCHLD);
    if (sigprocmask(SIG_BLOCK, &hold, &old) < 0)
        die("sigprocmask");
    name_owner = parent = getpid();
    if (atexit(remove_name_on_exit) != 0)
        fatal("atexit failed");
    end.base = make_region(opt.region, end.bytes);
    shm_header_init(end.base, opt.capacity, parent);
    make_wakeups(opt.wake);

    if ((child = fork_peer(&opt)) == 0) {
        /* Child: the attacher. It receives on ring 0, sends on ring 1. */
        if (sigprocmask(SIG_SETMASK, &old, NULL) < 0)
            die("sigprocmask");
        end.parent = parent;
        populate();
        if (shm_claim(end.base, getpid()) < 0) {
            if (errno == EBUSY)
                fatal("another process claimed the region first");
            die("futex FUTEX_WAKE");
        }
        ch = channel(&opt, 1);
        run_child_channel(&opt, &ch);
    }

    /* Parent: the creator. It sends on ring 0, receives on ring 1. */
    end.pidfd = shm_pidfd_open(child);
    if (end.pidfd < 0)
        die("pidfd_open");
    remove_name(&opt);
    if (sigprocmask(SIG_SETMASK, &old, NULL) < 0)
        die("sigprocmask");     /* (a child already dead: the harness exits now) */
    attacher = shm_wait_attached(end.base, &setup);
    if (attacher < 0) {
        if (errno == ECONNRESET)
            fatal("the child ended before it attached");
        die("futex FUTEX_WAIT");
    }
    if (attacher != child)
        fatal("the region was claimed by pid %ld, not by the child %ld",
              (long)attacher, (long)child);
    populate();
    ch = channel(&opt, 0);
    return run_parent_channel(&opt, &ch);
}
