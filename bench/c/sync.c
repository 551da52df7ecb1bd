/*
 * sync.c - the C baseline of `ipc-compare bench sync`: what the sync
 * primitives cost when nobody else wants them, under contention, and as a
 * wake-up channel between two processes (or two threads).
 *
 * Everything lives in one MAP_SHARED anonymous mapping made before fork(),
 * so parent and child (or two threads) share it, as the TypeScript side
 * shares a memfd (packages/sync SharedRegion). The primitives are the same
 * ones the addon uses:
 *
 *   mutex   pthread_mutex_t, PTHREAD_PROCESS_SHARED, normal type
 *   rwlock  pthread_rwlock_t, PTHREAD_PROCESS_SHARED (uncontended: rdlock;
 *           contended: wrlock)
 *   sem     sem_t, sem_init(pshared = 1)
 *   futex   a 32-bit word and futex(2) without FUTEX_PRIVATE_FLAG; as a lock,
 *           Drepper's "mutex 2" (0 free, 1 locked, 2 locked with sleepers),
 *           the algorithm of FutexMutex in packages/sync
 *   named   a named semaphore (sem_open O_CREAT | O_EXCL, mode 0600; the name
 *           is unlinked at once, so nothing is left in /dev/shm). Contended:
 *           "/ipc-compare-<pid>-<random hex>", opened by the parent before the
 *           child starts; the child (process or thread) uses the parent's
 *           sem_t * (a forked child inherits its mapping)
 *   eventfd two eventfd(2)s (blocking, EFD_CLOEXEC), one per direction, made
 *           before the child starts; a wake-up is an 8-byte write of 1, taken
 *           by an 8-byte read
 *   xsi-sem an XSI (System V) semaphore set of one: semget(IPC_PRIVATE, 1,
 *           IPC_CREAT | IPC_EXCL | 0600) before the child starts, semop with
 *           SEM_UNDO (as XsiSemaphore does by default), IPC_RMID at the end; it
 *           lives in the kernel, not in the mapping (the child uses the id)
 *
 * Modes (bench/PROTOCOL.md, "Sync"), each printing one JSON line:
 *
 *   sync --uncontended [--duration-ms N] [--cpu C]
 *   sync --contended mutex|sem|futex|rwlock|named-sem|xsi-sem [--threads]
 *        --increments N [--cpu-parent C] [--cpu-child C]
 *   sync --pingpong sem|futex|cond|eventfd [--threads] --warmup-ms N
 *        --duration-ms N [--cpu-parent C] [--cpu-child C]
 *
 * --threads: the second party is a pthread of this process instead of a
 * fork()ed child ("parent" and "child" then name the two threads).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/sem.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <signal.h>
#include <unistd.h>

#include "harness.h"
#include "histogram.h"

#define MAX_MS          86400000
#define MAX_INCREMENTS  1000000000

/* ------------------------------------------------------------------ futex */

static void futex_wait(uint32_t *word, uint32_t expected)
{
    if (syscall(SYS_futex, word, FUTEX_WAIT, expected, NULL, NULL, 0) < 0
        && errno != EAGAIN && errno != EINTR)
        die("futex(FUTEX_WAIT)");
}

static void futex_wake(uint32_t *word, int n)
{
    if (syscall(SYS_futex, word, FUTEX_WAKE, n, NULL, NULL, 0) < 0)
        die("futex(FUTEX_WAKE)");
}

static uint32_t load(uint32_t *w) { return __atomic_load_n(w, __ATOMIC_SEQ_CST); }
static void store(uint32_t *w, uint32_t v) { __atomic_store_n(w, v, __ATOMIC_SEQ_CST); }

/* Drepper's mutex 2, as FutexMutex.lockSync / unlock do it in JS. */
static uint32_t cas(uint32_t *w, uint32_t expected, uint32_t desired)
{
    __atomic_compare_exchange_n(w, &expected, desired, 0, __ATOMIC_SEQ_CST,
                                __ATOMIC_SEQ_CST);
    return expected;            /* the old value, like Atomics.compareExchange */
}

static void futex_lock(uint32_t *w)
{
    uint32_t c = cas(w, 0, 1);

    if (c == 0)
        return;                 /* the fast path: no syscall */
    if (c != 2)
        c = __atomic_exchange_n(w, 2, __ATOMIC_SEQ_CST);
    while (c != 0) {
        futex_wait(w, 2);
        c = __atomic_exchange_n(w, 2, __ATOMIC_SEQ_CST);
    }
}

