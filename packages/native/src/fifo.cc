// FIFOs (named pipes): mkfifo(2), and an open(2) that waits for the partner without blocking Node.
//
// Opening a FIFO blocks until the other side opens it too (a reader waits for a writer and vice
// versa). fs.open would do that wait on a libuv threadpool thread — four such waits and every fs call
// of the process hangs. FifoOpener does it on a thread of its own instead, reports on the event loop,
// and can be cancelled: it opens the FIFO itself (O_RDWR, which counts as reader and writer and never
// waits) and keeps that open until the thread is done, which releases the open whenever it happens.
// The result comes only through the callback: there is no blocking wait for it.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>

#include "errors.h"
#include "exports.h"
#include "io.h"

namespace ipc {
namespace {

// mkfifo(path, mode). Fails with EEXIST if anything is there already: new names are never reused.
Napi::Value Mkfifo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) {
    Napi::TypeError e = Napi::TypeError::New(env, "The \"path\" argument must be a string");
    e.Value().Set("code", "ERR_INVALID_ARG_TYPE");
    throw e;
  }
  std::string path = info[0].As<Napi::String>().Utf8Value();
  int mode = ArgIntOr(info, 1, "mode", 0600, 0, 07777);
  if (mkfifo(path.c_str(), static_cast<mode_t>(mode)) < 0) ThrowErrno(env, "mkfifo", path.c_str());
  return env.Undefined();
}

// What the opener's thread and the JS object share. The thread holds its own reference, so the JS
// object can be collected at any time (nothing keeps it alive, nothing needs to be unreferenced)
// while the thread, which never touches the JS object, finishes with this.
struct FifoOpenState {
  std::string path;      // for errors
  std::string procPath;  // "/proc/self/fd/<pathFd>": the FIFO itself, whatever happens to its name
  int flags = O_RDONLY;
  std::mutex mu;  // guards everything below
  int pathFd = -1;     // O_PATH fd of the FIFO, until the thread is done
  int reserveFd = -1;  // a dup of pathFd, closed by cancel() to make room for the partner (EMFILE)
  int partnerFd = -1;  // cancel()'s O_RDWR open, until the thread is done
  bool done = false;
  bool cancelled = false;

  // Closes every fd but the opened one. Call with mu held.
  void ReleaseFds() {
    for (int* fd : {&pathFd, &reserveFd, &partnerFd}) {
      if (*fd >= 0) close(*fd);
      *fd = -1;
    }
  }
};

// How an open ended, handed from the thread to the JS thread.
struct FifoOpenResult {
  int fd;
  int err;
  std::string path;
};

// On the JS thread: callback(err, fd). env is null when the environment is being torn down and the
// call will never be made: then the fd has no taker and is closed.
void DeliverFifoOpen(Napi::Env env, Napi::Function cb, std::nullptr_t*, FifoOpenResult* raw) {
  std::unique_ptr<FifoOpenResult> r(raw);
  if (env == nullptr) {
    if (r->fd >= 0) close(r->fd);
    return;
  }
  if (r->err != 0) cb.Call({ErrnoError(env, r->err, "open", r->path.c_str()).Value(), Napi::Number::New(env, -1)});
  else cb.Call({env.Null(), Napi::Number::New(env, r->fd)});
}

using FifoOpenTsfn = Napi::TypedThreadSafeFunction<std::nullptr_t, FifoOpenResult, DeliverFifoOpen>;

// The opener's thread: the open(2) that waits for the partner, then the result to the JS thread.
// Uses only its own copies (the state, the tsfn handle); after Release nothing at all.
void RunFifoOpen(std::shared_ptr<FifoOpenState> s, FifoOpenTsfn tsfn) {
  int fd = RetryEintr([&] { return open(s->procPath.c_str(), s->flags | O_CLOEXEC); });
  int err = fd < 0 ? errno : 0;
  {
    std::lock_guard<std::mutex> lock(s->mu);
    if (s->cancelled && fd >= 0) {
      close(fd);
      fd = -1;
      err = ECANCELED;
    }
    s->done = true;
    s->ReleaseFds();  // cancel() needs them only before done
  }
  auto* result = new FifoOpenResult{fd, err, s->path};
  if (tsfn.BlockingCall(result) != napi_ok) {
    // napi_closing: the environment is going away; the call was not queued, and the tsfn must not
    // be used again (not even Release).
    if (fd >= 0) close(fd);
    delete result;
    return;
  }
  tsfn.Release();
}

