/*
 * tcp.c - a TCP connection over the loopback interface.
 *
 * The server side makes a socket, bind()s it to an address, listen()s, and
 * accept()s connections; the client makes a socket and connect()s to the
 * address. Here the address is 127.0.0.1, port 0: the kernel picks a free
 * (ephemeral) port, which getsockname() tells us. The listening socket exists
 * before fork(), so the child's connect cannot come too early: the kernel
 * completes the handshake into the listen queue even before accept().
 *
 * A connected TCP socket is a bidirectional byte stream (rfd == wfd). On
 * loopback no packet touches a wire, but every write still goes down the
 * whole TCP/IP stack and back up (segments, sequence numbers, ACKs, the
 * loopback device's softirq; only the checksums are skipped). That is the
 * cost this baseline shows next to a UNIX domain socket.
 *
 * Nagle's algorithm (RFC 896) holds back a small segment while earlier data
 * is unacknowledged, to coalesce small writes; the receiver's delayed ACK
 * (40 ms or more on Linux) can then stall the sender. TCP_NODELAY turns Nagle
 * off; it is on here unless --nodelay 0, which shows what the default does.
 *
 * Only the needed descriptors survive: the child closes the listener it
 * inherited, and the parent closes it once it has accepted.
 */
#define _GNU_SOURCE             /* accept4 */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"

static void set_nodelay(int fd, int on)
{
    if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on) < 0)
        die("setsockopt TCP_NODELAY");
}

int main(int argc, char **argv)
{
    struct options opt;
    struct sockaddr_in addr = { 0 };
    socklen_t len = sizeof addr;
    int listener, fd;

    bench_init(argc, argv, "tcp", BENCH_OPT_NODELAY, &opt);

    /* Port 0: no fixed port to collide with, so no SO_REUSEADDR either. */
    listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listener < 0)
        die("socket");
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    if (bind(listener, (struct sockaddr *)&addr, sizeof addr) < 0)
        die("bind 127.0.0.1:0");
    if (getsockname(listener, (struct sockaddr *)&addr, &len) < 0)
        die("getsockname");
    if (listen(listener, 1) < 0)
        die("listen");

    if (fork_peer(&opt) == 0) {
        /* Child: the client. */
        if (close(listener) < 0)
            die("close");
        fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
            die("socket");
        if (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0)
            die("connect");
        set_nodelay(fd, opt.nodelay);
        run_child(&opt, fd, fd);
    }

    /* Parent: the server. If the child dies before connecting, the harness
     * ends the wait in accept() instead of hanging. */
    fd = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
    if (fd < 0)
        die("accept");
    if (close(listener) < 0)
        die("close");
    set_nodelay(fd, opt.nodelay);
    return run_parent(&opt, fd, fd);
}
