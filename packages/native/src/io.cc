#include "io.h"

#include "errors.h"

namespace ipc {

void WaitFor(Napi::Env env, int fd, short events) {
  struct pollfd p = {fd, events, 0};
  if (RetryEintr([&] { return poll(&p, 1, -1); }) < 0) ThrowErrno(env, "poll");
  if (p.revents & POLLNVAL) throw ErrnoError(env, EBADF, "poll");
}

}  // namespace ipc
