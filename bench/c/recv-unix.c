/*
 * recv-unix.c - the course's example receiver of UNIX domain datagrams.
 *
 *     recv-unix <domain-sock-name> <num-chars>
 *
 * Creates an AF_UNIX SOCK_DGRAM socket, binds it to the path
 * <domain-sock-name>, and prints every datagram it receives, forever (stop
 * it with Ctrl-C). send-unix.c is its partner. Not part of the benchmark:
 * a standalone program, without the harness.
 *
 * One recv() returns one datagram, never part of two. The buffer holds
 * <num-chars> bytes: a longer datagram is cut to that size and the rest is
 * discarded for good (the next recv() returns the next datagram, not the
 * rest). recv() then returns the number of bytes stored, so
 * "hello-world" read with 5 chars prints 5 bytes: "hello". (With MSG_TRUNC
 * in its flags, recv() would return the datagram's real length instead.)
 * The data is not a C string: no NUL comes with it, so we print exactly
 * the n bytes received with "%.*s" (which would still stop early at a NUL
 * byte inside the data; send-unix sends none).
 *
 * bind() creates the socket file and fails with EADDRINUSE if the name
 * exists, even as the file of a socket long closed: a socket file outlives
 * its socket (and this program, which runs until killed, leaves its own
 * behind). So a stale socket file is removed first — only that: the name
 * must be a socket (lstat) that nobody is bound to any more (a connect()
 * to it is refused). A regular file, or the socket of a program still
 * running, is left alone, and bind() then reports EADDRINUSE. (A plain
 * unlink() would delete any file of that name, and would steal a live
 * receiver's name from under it.)
 *
 * The path must fit in sockaddr_un.sun_path with its final NUL: 107
 * characters on Linux. A longer one is refused with ENAMETOOLONG.
 */
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static void usage(void)
{
    fputs("usage: recv-unix <domain-sock-name> <num-chars>\n", stderr);
    exit(1);
}

/* "recv-unix: what: <the error>", exit 1. */
static void fail(const char *what, int err)
{
    fprintf(stderr, "recv-unix: %s: %s\n", what, strerror(err));
    exit(1);
}

/* A positive decimal integer that fits in an int (printf's %.*s takes
 * one); anything else is a usage error. */
static int parse_count(const char *s)
{
    char *end;
    long v;

    if (*s < '0' || *s > '9')
        usage();
    errno = 0;
    v = strtol(s, &end, 10);
    if (*end != '\0' || errno == ERANGE || v < 1 || v > INT_MAX)
        usage();
    return (int)v;
}

/* Unlinks the name if it is a stale socket file: a socket nobody is bound
 * to (connect() is refused). Anything else stays for bind() to report. */
static void remove_stale(const char *name, const struct sockaddr_un *addr,
                         socklen_t len)
{
    struct stat st;
    int probe, refused;

    if (lstat(name, &st) < 0 || !S_ISSOCK(st.st_mode))
        return;                         /* nothing there, or not a socket */
    probe = socket(AF_UNIX, SOCK_DGRAM, 0);
    if (probe < 0)
        fail(name, errno);
    refused = connect(probe, (const struct sockaddr *)addr, len) < 0 &&
              errno == ECONNREFUSED;
    close(probe);
    if (refused && unlink(name) < 0 && errno != ENOENT)
        fail(name, errno);
}

int main(int argc, char **argv)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    const char *name;
    socklen_t len;
    char *buf;
    int num, fd;

    if (argc != 3)
        usage();
    name = argv[1];
    num = parse_count(argv[2]);
    if (name[0] == '\0')
        fail(name, ENOENT);             /* as open("") would say */
    if (strlen(name) >= sizeof addr.sun_path)
        fail(name, ENAMETOOLONG);
    strcpy(addr.sun_path, name);
    /* The address's length: up to the path and its NUL. */
    len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(name) + 1);

    buf = malloc((size_t)num);
    if (buf == NULL)
        fail("malloc", errno);
    remove_stale(name, &addr, len);     /* a socket file left by a dead run */
    fd = socket(AF_UNIX, SOCK_DGRAM, 0);
    if (fd < 0)
        fail("socket", errno);
    if (bind(fd, (struct sockaddr *)&addr, len) < 0)
        fail(name, errno);

    for (;;) {
        ssize_t n = recv(fd, buf, (size_t)num, 0);

        if (n < 0) {
            if (errno == EINTR)
                continue;
            fail("recv", errno);
        }
        printf("%d bytes received: \"%.*s\"\n", (int)n, (int)n, buf);
        fflush(stdout);
    }
}
