// Poller: readiness of an arbitrary fd, delivered on Node's event loop through libuv's uv_poll_t.
// Node's own handles only accept fds libuv recognises (TCP, pipes, TTYs, UDP); datagram and
// seqpacket AF_UNIX sockets, FIFOs opened by hand, eventfds… need this to be asynchronous without
// blocking the loop or parking a threadpool thread.
#include <uv.h>

#include "errors.h"
#include "exports.h"

namespace ipc {
namespace {

class Poller : public Napi::ObjectWrap<Poller> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Poller",
                       {InstanceMethod<&Poller::Start>("start"), InstanceMethod<&Poller::Stop>("stop"),
                        InstanceMethod<&Poller::Close>("close"), InstanceMethod<&Poller::SetRef>("ref"),
                        InstanceMethod<&Poller::SetUnref>("unref")});
  }

  // new Poller(fd, callback(status, events)); status < 0 is a negative errno (e.g. -EBADF).
  explicit Poller(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Poller>(info), env_(info.Env()) {
    int fd = ArgFd(info, 0);
    if (info.Length() < 2 || !info[1].IsFunction()) {
      Napi::TypeError e = Napi::TypeError::New(env_, "The \"callback\" argument must be a function");
      e.Value().Set("code", "ERR_INVALID_ARG_TYPE");
      throw e;
    }
    uv_loop_t* loop = nullptr;
    if (napi_get_uv_event_loop(env_, &loop) != napi_ok) throw Napi::Error::New(env_, "no event loop");
    handle_ = new uv_poll_t;
    // uv_poll_init also switches the fd to O_NONBLOCK.
    int r = uv_poll_init(loop, handle_, fd);
    if (r < 0) {
      delete handle_;
      handle_ = nullptr;
      throw ErrnoError(env_, -r, "uv_poll_init");
    }
    handle_->data = this;
    callback_ = Napi::Persistent(info[1].As<Napi::Function>());
  }

  ~Poller() override { CloseHandle(); }

 private:
  static void OnEvent(uv_poll_t* handle, int status, int events) {
    auto* self = static_cast<Poller*>(handle->data);
    Napi::HandleScope scope(self->env_);
    try {
      // MakeCallback (not Call) so that promises resolved in the callback run their continuations
      // right after it, as they do after any libuv callback in Node.
      self->callback_.MakeCallback(self->Value(), {Napi::Number::New(self->env_, status),
                                                   Napi::Number::New(self->env_, events)});
    } catch (const Napi::Error& e) {
      napi_fatal_exception(self->env_, e.Value());
    }
  }

  void EnsureOpen() {
    if (handle_ == nullptr) {
      Napi::Error e = Napi::Error::New(env_, "Poller is closed");
      e.Value().Set("code", "ERR_POLLER_CLOSED");
      throw e;
    }
  }

  // start(events): UV_READABLE | UV_WRITABLE | UV_DISCONNECT. Calling it again changes the events.
  void Start(const Napi::CallbackInfo& info) {
    EnsureOpen();
    int events = ArgInt(info, 0, "events");
    int r = uv_poll_start(handle_, events, OnEvent);
    if (r < 0) throw ErrnoError(env_, -r, "uv_poll_start");
    if (!active_) {
      Ref();  // an active watcher must not be garbage collected
      active_ = true;
    }
  }

  void Stop(const Napi::CallbackInfo& info) {
    if (handle_ == nullptr) return;
    uv_poll_stop(handle_);
    if (active_) {
      active_ = false;
      Unref();
    }
  }

  // close(): stops watching and releases the handle. The fd itself is not closed (its owner does that)
  // and may be closed right after this returns: uv_close removes it from epoll synchronously.
  void Close(const Napi::CallbackInfo& info) {
    Stop(info);
    CloseHandle();
  }

  void SetRef(const Napi::CallbackInfo& info) {
    if (handle_ != nullptr) uv_ref(reinterpret_cast<uv_handle_t*>(handle_));
  }
  void SetUnref(const Napi::CallbackInfo& info) {
    if (handle_ != nullptr) uv_unref(reinterpret_cast<uv_handle_t*>(handle_));
  }

  void CloseHandle() {
    if (handle_ == nullptr) return;
    handle_->data = nullptr;
    uv_close(reinterpret_cast<uv_handle_t*>(handle_),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
    handle_ = nullptr;
  }

  Napi::Env env_;
  uv_poll_t* handle_ = nullptr;
  Napi::FunctionReference callback_;
  bool active_ = false;
};

}  // namespace

void InitPoller(Napi::Env env, Napi::Object exports) {
  exports.Set("Poller", Poller::Define(env));
  Napi::Object c = exports.Get("constants").As<Napi::Object>();
  c.Set("UV_READABLE", static_cast<int>(UV_READABLE));
  c.Set("UV_WRITABLE", static_cast<int>(UV_WRITABLE));
  c.Set("UV_DISCONNECT", static_cast<int>(UV_DISCONNECT));
}

}  // namespace ipc
