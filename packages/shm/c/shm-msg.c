/*
 * shm-msg - one message through a named shared memory object, for two terminals; the same commands,
 * layout, output and exit codes as the TypeScript tool (src/bin/shm-msg.ts), so either works in either
 * terminal:
 *
 *   shm-msg create posix NAME | xsi KEY          a 4 KiB object, O_EXCL / IPC_EXCL, mode 0600
 *   shm-msg read   posix NAME | xsi KEY          print the message; if none yet, "waiting", then sleep
 *   shm-msg write  posix NAME | xsi KEY TEXT     write TEXT, bump the sequence word, wake the readers
 *   shm-msg remove posix NAME | xsi KEY          shm_unlink / IPC_RMID
 *
 * Layout (native byte order): 0 magic 0x4d534349, 4 seq (the futex word; 0 = no message yet),
 * 8 length, 16 the text (at most 4080 bytes). Exit 1 on a failed call, 2 on bad usage.
 *
 *   cc -O2 -Wall -o shm-msg shm-msg.c
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <unistd.h>

#define SIZE 4096
#define MAGIC 0x4d534349u
#define TEXT_AT 16

static const char *id;

static void usage(void)
{
    fputs("usage: shm-msg create|read|remove posix NAME|xsi KEY, shm-msg write posix NAME|xsi KEY TEXT\n", stderr);
    exit(2);
}

static void fail(const char *call)
{
    fprintf(stderr, "shm-msg: %s %s: %s\n", call, id, strerror(errno));
    exit(1);
}

static uint32_t *map(int posix, key_t key, int create)
{
    void *p;
    if (posix) {
        int fd = shm_open(id, O_RDWR | (create ? O_CREAT | O_EXCL : 0), 0600);
        if (fd < 0)
            fail("shm_open");
        if (create && (errno = posix_fallocate(fd, 0, SIZE)) != 0) {
            shm_unlink(id);
            fail("posix_fallocate");
        }
        p = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (p == MAP_FAILED)
            fail("mmap");
        close(fd);
    } else {
        int shmid = shmget(key, create ? SIZE : 0, create ? IPC_CREAT | IPC_EXCL | 0600 : 0);
        if (shmid < 0)
            fail("shmget");
        p = shmat(shmid, NULL, 0);
        if (p == (void *)-1)
            fail("shmat");
    }
    return p;
}

int main(int argc, char **argv)
{
    if (argc < 4)
        usage();
    const char *cmd = argv[1];
    int posix = strcmp(argv[2], "posix") == 0;
    if (!posix && strcmp(argv[2], "xsi") != 0)
        usage();
    id = argv[3];
    int write_cmd = strcmp(cmd, "write") == 0;
    if (argc != (write_cmd ? 5 : 4))
        usage();
    key_t key = 0;
    if (!posix) {
        char *end;
        long k = strtol(id, &end, 10);
        if (*end != '\0' || k <= 0 || k > 0x7fffffff)
            usage();
        key = (key_t)k;
    }

    if (strcmp(cmd, "remove") == 0) {
        if (posix) {
            if (shm_unlink(id) < 0)
                fail("shm_unlink");
        } else {
            int shmid = shmget(key, 0, 0);
            if (shmid < 0 || shmctl(shmid, IPC_RMID, NULL) < 0)
                fail("shmctl");
        }
        return 0;
    }
    if (strcmp(cmd, "create") == 0) {
        uint32_t *w = map(posix, key, 1);
        __atomic_store_n(&w[0], MAGIC, __ATOMIC_SEQ_CST);
        return 0;
    }
    if (!write_cmd && strcmp(cmd, "read") != 0)
        usage();
    uint32_t *w = map(posix, key, 0);
    if (__atomic_load_n(&w[0], __ATOMIC_SEQ_CST) != MAGIC) {
        errno = EINVAL;
        fail("read (bad magic)");
    }
    if (write_cmd) {
        size_t n = strlen(argv[4]);
        if (n > SIZE - TEXT_AT) {
            errno = EMSGSIZE;
            fail("write");
        }
        memcpy((char *)w + TEXT_AT, argv[4], n);
        __atomic_store_n(&w[2], (uint32_t)n, __ATOMIC_SEQ_CST);
        __atomic_add_fetch(&w[1], 1, __ATOMIC_SEQ_CST); /* publish */
        syscall(SYS_futex, &w[1], FUTEX_WAKE, 0x7fffffff, NULL, NULL, 0);
        return 0;
    }
    if (__atomic_load_n(&w[1], __ATOMIC_SEQ_CST) == 0) {
        puts("waiting");
        fflush(stdout);
        while (__atomic_load_n(&w[1], __ATOMIC_SEQ_CST) == 0)
            if (syscall(SYS_futex, &w[1], FUTEX_WAIT, 0, NULL, NULL, 0) < 0 && errno != EAGAIN && errno != EINTR)
                fail("futex");
    }
    uint32_t n = __atomic_load_n(&w[2], __ATOMIC_SEQ_CST);
    printf("%.*s\n", (int)n, (char *)w + TEXT_AT);
    return 0;
}
