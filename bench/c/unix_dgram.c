/*
 * unix_dgram.c - UNIX domain datagram sockets (AF_UNIX, SOCK_DGRAM).
 *
 * Datagrams like UDP's, one send() = one datagram, one recv() = one
 * datagram, but inside the kernel and reliable: a datagram goes straight
 * onto the peer socket's queue, and when there is no room the sender waits
 * (or gets EAGAIN if non-blocking) instead of the datagram being dropped.
 * Nor are they reordered. So in the throughput run nothing may be lost.
 *
 * An AF_UNIX datagram socket is addressed by a path. Here two sockets are
 * bound to "a" and "b" in a private directory (mode 0700; the socket files
 * get 0600, as in unix_stream.c), then each is connect()ed to the other.
 * connect() on a datagram socket only records the default destination; a
 * socket connected to someone else refuses our datagrams (EPERM), so no
 * third process can slip one in. Once connected, the peers are tied by
 * kernel references, not by the names: the names are removed before fork,
 * and the sockets go on working.
 *
 * Flow control: a datagram is charged to the *sender's* send buffer until
 * the receiver has read it. Between two sockets connected to each other,
 * that SO_SNDBUF (net.core.wmem_default, 212992 bytes) is the only limit;
 * a socket that receives from others also has a queue length limit
 * (net.unix.max_dgram_qlen). The same buffer caps one datagram: at most
 * SO_SNDBUF - 32 bytes, hence our limit of 212992 - 32 = 212960 bytes (the
 * default buffer, which unix_fit_sndbuf raises only on a system whose
 * default is smaller). SO_RCVBUF plays no part for AF_UNIX datagrams.
 *
 * When the peer socket is closed, send() fails with ECONNREFUSED; recv()
 * is not woken: there is no end of file for datagrams.
 */
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "harness.h"

#define UNIX_MAX_DATAGRAM (212992 - 32)

int main(int argc, char **argv)
{
    struct options opt;
    struct sockaddr_un pa = { 0 }, ca = { 0 };
    int pfd, cfd;               /* the parent's and the child's socket */

    bench_init_datagram(argc, argv, "unix_dgram", UNIX_MAX_DATAGRAM, &opt);
    temp_dir();
    pfd = unix_bound_socket(SOCK_DGRAM, temp_path("a"), &pa);
    cfd = unix_bound_socket(SOCK_DGRAM, temp_path("b"), &ca);
    if (connect(pfd, (struct sockaddr *)&ca, sizeof ca) < 0)
        die(ca.sun_path);
    if (connect(cfd, (struct sockaddr *)&pa, sizeof pa) < 0)
        die(pa.sun_path);
    unix_fit_sndbuf(pfd, opt.size);
    unix_fit_sndbuf(cfd, opt.size);
    temp_remove();              /* connected: the names have done their job */

    if (fork_peer(&opt) == 0) {
        if (close(pfd) < 0)
            die("close");
        run_child(&opt, cfd, cfd);
    }

    if (close(cfd) < 0)
        die("close");
    return run_parent(&opt, pfd, pfd);
}