static void futex_unlock(uint32_t *w)
{
    if (__atomic_fetch_sub(w, 1, __ATOMIC_SEQ_CST) == 1)
        return;                 /* nobody waits: no syscall */
    store(w, 0);
    futex_wake(w, 1);
}

/* Waits until *w differs from `seen`; returns the new value. */
static uint32_t wait_change(uint32_t *w, uint32_t seen)
{
    uint32_t v;

    while ((v = load(w)) == seen)
        futex_wait(w, seen);
    return v;
}

/* -------------------------------------------------------- shared memory */

struct shared {
    pthread_mutex_t mutex;
    pthread_rwlock_t rwlock;    /* uncontended: rdlock + unlock; contended: wrlock + unlock */
    pthread_cond_t c1, c2;      /* ping-pong cond: parent -> child, child -> parent, with mutex */
    uint32_t turn;              /* ping-pong cond: 1 the child's turn, 2 the parent's */
    sem_t sem;                  /* contended: the lock (value 1) */
    sem_t s1, s2;               /* ping-pong: parent -> child, child -> parent */
    uint32_t futex;             /* contended: the futex lock */
    uint32_t a, b;              /* ping-pong futex words (sequence numbers) */
    uint32_t ready, go, done, stop;
    uint64_t counter;           /* plain, guarded by the lock under test */
};

static struct shared *shm;

