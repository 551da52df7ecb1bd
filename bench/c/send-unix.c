/*
 * send-unix.c - the course's example sender of UNIX domain datagrams.
 *
 *     send-unix <domain-sock-name> <msg> <num-repeat>
 *
 * Creates an AF_UNIX SOCK_DGRAM socket and sends <msg> (its characters,
 * without the terminating NUL) <num-repeat> times to the socket bound to
 * the path <domain-sock-name> (by recv-unix, say). Not part of the
 * benchmark: a standalone program, without the harness.
 *
 * The socket is not connected and not even bound: every sendto() names the
 * destination. The sender needs write permission on the socket file. A
 * datagram is delivered whole or not at all: sendto() returns its full
 * length, or fails, e.g. with ENOENT (no such file), ECONNREFUSED (the file
 * exists but no socket is bound to it any more: a stale file) or EMSGSIZE
 * (larger than the send buffer allows). When the receiver's queue is full
 * (net.unix.max_dgram_qlen datagrams), sendto() waits: UNIX datagrams are
 * not dropped.
 *
 * The address length is exact: the offset of sun_path plus the path and
 * its NUL. The path must fit in sun_path (107 characters on Linux).
 */
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static void usage(void)
{
    fputs("usage: send-unix <domain-sock-name> <msg> <num-repeat>\n", stderr);
    exit(1);
}

/* "send-unix: what: <the error>", exit 1. */
static void fail(const char *what, int err)
{
    fprintf(stderr, "send-unix: %s: %s\n", what, strerror(err));
    exit(1);
}

/* A non-negative decimal integer that fits in an int; else usage. */
static int parse_count(const char *s)
{
    char *end;
    long v;

    if (*s < '0' || *s > '9')
        usage();
    errno = 0;
    v = strtol(s, &end, 10);
    if (*end != '\0' || errno == ERANGE || v > INT_MAX)
        usage();
    return (int)v;
}

int main(int argc, char **argv)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    const char *name, *msg;
    socklen_t len;
    int repeat, fd;

    if (argc != 4)
        usage();
    name = argv[1];
    msg = argv[2];
    repeat = parse_count(argv[3]);
    if (name[0] == '\0')
        fail(name, ENOENT);             /* as open("") would say */
    if (strlen(name) >= sizeof addr.sun_path)
        fail(name, ENAMETOOLONG);
    strcpy(addr.sun_path, name);
    len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(name) + 1);

    fd = socket(AF_UNIX, SOCK_DGRAM, 0);
    if (fd < 0)
        fail("socket", errno);
    for (int i = 0; i < repeat; i++) {
        ssize_t n = sendto(fd, msg, strlen(msg), 0,
                           (struct sockaddr *)&addr, len);

        if (n < 0)
            fail("sendto", errno);
        printf("sent %d bytes\n", (int)n);
        fflush(stdout);
    }
    if (close(fd) < 0)
        fail("close", errno);
    return 0;
}
