// FIFOs (named pipes): mkfifo(2), and an open(2) that waits for the partner without blocking Node.
//
// Opening a FIFO blocks until the other side opens it too (a reader waits for a writer and vice
// versa). fs.open would do that wait on a libuv threadpool thread — four such waits and every fs call
// of the process hangs. FifoOpener does it on a thread of its own instead, reports on the event loop,
// and can be cancelled: it opens the FIFO itself (O_RDWR, which counts as reader and writer and never
// waits) and keeps that open until the thread is done, which releases the open whenever it happens.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <mutex>
#include <string>
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

class FifoOpener : public Napi::ObjectWrap<FifoOpener> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "FifoOpener",
                       {InstanceMethod<&FifoOpener::Wait>("wait"), InstanceMethod<&FifoOpener::Cancel>("cancel")});
  }

  // new FifoOpener(path, flags, callback(err, fd)): flags O_RDONLY or O_WRONLY (O_CLOEXEC is added).
  // Throws at once (ENOENT, EACCES, ERR_NOT_FIFO…) if the path cannot be a FIFO to wait on.
  explicit FifoOpener(const Napi::CallbackInfo& info) : Napi::ObjectWrap<FifoOpener>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 3 || !info[0].IsString() || !info[2].IsFunction()) {
      Napi::TypeError e = Napi::TypeError::New(env, "FifoOpener(path: string, flags: number, callback: function)");
      e.Value().Set("code", "ERR_INVALID_ARG_TYPE");
      throw e;
    }
    path_ = info[0].As<Napi::String>().Utf8Value();
    flags_ = ArgInt(info, 1, "flags") & O_ACCMODE;
    if (flags_ != O_RDONLY && flags_ != O_WRONLY) {
      Napi::RangeError e = Napi::RangeError::New(env, "flags must be O_RDONLY or O_WRONLY");
      e.Value().Set("code", "ERR_OUT_OF_RANGE");
      throw e;
    }
    // Pin down the FIFO itself (O_PATH does not open it for I/O, so it does not wait): later opens go
    // through /proc/self/fd/N, so unlinking or replacing the name cannot strand the waiting thread.
    pathFd_ = open(path_.c_str(), O_PATH | O_CLOEXEC);
    if (pathFd_ < 0) ThrowErrno(env, "open", path_.c_str());
    struct stat st;
    if (fstat(pathFd_, &st) < 0 || !S_ISFIFO(st.st_mode)) {
      close(pathFd_);
      Napi::Error e = Napi::Error::New(env, "ERR_NOT_FIFO: not a FIFO, open '" + path_ + "'");
      e.Value().Set("code", "ERR_NOT_FIFO");
      e.Value().Set("path", path_);
      throw e;
    }
    procPath_ = "/proc/self/fd/" + std::to_string(pathFd_);
    tsfn_ = Napi::ThreadSafeFunction::New(env, info[2].As<Napi::Function>(), "FifoOpener", 0, 1);
    Ref();  // alive until the thread has reported
    std::thread([this] { Run(); }).detach();
  }

  ~FifoOpener() override {
    if (pathFd_ >= 0) close(pathFd_);
  }

 private:
  void Run() {
    int fd;
    fd = RetryEintr([&] { return open(procPath_.c_str(), flags_ | O_CLOEXEC); });
    int err = fd < 0 ? errno : 0;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (cancelled_ && fd >= 0) {
        close(fd);
        fd = -1;
        err = ECANCELED;
      }
      done_ = true;
      fd_ = fd;
      err_ = err;
      // cancel() only uses these before done_, so they can go now.
      close(pathFd_);
      pathFd_ = -1;
      if (partnerFd_ >= 0) close(partnerFd_);
      partnerFd_ = -1;
    }
    cv_.notify_all();
    tsfn_.BlockingCall(this, [](Napi::Env env, Napi::Function cb, FifoOpener* self) {
      int fd, err;
      bool taken;
      {
        std::lock_guard<std::mutex> lock(self->mu_);
        fd = self->fd_;
        err = self->err_;
        taken = self->taken_;
        self->taken_ = true;
      }
      // After wait() took the fd, the callback only says "done" (fd -1, no error).
      if (taken) cb.Call({env.Null(), Napi::Number::New(env, -1)});
      else if (err != 0) cb.Call({ErrnoError(env, err, "open", self->path_.c_str()).Value(), Napi::Number::New(env, -1)});
      else cb.Call({env.Null(), Napi::Number::New(env, fd)});
      self->Unref();
    });
    tsfn_.Release();
  }

  // wait() -> fd: blocks the calling thread until the open completes (the blocking path needs the fd
  // now). The callback then reports fd -1.
  Napi::Value Wait(const Napi::CallbackInfo& info) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return done_; });
    if (taken_) {
      Napi::Error e = Napi::Error::New(info.Env(), "the fd was already delivered");
      e.Value().Set("code", "ERR_INVALID_STATE");
      throw e;
    }
    taken_ = true;
    if (err_ != 0) throw ErrnoError(info.Env(), err_, "open", path_.c_str());
    return Napi::Number::New(info.Env(), fd_);
  }

  // cancel() -> true if a pending open was released (it then reports ECANCELED).
  Napi::Value Cancel(const Napi::CallbackInfo& info) {
    std::lock_guard<std::mutex> lock(mu_);
    if (done_ || cancelled_) return Napi::Boolean::New(info.Env(), false);
    cancelled_ = true;
    // Become the partner: an O_RDWR open of a FIFO counts as a reader and a writer and never waits
    // (Linux). Held until the thread is done, so its open returns whether it is already waiting or
    // has not started yet.
    partnerFd_ = open(procPath_.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
    return Napi::Boolean::New(info.Env(), true);
  }

  std::string path_;
  std::string procPath_;
  int flags_ = O_RDONLY;
  int pathFd_ = -1;
  int partnerFd_ = -1;
  Napi::ThreadSafeFunction tsfn_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  bool cancelled_ = false;
  bool taken_ = false;
  int fd_ = -1;
  int err_ = 0;
};

}  // namespace

void InitFifo(Napi::Env env, Napi::Object exports) {
  exports.Set("mkfifo", Napi::Function::New(env, Mkfifo, "mkfifo"));
  exports.Set("FifoOpener", FifoOpener::Define(env));
}

}  // namespace ipc
