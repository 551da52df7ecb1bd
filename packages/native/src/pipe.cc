// pipe(2): the kernel's one-way byte channel between related processes.
#include <fcntl.h>
#include <unistd.h>

#include "errors.h"
#include "exports.h"

namespace ipc {
namespace {

// pipe2(flags) -> [readFd, writeFd]. flags: O_CLOEXEC | O_NONBLOCK | O_DIRECT (packet mode).
Napi::Value Pipe2(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int flags = ArgIntOr(info, 0, "flags", O_CLOEXEC);
  int fds[2];
  if (pipe2(fds, flags) < 0) ThrowErrno(env, "pipe2");
  Napi::Array out = Napi::Array::New(env, 2);
  out.Set(0u, fds[0]);
  out.Set(1u, fds[1]);
  return out;
}

}  // namespace

void InitPipe(Napi::Env env, Napi::Object exports) {
  exports.Set("pipe2", Napi::Function::New(env, Pipe2, "pipe2"));
  Napi::Object c = exports.Get("constants").As<Napi::Object>();
  c.Set("O_CLOEXEC", O_CLOEXEC);
  c.Set("O_DIRECT", O_DIRECT);
}

}  // namespace ipc