static void shared_init(void)
{
    pthread_mutexattr_t attr;
    int err;

    shm = mmap(NULL, sizeof *shm, PROT_READ | PROT_WRITE,
               MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (shm == MAP_FAILED)
        die("mmap");
    memset(shm, 0, sizeof *shm);
    pthread_mutexattr_init(&attr);
    err = pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
    if (err == 0)
        err = pthread_mutex_init(&shm->mutex, &attr);
    pthread_mutexattr_destroy(&attr);
    if (err != 0) {
        errno = err;
        die("pthread_mutex_init");
    }
    pthread_condattr_t cattr;
    pthread_condattr_init(&cattr);
    err = pthread_condattr_setpshared(&cattr, PTHREAD_PROCESS_SHARED);
    if (err == 0)
        err = pthread_condattr_setclock(&cattr, CLOCK_MONOTONIC);
    if (err == 0)
        err = pthread_cond_init(&shm->c1, &cattr);
    if (err == 0)
        err = pthread_cond_init(&shm->c2, &cattr);
    pthread_condattr_destroy(&cattr);
    if (err != 0) {
        errno = err;
        die("pthread_cond_init");
    }
    pthread_rwlockattr_t rwattr;
    pthread_rwlockattr_init(&rwattr);
    err = pthread_rwlockattr_setpshared(&rwattr, PTHREAD_PROCESS_SHARED);
    if (err == 0)
        err = pthread_rwlock_init(&shm->rwlock, &rwattr);
    pthread_rwlockattr_destroy(&rwattr);
    if (err != 0) {
        errno = err;
        die("pthread_rwlock_init");
    }
    if (sem_init(&shm->sem, 1, 1) < 0 || sem_init(&shm->s1, 1, 0) < 0
        || sem_init(&shm->s2, 1, 0) < 0)
        die("sem_init");
}

static void sem_wait_full(sem_t *s)
{
    while (sem_wait(s) < 0)
        if (errno != EINTR)
            die("sem_wait");
}

static void sem_post_full(sem_t *s)
{
    if (sem_post(s) < 0)
        die("sem_post");
}

/* The XSI semaphore set (--contended xsi-sem, and the uncontended op). It
 * outlives this process unless removed, so whoever made it removes it: at
 * the end, or from atexit when die()/fatal() exit early (not in a forked
 * child, which only uses it). A SIGKILL leaves it: `ipcrm -s ID`. */
static int xsi_id = -1;
static pid_t xsi_owner;

union semun {                   /* semctl's 4th argument: the caller defines it */
    int val;
    struct semid_ds *buf;
    unsigned short *array;
};

static void xsi_remove(void)
{
    if (xsi_id < 0 || getpid() != xsi_owner)
        return;
    if (semctl(xsi_id, 0, IPC_RMID) < 0)
        perror("sync: semctl(IPC_RMID)");
    xsi_id = -1;
}

static void xsi_open(int value)
{
    union semun arg;

    xsi_owner = getpid();
    if (atexit(xsi_remove) != 0)
        fatal("atexit failed");
    xsi_id = semget(IPC_PRIVATE, 1, IPC_CREAT | IPC_EXCL | 0600);
    if (xsi_id < 0)
        die("semget");
    arg.val = value;
    if (semctl(xsi_id, 0, SETVAL, arg) < 0)
        die("semctl(SETVAL)");
}

/* semop of `delta` on semaphore 0 with SEM_UNDO; glibc makes it a
 * semtimedop(2) without a timeout. */
static void xsi_op(short delta)
{
    struct sembuf op = { 0, delta, SEM_UNDO };

    while (semop(xsi_id, &op, 1) < 0)
        if (errno != EINTR)
            die("semop");
}

/* ----------------------------------------------------------- the options */

enum sync_mode { NONE, UNCONTENDED, CONTENDED, PINGPONG };
enum prim { P_MUTEX, P_SEM, P_FUTEX, P_COND, P_RWLOCK, P_NAMED_SEM, P_EVENTFD, P_XSI_SEM };
static const char *const prim_names[] = {
    "mutex", "sem", "futex", "cond", "rwlock", "named-sem", "eventfd", "xsi-sem"
};
/* Where each primitive may be named: --contended (C), --pingpong (P). */
#define IN_C 1u
#define IN_P 2u
static const unsigned prim_in[] = {
    IN_C, IN_C | IN_P, IN_C | IN_P, IN_P, IN_C, IN_C, IN_P, IN_C
};
#define P_LAST P_XSI_SEM
_Static_assert(sizeof prim_names / sizeof *prim_names == P_LAST + 1
               && sizeof prim_in / sizeof *prim_in == P_LAST + 1,
               "one name and one IN_* set per primitive");

static struct {
    enum sync_mode mode;
    enum prim prim;
    int threads;
    int64_t increments, warmup_ms, duration_ms;
    int cpu_parent, cpu_child;
} opt = { NONE, P_MUTEX, 0, -1, -1, -1, -1, -1 };

static _Noreturn void usage(const char *fmt, const char *arg)
{
    if (fmt != NULL) {
        fprintf(stderr, "sync: ");
        fprintf(stderr, fmt, arg);
        fputc('\n', stderr);
    }
    fprintf(fmt ? stderr : stdout,
        "usage: sync --uncontended [--duration-ms N] [--cpu C]\n"
        "       sync --contended mutex|sem|futex|rwlock|named-sem|xsi-sem [--threads]"
        " --increments N [--cpu-parent C] [--cpu-child C]\n"
        "       sync --pingpong sem|futex|cond|eventfd [--threads] --warmup-ms N"
        " --duration-ms N [--cpu-parent C] [--cpu-child C]\n");
    exit(fmt ? 1 : 0);
}

static int64_t number(const char *name, const char *s, int64_t lo, int64_t hi)
{
    char *end;
    long long v;

    if (s == NULL || *s < '0' || *s > '9')
        usage("%s needs a whole number", name);
    errno = 0;
    v = strtoll(s, &end, 10);
    if (*end != '\0' || errno == ERANGE || v < lo || v > hi)
        usage("%s: out of range or not a number", name);
    return v;
}

static enum prim primitive(const char *s, int pingpong)
{
    for (int p = 0; p <= P_LAST; p++)
        if (s != NULL && (prim_in[p] & (pingpong ? IN_P : IN_C))
            && strcmp(s, prim_names[p]) == 0)
            return (enum prim)p;
    usage(pingpong ? "--pingpong: sem, futex, cond or eventfd, not '%s'"
                   : "--contended: mutex, sem, futex, rwlock, named-sem or xsi-sem, not '%s'",
          s ? s : "");
}

static void parse(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = argv[i + 1];

        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)
            usage(NULL, NULL);
        else if (strcmp(a, "--uncontended") == 0)
            opt.mode = UNCONTENDED;
        else if (strcmp(a, "--contended") == 0)
            opt.mode = CONTENDED, opt.prim = primitive(v, 0), i++;
        else if (strcmp(a, "--pingpong") == 0)
            opt.mode = PINGPONG, opt.prim = primitive(v, 1), i++;
        else if (strcmp(a, "--threads") == 0)
            opt.threads = 1;
        else if (strcmp(a, "--increments") == 0)
            opt.increments = number(a, v, 1, MAX_INCREMENTS), i++;
        else if (strcmp(a, "--warmup-ms") == 0)
            opt.warmup_ms = number(a, v, 0, MAX_MS), i++;
        else if (strcmp(a, "--duration-ms") == 0)
            opt.duration_ms = number(a, v, 1, MAX_MS), i++;
        else if (strcmp(a, "--cpu-parent") == 0 || strcmp(a, "--cpu") == 0)
            opt.cpu_parent = (int)number(a, v, 0, CPU_SETSIZE - 1), i++;
        else if (strcmp(a, "--cpu-child") == 0)
            opt.cpu_child = (int)number(a, v, 0, CPU_SETSIZE - 1), i++;
        else
            usage("unknown option '%s'", a);
    }
    if (opt.mode == NONE)
        usage("%s", "one of --uncontended, --contended, --pingpong is needed");
    if (opt.mode == CONTENDED && opt.increments < 0)
        usage("%s", "--contended needs --increments");
    if (opt.mode == PINGPONG && (opt.warmup_ms < 0 || opt.duration_ms < 0))
        usage("%s", "--pingpong needs --warmup-ms and --duration-ms");
    if (opt.mode == UNCONTENDED && opt.duration_ms < 0)
        opt.duration_ms = 100;
}

