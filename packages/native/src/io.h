// How every binding retries a syscall: after EINTR (a signal interrupted it: again at once) and, on
// the blocking path, after EAGAIN (wait with poll(2) until the fd is ready, then again). One place, so
// that every binding treats signals and an fd that is not open (POLLNVAL) the same way.
#pragma once
#include <napi.h>
#include <poll.h>

#include <cerrno>

namespace ipc {

inline bool WouldBlock(int err) { return err == EAGAIN || err == EWOULDBLOCK; }

// Runs `call` (a syscall: < 0 with errno set on failure) until a signal does not interrupt it.
template <typename Call>
auto RetryEintr(Call&& call) -> decltype(call()) {
  decltype(call()) r;
  do r = call(); while (r < 0 && errno == EINTR);
  return r;
}

// Waits until fd is ready for `events` (no timeout), retrying EINTR. Throws EBADF (syscall 'poll')
// when the fd is not open (POLLNVAL), and poll's own error if it fails. POLLERR/POLLHUP return: the
// next syscall on the fd reports the real error (EPIPE, ECONNRESET…) or end of file.
void WaitFor(Napi::Env env, int fd, short events);

// The blocking path: `call` retried after EINTR and, while it would block, after WaitFor(events).
// Returns its result: >= 0, or < 0 with errno set for a failure other than "would block".
template <typename Call>
auto UntilReady(Napi::Env env, int fd, short events, Call&& call) -> decltype(call()) {
  for (;;) {
    auto r = RetryEintr(call);
    if (r >= 0 || !WouldBlock(errno)) return r;
    WaitFor(env, fd, events);
  }
}

}  // namespace ipc
