/*
 * named-sem: a named POSIX semaphore from the shell, for two terminals (or a terminal and a Node
 * process using @ipc-compare/sync's NamedSemaphore with the same name).
 *
 *   named-sem create NAME [VALUE]   sem_open(O_CREAT|O_EXCL, 0600, VALUE): fails if NAME exists
 *   named-sem post NAME             sem_post
 *   named-sem wait NAME             prints "waiting", blocks in sem_wait, prints "acquired"
 *   named-sem value NAME            prints the count (sem_getvalue)
 *   named-sem unlink NAME           sem_unlink: the name goes (processes that have it open keep it)
 *
 * NAME is "/" and up to 250 characters without "/"; it lives in /dev/shm/sem.NAME (without the
 * slash) until unlinked — after every process that used it has exited, too.
 * Build: gcc -O2 -Wall -o named-sem named-sem.c -pthread
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int usage(void) {
    fprintf(stderr, "usage: named-sem create NAME [VALUE] | post NAME | wait NAME | value NAME | unlink NAME\n");
    return 2;
}

static int fail(const char *call, const char *name) {
    fprintf(stderr, "named-sem: %s %s: %s\n", call, name, strerror(errno));
    return 1;
}

int main(int argc, char **argv) {
    if (argc < 3) return usage();
    const char *cmd = argv[1], *name = argv[2];
    if (strcmp(cmd, "unlink") == 0) return sem_unlink(name) == 0 ? 0 : fail("sem_unlink", name);
    if (strcmp(cmd, "create") == 0) {
        char *end = NULL;
        long value = argc > 3 ? strtol(argv[3], &end, 10) : 0;
        if (argc > 3 && (*end != '\0' || value < 0 || value > SEM_VALUE_MAX)) return usage();
        sem_t *s = sem_open(name, O_CREAT | O_EXCL, 0600, (unsigned)value);
        if (s == SEM_FAILED) return fail("sem_open", name);
        sem_close(s);
        return 0;
    }
    sem_t *s = sem_open(name, 0);
    if (s == SEM_FAILED) return fail("sem_open", name);
    int rc = 0;
    if (strcmp(cmd, "post") == 0) {
        if (sem_post(s) != 0) rc = fail("sem_post", name);
    } else if (strcmp(cmd, "wait") == 0) {
        printf("waiting\n");
        fflush(stdout);
        int r;
        while ((r = sem_wait(s)) != 0 && errno == EINTR) {
        }
        if (r != 0) rc = fail("sem_wait", name);
        else printf("acquired\n");
    } else if (strcmp(cmd, "value") == 0) {
        int v = 0;
        if (sem_getvalue(s, &v) != 0) rc = fail("sem_getvalue", name);
        else printf("%d\n", v);
    } else {
        rc = usage();
    }
    sem_close(s);
    return rc;
}