/* ------------------------------------------------- the second party */

static pid_t child_pid;
static pthread_t child_thread;

/* Runs body() in a fork()ed child (exits with it) or in a pthread. */
static void start_child(void (*body)(void))
{
    if (opt.threads) {
        int err = pthread_create(&child_thread, NULL, (void *(*)(void *))(void (*)(void))body, NULL);

        if (err != 0) {
            errno = err;
            die("pthread_create");
        }
        return;
    }
    fflush(NULL);
    child_pid = fork();
    if (child_pid < 0)
        die("fork");
    if (child_pid == 0) {
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
            die("prctl");
        body();
        _exit(0);
    }
}

static void join_child(void)
{
    int status;

    if (opt.threads) {
        pthread_join(child_thread, NULL);
        return;
    }
    while (waitpid(child_pid, &status, 0) < 0)
        if (errno != EINTR)
            die("waitpid");
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fatal("the child failed (status 0x%x)", status);
}

/* CPU time of the parent and the child; with threads the process's clock
 * holds both threads, and the child's share is reported as 0. */
static void cpu_now(uint64_t *parent, uint64_t *child)
{
    *parent = cpu_ns_of(getpid());
    *child = opt.threads ? 0 : cpu_ns_of(child_pid);
}

/* The child pins itself first thing (a thread: sched_setaffinity(0) is the
 * calling thread); with no --cpu-child it undoes the parent's pinning. */
static cpu_set_t allowed;

static void pin_child(void)
{
    if (opt.cpu_child >= 0)
        pin_to_cpu(opt.cpu_child);
    else if (sched_setaffinity(0, sizeof allowed, &allowed) < 0)
        die("sched_setaffinity");
}

/* ---------------------------------------------------------- uncontended */

typedef void (*op_fn)(void);

static sem_t *named;

static void op_cas_store(void) { cas(&shm->futex, 0, 1); store(&shm->futex, 0); }
static void op_futex(void) { futex_lock(&shm->futex); futex_unlock(&shm->futex); }
static void op_mutex(void)
{
    int err = pthread_mutex_lock(&shm->mutex);

    if (err == 0)
        err = pthread_mutex_unlock(&shm->mutex);
    if (err != 0) {
        errno = err;
        die("pthread_mutex_lock/unlock");
    }
}
static void op_rwlock(void)
{
    int err = pthread_rwlock_rdlock(&shm->rwlock);

    if (err == 0)
        err = pthread_rwlock_unlock(&shm->rwlock);
    if (err != 0) {
        errno = err;
        die("pthread_rwlock_rdlock/unlock");
    }
}
static void op_sem(void) { sem_post_full(&shm->s1); sem_wait_full(&shm->s1); }
static void op_named(void) { sem_post_full(named); sem_wait_full(named); }
static void op_xsi(void) { xsi_op(1); xsi_op(-1); }

