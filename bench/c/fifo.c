/*
 * fifo.c - the named pipe (FIFO): a pipe with a name in the file system.
 *
 * mkfifo(path, mode) creates a special file. Opening it does not create a
 * buffer on disk: the kernel joins everyone who opens that path into one pipe,
 * with the same 64 KiB buffer, byte stream and EOF/EPIPE rules as pipe(2).
 * What the name buys is that unrelated processes can meet: they need not
 * inherit descriptors from a common parent, only know the path and have the
 * permission to open it. So here each process opens the FIFOs *by path* after
 * fork, as two unrelated programs would; nothing is inherited.
 *
 * Opening a FIFO blocks until the other side opens it too: open for reading
 * waits for a writer, open for writing waits for a reader. With two FIFOs the
 * two processes must open them in the same order, or each would wait for the
 * other forever: both open "down" first (parent writes, child reads), then
 * "up" (child writes, parent reads).
 *
 * The names live in a private directory (mode 0700) and the FIFOs have mode
 * 0600, so no other user can open them. Once both processes have both ends
 * open the names are no longer needed: the parent removes them, and the pipes
 * go on working, like an open file that has been unlinked.
 */
#include <fcntl.h>
#include <sys/stat.h>

#include "harness.h"

int main(int argc, char **argv)
{
    struct options opt;
    const char *down, *up;
    int rfd, wfd;

    bench_init(argc, argv, "fifo", 0, &opt);
    temp_dir();
    down = temp_path("down");   /* parent -> child */
    up = temp_path("up");       /* child -> parent */
    if (mkfifo(down, 0600) < 0)
        die(down);
    if (mkfifo(up, 0600) < 0)
        die(up);

    if (fork_peer(&opt) == 0) {
        /* Child: down for reading, then up for writing. */
        if ((rfd = open(down, O_RDONLY | O_CLOEXEC)) < 0)
            die(down);
        if ((wfd = open(up, O_WRONLY | O_CLOEXEC)) < 0)
            die(up);
        run_child(&opt, rfd, wfd);
    }

    /* Parent: the same order. If the child dies before opening its side,
     * the harness ends the wait (and removes the names) instead of hanging. */
    if ((wfd = open(down, O_WRONLY | O_CLOEXEC)) < 0)
        die(down);
    if ((rfd = open(up, O_RDONLY | O_CLOEXEC)) < 0)
        die(up);
    temp_remove();              /* both ends are open in both processes */
    return run_parent(&opt, rfd, wfd);
}
