/*
 * pipe.c - the anonymous pipe, the oldest UNIX IPC mechanism.
 *
 * pipe(fds) asks the kernel for a small buffer (64 KiB by default on Linux)
 * with two file descriptors: fds[1] writes into it, fds[0] reads from it.
 * It carries a byte stream, not messages: a read returns whatever is there,
 * up to the amount asked for, so the harness reassembles messages.
 * A pipe has no name: only processes that inherit the descriptors through
 * fork() can use it, so it links a parent with its children.
 *
 * A pipe goes one way. For a ping-pong we need two: one parent -> child and
 * one child -> parent. (Using one pipe both ways, a process could read back
 * its own message.)
 *
 * After fork() both processes hold all four descriptors. Each closes the ends
 * it does not use. This is not tidiness: a reader sees end of file only when
 * *every* write descriptor of its pipe is closed. If the child kept its copy
 * of the parent -> child write end, it would never see EOF when the parent
 * closes its own, and would wait forever. Likewise a writer gets EPIPE only
 * when no read end is left open anywhere.
 */
#include <unistd.h>

#include "harness.h"

int main(int argc, char **argv)
{
    struct options opt;
    int down[2];                /* parent -> child */
    int up[2];                  /* child -> parent */

    bench_init(argc, argv, "pipe", 0, &opt);
    if (pipe(down) < 0 || pipe(up) < 0)
        die("pipe");

    if (fork_peer(&opt) == 0) {
        /* Child: reads from down, writes to up. */
        if (close(down[1]) < 0 || close(up[0]) < 0)
            die("close");
        run_child(&opt, down[0], up[1]);
    }

    /* Parent: writes to down, reads from up. */
    if (close(down[0]) < 0 || close(up[1]) < 0)
        die("close");
    return run_parent(&opt, up[0], down[1]);
}