/* ns per call of fn: batches of 1024 calls until duration_ms have passed. */
static void time_op(const char *name, op_fn fn, int first)
{
    uint64_t n = 0, start, end, stop;

    for (int i = 0; i < 4096; i++)     /* warm-up */
        fn();
    start = now_ns();
    stop = start + (uint64_t)opt.duration_ms * 1000000u;
    do {
        for (int i = 0; i < 1024; i++)
            fn();
        n += 1024;
    } while ((end = now_ns()) < stop);
    printf("%s{\"op\":\"%s\",\"nsPerOp\":%.3f,\"iterations\":%" PRIu64 "}",
           first ? "" : ",", name, (double)(end - start) / (double)n, n);
}

static int uncontended(void)
{
    char name[64];

    pin_to_cpu(opt.cpu_parent);
    snprintf(name, sizeof name, "/ipc-compare-csync-%d", (int)getpid());
    named = sem_open(name, O_CREAT | O_EXCL, 0600, 0);
    if (named == SEM_FAILED)
        die("sem_open");
    if (sem_unlink(name) < 0)
        die("sem_unlink");
    printf("{\"mechanism\":\"sync\",\"mode\":\"uncontended\",\"cpu\":%d,"
           "\"durationMs\":%" PRId64 ",\"ops\":[", opt.cpu_parent, opt.duration_ms);
    time_op("cas-store", op_cas_store, 1);
    time_op("futex-lock-unlock", op_futex, 0);
    time_op("pthread-mutex-lock-unlock", op_mutex, 0);
    time_op("pthread-rwlock-rdlock-unlock", op_rwlock, 0);
    time_op("sem-post-wait", op_sem, 0);
    time_op("named-sem-post-wait", op_named, 0);
    xsi_open(0);
    time_op("xsi-sem-post-wait", op_xsi, 0);
    xsi_remove();
    printf("]}\n");
    sem_close(named);
    return 0;
}

/* ------------------------------------------------------------ contended */

/* The named semaphore of --contended named-sem (value 1): created under a
 * fresh name "/ipc-compare-<pid>-<16 random hex digits>", which is unlinked
 * at once; the sem_t * stays usable (and is inherited by a forked child). */
static void named_lock_open(void)
{
    unsigned char rnd[8];
    char name[64];
    ssize_t got;
    int len;

    while ((got = getrandom(rnd, sizeof rnd, 0)) < 0 && errno == EINTR)
        ;
    if (got < 0)
        die("getrandom");
    if (got != (ssize_t)sizeof rnd)
        fatal("getrandom: %zd of %zu bytes", got, sizeof rnd);
    len = snprintf(name, sizeof name, "/ipc-compare-%d-", (int)getpid());
    for (size_t i = 0; i < sizeof rnd; i++)
        len += snprintf(name + len, sizeof name - (size_t)len, "%02x", rnd[i]);
    named = sem_open(name, O_CREAT | O_EXCL, 0600, 1);
    if (named == SEM_FAILED)
        die("sem_open");
    if (sem_unlink(name) < 0)
        die("sem_unlink");
}

static void lock(void)
{
    int err;

    switch (opt.prim) {
    case P_MUTEX:
        if ((err = pthread_mutex_lock(&shm->mutex)) != 0) {
            errno = err;
            die("pthread_mutex_lock");
        }
        break;
    case P_SEM:
        sem_wait_full(&shm->sem);
        break;
    case P_FUTEX:
        futex_lock(&shm->futex);
        break;
    case P_RWLOCK:
        if ((err = pthread_rwlock_wrlock(&shm->rwlock)) != 0) {
            errno = err;
            die("pthread_rwlock_wrlock");
        }
        break;
    case P_NAMED_SEM:
        sem_wait_full(named);
        break;
    case P_XSI_SEM:
        xsi_op(-1);
        break;
    case P_COND:        /* not contended locks: primitive() never lets them here */
    case P_EVENTFD:
        abort();
    }
}

static void unlock(void)
{
    int err;

    switch (opt.prim) {
    case P_MUTEX:
        if ((err = pthread_mutex_unlock(&shm->mutex)) != 0) {
            errno = err;
            die("pthread_mutex_unlock");
        }
        break;
    case P_SEM:
        sem_post_full(&shm->sem);
        break;
    case P_FUTEX:
        futex_unlock(&shm->futex);
        break;
    case P_RWLOCK:
        if ((err = pthread_rwlock_unlock(&shm->rwlock)) != 0) {
            errno = err;
            die("pthread_rwlock_unlock");
        }
        break;
    case P_NAMED_SEM:
        sem_post_full(named);
        break;
    case P_XSI_SEM:
        xsi_op(1);
        break;
    case P_COND:
    case P_EVENTFD:
        abort();
    }
}

