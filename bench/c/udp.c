/*
 * udp.c - UDP datagrams over the loopback interface.
 *
 * UDP is IP plus port numbers: no connection, no acknowledgement, no
 * retransmission, no flow control. Each send() is one datagram and each
 * recv() returns one whole datagram; boundaries are kept, but a datagram may
 * be dropped, and nobody says so. On loopback nothing is lost on a wire;
 * what drops datagrams is a full receive queue: when the receiver falls
 * behind and its SO_RCVBUF (net.core.rmem_default, counted with the kernel's
 * per-packet overhead) is full, the next datagram is discarded (the
 * RcvbufErrors counter in /proc/net/snmp). The sender is not slowed down,
 * as a TCP or AF_UNIX sender would be, so in the throughput run loss is a
 * result, not an error. We keep the default buffers: what a program gets.
 *
 * The largest datagram is 65507 bytes: an IPv4 packet's 16-bit length
 * (65535) less the IP (20) and UDP (8) headers. The loopback MTU (65536)
 * holds it whole, so nothing is fragmented here.
 *
 * Both sockets are made before fork(), bound to 127.0.0.1 port 0 (the
 * kernel picks a free port, getsockname() tells which), and each is
 * connect()ed to the other. connect() on UDP sends nothing: it records the
 * default destination (so send() works without an address) and makes the
 * socket accept datagrams from that address only. The child keeps one
 * socket, the parent the other.
 *
 * There is no end of file: when one side closes, the other is not told.
 * A connected UDP socket does learn that its peer is gone, indirectly: a
 * datagram sent to a closed port comes back as an ICMP "port unreachable",
 * and the next send() or recv() on the socket fails with ECONNREFUSED.
 * SIGPIPE does not exist for UDP (the harness ignores it anyway).
 */
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"

#define UDP_MAX_DATAGRAM 65507

/* A UDP socket bound to 127.0.0.1 and a free port, whose address goes in
 * *addr. */
static int bound_socket(struct sockaddr_in *addr)
{
    socklen_t len = sizeof *addr;
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

    if (fd < 0)
        die("socket");
    addr->sin_family = AF_INET;
    addr->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr->sin_port = 0;
    if (bind(fd, (struct sockaddr *)addr, sizeof *addr) < 0)
        die("bind 127.0.0.1:0");
    if (getsockname(fd, (struct sockaddr *)addr, &len) < 0)
        die("getsockname");
    return fd;
}

int main(int argc, char **argv)
{
    struct options opt;
    struct sockaddr_in pa = { 0 }, ca = { 0 };
    int pfd, cfd;               /* the parent's and the child's socket */

    bench_init_datagram(argc, argv, "udp", UDP_MAX_DATAGRAM, &opt);
    pfd = bound_socket(&pa);
    cfd = bound_socket(&ca);
    if (connect(pfd, (struct sockaddr *)&ca, sizeof ca) < 0
        || connect(cfd, (struct sockaddr *)&pa, sizeof pa) < 0)
        die("connect");

    if (fork_peer(&opt) == 0) {
        if (close(pfd) < 0)
            die("close");
        run_child(&opt, cfd, cfd);
    }

    if (close(cfd) < 0)
        die("close");
    return run_parent(&opt, pfd, pfd);
}
