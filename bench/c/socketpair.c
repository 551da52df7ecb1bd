/*
 * socketpair.c - a connected pair of UNIX domain stream sockets.
 *
 * socketpair(AF_UNIX, SOCK_STREAM, 0, sv) returns two sockets already
 * connected to each other, with no name, no listen and no accept. Like a pipe
 * it is passed on by fork(); unlike a pipe each end is bidirectional: one
 * socket both reads and writes, so a single pair carries the ping-pong (rfd
 * and wfd are the same descriptor). Each direction has its own buffer, so a
 * process never reads back what it wrote itself.
 *
 * SOCK_STREAM is a byte stream, as with a pipe: the harness reassembles the
 * messages. (SOCK_SEQPACKET would keep message boundaries.) A write copies
 * the bytes into a kernel buffer (an skb) queued directly on the peer socket:
 * no protocol stack in between. How much may wait there is bounded by the
 * writer's SO_SNDBUF (on Linux SO_RCVBUF has no effect on a UNIX stream).
 *
 * After fork() both processes hold both ends, and each closes the other's:
 * the reader sees EOF only when every descriptor of the other end is closed.
 */
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"

int main(int argc, char **argv)
{
    struct options opt;
    int sv[2];                  /* sv[0]: the parent's, sv[1]: the child's */

    bench_init(argc, argv, "socketpair", 0, &opt);
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
        die("socketpair");

    if (fork_peer(&opt) == 0) {
        if (close(sv[0]) < 0)
            die("close");
        run_child(&opt, sv[1], sv[1]);
    }

    if (close(sv[1]) < 0)
        die("close");
    return run_parent(&opt, sv[0], sv[0]);
}