static void increment(void)
{
    for (int64_t i = 0; i < opt.increments; i++) {
        lock();
        shm->counter = shm->counter + 1;    /* plain read and write */
        unlock();
    }
}

static void contended_child(void)
{
    pin_child();
    increment();                /* warm-up, as the TS side does (JIT there) */
    store(&shm->ready, 1);
    futex_wake(&shm->ready, 1);
    wait_change(&shm->go, 0);
    increment();
    store(&shm->done, 1);
    futex_wake(&shm->done, 1);
}

static int contended(void)
{
    uint64_t p0, c0, p1, c1, t0, t1, expected = 2 * (uint64_t)opt.increments;

    pin_to_cpu(opt.cpu_parent);
    if (opt.prim == P_NAMED_SEM)
        named_lock_open();
    if (opt.prim == P_XSI_SEM)
        xsi_open(1);
    /* Warm-up, then the child's (it starts now): one after the other, as on the TS side, so
     * neither pass is slowed by the other (contended, an XSI pass across CPUs takes ~0.5 s). */
    increment();
    start_child(contended_child);
    wait_change(&shm->ready, 0);
    shm->counter = 0;           /* both warm-ups are over */
    cpu_now(&p0, &c0);
    t0 = now_ns();
    store(&shm->go, 1);
    futex_wake(&shm->go, 1);
    increment();
    wait_change(&shm->done, 0);
    t1 = now_ns();
    cpu_now(&p1, &c1);
    join_child();
    if (opt.prim == P_NAMED_SEM && sem_close(named) < 0)
        die("sem_close");
    xsi_remove();
    printf("{\"mechanism\":\"sync\",\"mode\":\"contended\",\"primitive\":\"%s\","
           "\"workers\":\"%s\",\"parties\":2,\"increments\":%" PRId64 ","
           "\"expected\":%" PRIu64 ",\"total\":%" PRIu64 ",\"elapsedNs\":%" PRIu64
           ",\"cpuNsParent\":%" PRIu64 ",\"cpuNsChild\":%" PRIu64 "}\n",
           prim_names[opt.prim], opt.threads ? "threads" : "processes",
           opt.increments, expected, shm->counter, t1 - t0, p1 - p0, c1 - c0);
    /* A wrong total is printed (the caller shows it) and is a failure. */
    if (shm->counter != expected) {
        fprintf(stderr, "sync: the counter is %" PRIu64 " after 2 x %" PRId64
                " increments (expected %" PRIu64 ")\n", shm->counter,
                opt.increments, expected);
        return 1;
    }
    return 0;
}

/* ------------------------------------------------------------ ping-pong */

static void lock_mutex(void)
{
    int err = pthread_mutex_lock(&shm->mutex);

    if (err != 0) {
        errno = err;
        die("pthread_mutex_lock");
    }
}

static void unlock_mutex(void)
{
    int err = pthread_mutex_unlock(&shm->mutex);

    if (err != 0) {
        errno = err;
        die("pthread_mutex_unlock");
    }
}

/* --pingpong eventfd: efd[0] parent -> child, efd[1] child -> parent. At most
 * one wake-up is in flight per direction, so every read must take a count of
 * exactly 1 (a write adds 1, a read returns the count and resets it to 0). */
static int efd[2] = { -1, -1 };

static void efd_post(int fd)
{
    uint64_t one = 1;
    ssize_t w;

    while ((w = write(fd, &one, sizeof one)) < 0 && errno == EINTR)
        ;
    if (w < 0)
        die("write(eventfd)");
    if (w != (ssize_t)sizeof one)
        fatal("write(eventfd): %zd of %zu bytes", w, sizeof one);
}

static void efd_wait(int fd)
{
    uint64_t v;
    ssize_t r;

    while ((r = read(fd, &v, sizeof v)) < 0 && errno == EINTR)
        ;
    if (r < 0)
        die("read(eventfd)");
    if (r != (ssize_t)sizeof v)
        fatal("read(eventfd): %zd of %zu bytes", r, sizeof v);
    if (v != 1)
        fatal("read(eventfd): count %" PRIu64 ", not 1 (a wake-up lost or doubled)", v);
}

