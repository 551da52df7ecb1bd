/*
 * unix_seqpacket.c - a UNIX domain sequenced-packet socket (SOCK_SEQPACKET).
 *
 * SOCK_SEQPACKET is a connection, like SOCK_STREAM (listen, accept,
 * connect, end of file when the peer closes, EPIPE when writing to a closed
 * peer), that carries records, like SOCK_DGRAM: one send() is one record,
 * one recv() returns one record, never part of two. A record too large
 * for the buffer is cut, and the rest discarded (MSG_TRUNC says so). Over
 * a network SCTP offers the same type. Inside the kernel, AF_UNIX
 * SOCK_SEQPACKET is the datagram code with a connection around it, so the
 * same limits apply as in unix_dgram.c: a record is charged to the sender's
 * SO_SNDBUF until read and must fit in SO_SNDBUF - 32 bytes (212960 with
 * the default 212992; unix_fit_sndbuf raises the buffer only where the
 * default is smaller). Reliable: nothing is lost or reordered.
 *
 * The setup is unix_stream.c's: a listener bound to "sock" in a private
 * directory (mode 0700, the socket file 0600), made before fork() so the
 * child's connect cannot come too early; the parent accepts, then removes
 * the name and the directory. A recv() of 0 bytes means end of file here
 * (an empty record would read the same; the harness's stop signal is
 * either).
 */
#define _GNU_SOURCE             /* accept4 */
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "harness.h"

#define SEQPACKET_MAX_RECORD (212992 - 32)

int main(int argc, char **argv)
{
    struct options opt;
    struct sockaddr_un addr;
    const char *path;
    int listener, fd;

    bench_init_datagram(argc, argv, "unix_seqpacket", SEQPACKET_MAX_RECORD,
                        &opt);
    temp_dir();
    path = temp_path("sock");
    listener = unix_bound_socket(SOCK_SEQPACKET, path, &addr);
    if (listen(listener, 1) < 0)
        die("listen");

    if (fork_peer(&opt) == 0) {
        /* Child: the client, connecting by path. */
        if (close(listener) < 0)
            die("close");
        fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        if (fd < 0)
            die("socket");
        if (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0)
            die(path);
        unix_fit_sndbuf(fd, opt.size);
        run_child(&opt, fd, fd);
    }

    /* Parent: the server. If the child dies before connecting, the harness
     * ends the wait in accept() instead of hanging. */
    fd = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
    if (fd < 0)
        die("accept");
    if (close(listener) < 0)
        die("close");
    temp_remove();              /* connected: the name has done its job */
    unix_fit_sndbuf(fd, opt.size);
    return run_parent(&opt, fd, fd);
}
