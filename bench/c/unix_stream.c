/*
 * unix_stream.c - a UNIX domain stream socket reached through a path.
 *
 * The same socket calls as TCP (socket, bind, listen, accept / connect), but
 * in the AF_UNIX family the address is a file-system path and the data never
 * enters the network stack: a write is copied into a buffer queued directly on
 * the peer socket, as with socketpair(2). What the path adds is that
 * unrelated processes can connect, and that the file's permissions decide
 * who may: connect needs write permission on the socket file (and search
 * permission on the directories above it).
 *
 * bind() creates the socket file; here it is "sock" in a private directory
 * (mode 0700), and the file itself gets mode 0600 (set with umask during
 * bind: a chmod afterwards would leave a moment with wider permissions). The
 * path must fit in sockaddr_un.sun_path, only 108 bytes on Linux, which a
 * long $TMPDIR can exceed: that is reported as ENAMETOOLONG.
 *
 * The listener exists before fork(), so the child's connect cannot come too
 * early. Once accepted, the connection no longer needs the name: the parent
 * unlinks the socket file and removes the directory, and the connected
 * sockets go on working. The child closes the listener it inherited, the
 * parent once it has accepted.
 */
#define _GNU_SOURCE             /* accept4 */
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "harness.h"

int main(int argc, char **argv)
{
    struct options opt;
    struct sockaddr_un addr;
    const char *path;
    int listener, fd;

    bench_init(argc, argv, "unix_stream", 0, &opt);
    temp_dir();
    path = temp_path("sock");
    listener = unix_bound_socket(SOCK_STREAM, path, &addr);
    if (listen(listener, 1) < 0)
        die("listen");

    if (fork_peer(&opt) == 0) {
        /* Child: the client, connecting by path. */
        if (close(listener) < 0)
            die("close");
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
            die("socket");
        if (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0)
            die(path);
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
    return run_parent(&opt, fd, fd);
}