static void pingpong_child(void)
{
    uint32_t seen = 0;

    pin_child();
    if (opt.prim == P_COND) {
        for (;;) {          /* as the TS side: lock, wait for the turn, pass it back, unlock */
            lock_mutex();
            while (shm->turn != 1)
                pthread_cond_wait(&shm->c1, &shm->mutex);
            if (load(&shm->stop)) {
                unlock_mutex();
                return;
            }
            shm->turn = 2;
            pthread_cond_signal(&shm->c2);
            unlock_mutex();
        }
    }
    if (opt.prim == P_SEM) {
        for (;;) {
            sem_wait_full(&shm->s1);
            if (load(&shm->stop))
                return;
            sem_post_full(&shm->s2);
        }
    }
    if (opt.prim == P_EVENTFD) {
        for (;;) {
            efd_wait(efd[0]);
            if (load(&shm->stop))
                return;
            efd_post(efd[1]);
        }
    }
    for (;;) {
        seen = wait_change(&shm->a, seen);
        if (load(&shm->stop))
            return;
        store(&shm->b, seen);
        futex_wake(&shm->b, 1);
    }
}

static uint32_t seq;

static void round_trip(void)
{
    if (opt.prim == P_COND) {
        lock_mutex();
        shm->turn = 1;
        pthread_cond_signal(&shm->c1);
        while (shm->turn != 2)
            pthread_cond_wait(&shm->c2, &shm->mutex);
        unlock_mutex();
        return;
    }
    if (opt.prim == P_SEM) {
        sem_post_full(&shm->s1);
        sem_wait_full(&shm->s2);
        return;
    }
    if (opt.prim == P_EVENTFD) {
        efd_post(efd[0]);
        efd_wait(efd[1]);
        return;
    }
    store(&shm->a, ++seq);
    futex_wake(&shm->a, 1);
    for (uint32_t v = load(&shm->b); v != seq; v = load(&shm->b))
        futex_wait(&shm->b, v);
}

static int pingpong(void)
{
    struct histogram *h = hist_new();
    uint64_t p0, c0, p1, c1, warm_end, start, t0, t1;

    pin_to_cpu(opt.cpu_parent);
    if (opt.prim == P_EVENTFD)
        for (int i = 0; i < 2; i++)
            if ((efd[i] = eventfd(0, EFD_CLOEXEC)) < 0)
                die("eventfd");
    start_child(pingpong_child);
    round_trip();               /* discarded: the child is up and pinned */
    warm_end = now_ns() + (uint64_t)opt.warmup_ms * 1000000u;
    while (now_ns() < warm_end)
        round_trip();
    cpu_now(&p0, &c0);
    start = now_ns();
    do {
        t0 = now_ns();
        round_trip();
        t1 = now_ns();
        hist_record(h, t1 - t0);
    } while (t1 - start < (uint64_t)opt.duration_ms * 1000000u);
    cpu_now(&p1, &c1);
    store(&shm->stop, 1);
    if (opt.prim == P_COND) {
        lock_mutex();
        shm->turn = 1;
        pthread_cond_signal(&shm->c1);
        unlock_mutex();
    } else if (opt.prim == P_SEM)
        sem_post_full(&shm->s1);
    else if (opt.prim == P_EVENTFD)
        efd_post(efd[0]);
    else {
        store(&shm->a, ++seq);
        futex_wake(&shm->a, 1);
    }
    join_child();
    if (opt.prim == P_EVENTFD)
        for (int i = 0; i < 2; i++)
            if (close(efd[i]) < 0)
                die("close(eventfd)");
    printf("{\"mechanism\":\"sync\",\"mode\":\"pingpong\",\"primitive\":\"%s\","
           "\"workers\":\"%s\",\"histogram\":",
           prim_names[opt.prim], opt.threads ? "threads" : "processes");
    hist_print_json(stdout, h);
    printf(",\"cpuNsParent\":%" PRIu64 ",\"cpuNsChild\":%" PRIu64 "}\n",
           p1 - p0, c1 - c0);
    free(h);
    return 0;
}

int main(int argc, char **argv)
{
    int rc;

    parse(argc, argv);
    if (sched_getaffinity(0, sizeof allowed, &allowed) < 0)
        die("sched_getaffinity");
    shared_init();
    rc = opt.mode == UNCONTENDED ? uncontended()
       : opt.mode == CONTENDED ? contended() : pingpong();
    if (fflush(stdout) == EOF || ferror(stdout))
        die("stdout");
    return rc;
}
