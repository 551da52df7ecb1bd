// eventfd(2): a 64-bit counter in the kernel behind an fd. write adds to it; read returns it and
// resets it to 0 — or, with EFD_SEMAPHORE, returns 1 and subtracts 1. It is readable while the
// counter is > 0, so the event loop can wait for it like for a socket (no thread), and a child that
// inherits the fd posts to the same counter. Linux only.
//
// Always EFD_CLOEXEC (a child gets it only as an inherited stdio fd) and EFD_NONBLOCK (a read of a
// zero counter returns -1 rather than blocking: the sync package polls, then reads).
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdint>

#include "deadline.h"
#include "errors.h"
#include "exports.h"
#include "io.h"

namespace ipc {
namespace {

constexpr double kMaxSafe = 9007199254740991.0;  // 2^53 - 1: what a JS number holds exactly

// eventfdCreate(initial, semaphore) -> fd.
Napi::Value EventfdCreate(const Napi::CallbackInfo& info) {
  int initial = ArgIntOr(info, 0, "initial", 0, 0);
  bool semaphore = info.Length() > 1 && info[1].ToBoolean();
  int fd = eventfd(static_cast<unsigned>(initial), EFD_CLOEXEC | EFD_NONBLOCK | (semaphore ? EFD_SEMAPHORE : 0));
  if (fd < 0) ThrowErrno(info.Env(), "eventfd2");
  return Napi::Number::New(info.Env(), fd);
}

// eventfdRead(fd) -> the counter (reset to 0), 1 in semaphore mode, or -1 if it is 0 (would block).
// A counter above 2^53 - 1 comes back rounded (a JS number); posts are at most that each.
Napi::Value EventfdRead(const Napi::CallbackInfo& info) {
  int fd = ArgFd(info, 0);
  uint64_t v = 0;
  ssize_t n = RetryEintr([&] { return read(fd, &v, sizeof v); });
  if (n < 0) {
    if (WouldBlock(errno)) return Napi::Number::New(info.Env(), -1);
    ThrowErrno(info.Env(), "read");
  }
  return Napi::Number::New(info.Env(), static_cast<double>(v));
}

// eventfdWait(fd, timeoutMs?) -> what eventfdRead returns, blocking the calling thread until the
// counter is > 0 (read; when empty, poll(2) for POLLIN, then read again: another reader may have
// taken it), or -1 after timeoutMs. One addon call for what would be three from JS.
Napi::Value EventfdWait(const Napi::CallbackInfo& info) {
  int fd = ArgFd(info, 0);
  int ms = TimeoutArg(info, 1);
  timespec deadline{};
  if (ms >= 0) deadline = AddMs(MonoNow(), ms);
  for (;;) {
    uint64_t v = 0;
    ssize_t n = RetryEintr([&] { return read(fd, &v, sizeof v); });
    if (n >= 0) return Napi::Number::New(info.Env(), static_cast<double>(v));
    if (!WouldBlock(errno)) ThrowErrno(info.Env(), "read");
    int left = -1;
    if (ms >= 0) {
      timespec now = MonoNow();
      int64_t ns = (deadline.tv_sec - now.tv_sec) * 1000000000LL + (deadline.tv_nsec - now.tv_nsec);
      left = ns <= 0 ? 0 : static_cast<int>((ns + 999999) / 1000000);
    }
    struct pollfd p = {fd, POLLIN, 0};
    int r = RetryEintr([&] { return poll(&p, 1, left); });
    if (r < 0) ThrowErrno(info.Env(), "poll");
    if (r == 0) return Napi::Number::New(info.Env(), -1);
  }
}

// eventfdWrite(fd, n) -> true, or false if adding n would pass the maximum (2^64 - 2; would block).
// n: an integer 1 … 2^53 - 1.
Napi::Value EventfdWrite(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = ArgFd(info, 0);
  if (info.Length() < 2 || !info[1].IsNumber()) throw InvalidArgType(env, "n", "number", info[1]);
  double d = info[1].As<Napi::Number>().DoubleValue();
  if (!(d >= 1 && d <= kMaxSafe && std::trunc(d) == d)) {
    Napi::RangeError e = Napi::RangeError::New(env, "The value of \"n\" is out of range. It must be an integer >= 1 && <= 2^53 - 1. Received " + std::to_string(d));
    e.Value().Set("code", "ERR_OUT_OF_RANGE");
    throw e;
  }
  uint64_t v = static_cast<uint64_t>(d);
  ssize_t n = RetryEintr([&] { return write(fd, &v, sizeof v); });
  if (n < 0) {
    if (WouldBlock(errno)) return Napi::Boolean::New(env, false);
    ThrowErrno(env, "write");
  }
  return Napi::Boolean::New(env, true);
}

}  // namespace

void InitEventfd(Napi::Env env, Napi::Object exports) {
  exports.Set("eventfdCreate", Napi::Function::New(env, EventfdCreate, "eventfdCreate"));
  exports.Set("eventfdRead", Napi::Function::New(env, EventfdRead, "eventfdRead"));
  exports.Set("eventfdWait", Napi::Function::New(env, EventfdWait, "eventfdWait"));
  exports.Set("eventfdWrite", Napi::Function::New(env, EventfdWrite, "eventfdWrite"));
}

}  // namespace ipc