class FifoOpener : public Napi::ObjectWrap<FifoOpener> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "FifoOpener", {InstanceMethod<&FifoOpener::Cancel>("cancel")});
  }

  // new FifoOpener(path, flags, callback(err, fd)): flags O_RDONLY or O_WRONLY (O_CLOEXEC is added).
  // Throws at once (ENOENT, EACCES, ERR_NOT_FIFO, EMFILE…) if the path cannot be a FIFO to wait on.
  explicit FifoOpener(const Napi::CallbackInfo& info) : Napi::ObjectWrap<FifoOpener>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 3 || !info[0].IsString() || !info[2].IsFunction()) {
      Napi::TypeError e = Napi::TypeError::New(env, "FifoOpener(path: string, flags: number, callback: function)");
      e.Value().Set("code", "ERR_INVALID_ARG_TYPE");
      throw e;
    }
    auto s = std::make_shared<FifoOpenState>();
    s->path = info[0].As<Napi::String>().Utf8Value();
    s->flags = ArgInt(info, 1, "flags") & O_ACCMODE;
    if (s->flags != O_RDONLY && s->flags != O_WRONLY) {
      Napi::RangeError e = Napi::RangeError::New(env, "flags must be O_RDONLY or O_WRONLY");
      e.Value().Set("code", "ERR_OUT_OF_RANGE");
      throw e;
    }
    // Pin down the FIFO itself (O_PATH does not open it for I/O, so it does not wait): later opens go
    // through /proc/self/fd/N, so unlinking or replacing the name cannot strand the waiting thread.
    s->pathFd = open(s->path.c_str(), O_PATH | O_CLOEXEC);
    if (s->pathFd < 0) ThrowErrno(env, "open", s->path.c_str());
    struct stat st;
    if (fstat(s->pathFd, &st) < 0 || !S_ISFIFO(st.st_mode)) {
      s->ReleaseFds();
      Napi::Error e = Napi::Error::New(env, "ERR_NOT_FIFO: not a FIFO, open '" + s->path + "'");
      e.Value().Set("code", "ERR_NOT_FIFO");
      e.Value().Set("path", s->path);
      throw e;
    }
    // libuv's EMFILE trick: hold one fd in reserve, so that cancel() can still open the partner when
    // the process has run out of fds (RLIMIT_NOFILE): it closes the reserve first.
    s->reserveFd = fcntl(s->pathFd, F_DUPFD_CLOEXEC, 0);
    if (s->reserveFd < 0) {
      int e = errno;
      s->ReleaseFds();
      throw ErrnoError(env, e, "fcntl", s->path.c_str());
    }
    s->procPath = "/proc/self/fd/" + std::to_string(s->pathFd);
    FifoOpenTsfn tsfn = FifoOpenTsfn::New(env, info[2].As<Napi::Function>(), "FifoOpener", 0, 1);
    try {
      std::thread(RunFifoOpen, s, tsfn).detach();
    } catch (const std::system_error& e) {
      s->ReleaseFds();
      tsfn.Release();
      throw ErrnoError(env, e.code().value(), "pthread_create");
    }
    state_ = std::move(s);
  }

 private:
  // cancel() -> true if a pending open was released (it then reports ECANCELED), false if it had
  // completed already. Throws (a Node-style error, e.g. EACCES, ENFILE) if the partner open fails:
  // then the open is still pending.
  Napi::Value Cancel(const Napi::CallbackInfo& info) {
    FifoOpenState& s = *state_;
    std::lock_guard<std::mutex> lock(s.mu);
    if (s.done || s.cancelled) return Napi::Boolean::New(info.Env(), false);
    // Become the partner: an O_RDWR open of a FIFO counts as a reader and a writer and never waits
    // (Linux). Held until the thread is done, so its open returns whether it is already waiting or
    // has not started yet. The reserve fd makes room for it even when the fd table is full.
    if (s.reserveFd >= 0) {
      close(s.reserveFd);
      s.reserveFd = -1;
    }
    int partner = open(s.procPath.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (partner < 0) {
      int err = errno;
      s.reserveFd = fcntl(s.pathFd, F_DUPFD_CLOEXEC, 0);  // for the next try, if there is room
      throw ErrnoError(info.Env(), err, "open", s.path.c_str());
    }
    s.partnerFd = partner;
    s.cancelled = true;
    return Napi::Boolean::New(info.Env(), true);
  }

  std::shared_ptr<FifoOpenState> state_;
};

}  // namespace

void InitFifo(Napi::Env env, Napi::Object exports) {
  exports.Set("mkfifo", Napi::Function::New(env, Mkfifo, "mkfifo"));
  exports.Set("FifoOpener", FifoOpener::Define(env));
}

}  // namespace ipc
