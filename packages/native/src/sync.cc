// Synchronization primitives in shared memory, and named POSIX semaphores.
//
//  - futex(2) wait/wake on a 32-bit word of a SharedArrayBuffer, without FUTEX_PRIVATE_FLAG: the
//    kernel keys the wait by the page, so it works between processes that map the same memory
//    (V8's Atomics.wait/notify are emulated inside one process and cannot).
//  - unnamed POSIX semaphores (sem_init, pshared = 1) and process-shared pthread mutexes (normal,
//    errorcheck, recursive; optionally robust) placed in a SharedArrayBuffer.
//  - named POSIX semaphores (sem_open; /dev/shm/sem.NAME until sem_unlink).
//  - SyncWaiter: a wait (futex, semaphore, XSI semaphore of xsi_sem.cc) on a thread of its own that reports on the event loop,
//    so an async wait blocks neither the JS thread nor libuv's threadpool. It waits in slices of
//    kSliceMs so that cancel() takes effect within one slice; a wake-up ends a slice at once.
//
// No policy here: which memory, which offsets, who destroys what is the sync package's business.
// Timeouts are milliseconds on CLOCK_MONOTONIC (wall-clock changes do not shorten or stretch them);
// a negative or absent timeout waits for ever.
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <pthread.h>
#include <semaphore.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>

#include "deadline.h"
#include "errors.h"
#include "exports.h"
#include "io.h"
#include "shared.h"
#include "xsi_sem.h"

namespace ipc {
namespace {

// ---- futex -------------------------------------------------------------------------------------

long FutexWait(uint32_t* word, uint32_t expected, const timespec* relative) {
  return syscall(SYS_futex, word, FUTEX_WAIT, expected, relative, nullptr, 0);
}

// One FUTEX_WAIT until `deadline` (null: for ever): 0 woken, EAGAIN the word was not `expected`,
// ETIMEDOUT. EINTR is retried with the time left.
int FutexWaitUntil(uint32_t* word, uint32_t expected, const timespec* deadline) {
  for (;;) {
    timespec rel;
    if (deadline != nullptr) {
      timespec now = MonoNow();
      if (!Before(now, *deadline)) return ETIMEDOUT;
      rel.tv_sec = deadline->tv_sec - now.tv_sec;
      rel.tv_nsec = deadline->tv_nsec - now.tv_nsec;
      if (rel.tv_nsec < 0) rel.tv_sec--, rel.tv_nsec += 1000000000;
    }
    if (FutexWait(word, expected, deadline != nullptr ? &rel : nullptr) == 0) return 0;
    if (errno != EINTR) return errno;
  }
}

const char* WaitOutcome(int r) { return r == 0 ? "ok" : r == EAGAIN ? "not-equal" : "timed-out"; }

// futexWait(sab, offset, expected, timeoutMs?) -> 0 'ok' | 1 'not-equal' | 2 'timed-out' (as
// Atomics.wait; index.ts turns the number into the word): a number, because making a JS string costs
// more than the rest of a wait that does not sleep.
Napi::Value FutexWaitSync(const Napi::CallbackInfo& info) {
  SharedSpan s = ArgShared(info, 0, 1, 4, 4);
  uint32_t expected = static_cast<uint32_t>(ArgInt(info, 2, "expected"));
  int ms = TimeoutArg(info, 3);
  timespec deadline = AddMs(MonoNow(), ms);
  int r = FutexWaitUntil(static_cast<uint32_t*>(s.p), expected, ms < 0 ? nullptr : &deadline);
  if (r != 0 && r != EAGAIN && r != ETIMEDOUT) throw ErrnoError(info.Env(), r, "futex");
  return Napi::Number::New(info.Env(), r == 0 ? 0 : r == EAGAIN ? 1 : 2);
}

// futexWake(sab, offset, count) -> how many waiters were woken (in any process).
Napi::Value FutexWake(const Napi::CallbackInfo& info) {
  SharedSpan s = ArgShared(info, 0, 1, 4, 4);
  int count = ArgInt(info, 2, "count", 1);
  long n = syscall(SYS_futex, s.p, FUTEX_WAKE, count, nullptr, nullptr, 0);
  if (n < 0) ThrowErrno(info.Env(), "futex");
  return Napi::Number::New(info.Env(), static_cast<double>(n));
}

// ---- unnamed semaphores ------------------------------------------------------------------------

// sem_clockwait until `deadline` (null: sem_wait): 0 acquired, ETIMEDOUT, or another errno.
int SemWaitUntil(sem_t* sem, const timespec* deadline) {
  int r = RetryEintr([&] { return deadline != nullptr ? sem_clockwait(sem, CLOCK_MONOTONIC, deadline) : sem_wait(sem); });
  return r == 0 ? 0 : errno;
}

sem_t* SemAt(const Napi::CallbackInfo& info, SharedSpan* keep = nullptr) {
  SharedSpan s = ArgShared(info, 0, 1, sizeof(sem_t), alignof(sem_t), keep != nullptr);
  sem_t* sem = static_cast<sem_t*>(s.p);
  if (keep != nullptr) *keep = std::move(s);
  return sem;
}

// semInit(sab, offset, value): a process-shared semaphore (pshared = 1).
Napi::Value SemInit(const Napi::CallbackInfo& info) {
  sem_t* sem = SemAt(info);
  int value = ArgInt(info, 2, "value", 0);
  if (sem_init(sem, 1, static_cast<unsigned>(value)) < 0) ThrowErrno(info.Env(), "sem_init");
  return info.Env().Undefined();
}

Napi::Value SemPost(const Napi::CallbackInfo& info) {
  if (sem_post(SemAt(info)) < 0) ThrowErrno(info.Env(), "sem_post");
  return info.Env().Undefined();
}

// semTryWait -> true if a unit was taken, false if the count was 0 (EAGAIN).
Napi::Value SemTryWait(const Napi::CallbackInfo& info) {
  sem_t* sem = SemAt(info);
  if (RetryEintr([&] { return sem_trywait(sem); }) == 0) return Napi::Boolean::New(info.Env(), true);
  if (errno != EAGAIN) ThrowErrno(info.Env(), "sem_trywait");
  return Napi::Boolean::New(info.Env(), false);
}

// semWait(sab, offset, timeoutMs?) -> true, or false when the timeout passed first.
Napi::Value SemWaitSync(const Napi::CallbackInfo& info) {
  sem_t* sem = SemAt(info);
  int ms = TimeoutArg(info, 2);
  timespec deadline = AddMs(MonoNow(), ms);
  int r = SemWaitUntil(sem, ms < 0 ? nullptr : &deadline);
  if (r != 0 && r != ETIMEDOUT) throw ErrnoError(info.Env(), r, ms < 0 ? "sem_wait" : "sem_clockwait");
  return Napi::Boolean::New(info.Env(), r == 0);
}

Napi::Value SemValue(const Napi::CallbackInfo& info) {
  int v = 0;
  if (sem_getvalue(SemAt(info), &v) < 0) ThrowErrno(info.Env(), "sem_getvalue");
  return Napi::Number::New(info.Env(), v);
}

Napi::Value SemDestroy(const Napi::CallbackInfo& info) {
  if (sem_destroy(SemAt(info)) < 0) ThrowErrno(info.Env(), "sem_destroy");
  return info.Env().Undefined();
}

// ---- process-shared pthread mutexes ------------------------------------------------------------

pthread_mutex_t* MutexAt(const Napi::CallbackInfo& info) {
  return static_cast<pthread_mutex_t*>(ArgShared(info, 0, 1, sizeof(pthread_mutex_t), alignof(pthread_mutex_t)).p);
}

// mutexInit(sab, offset, type, robust): type 0 normal, 1 errorcheck, 2 recursive; always
// PTHREAD_PROCESS_SHARED (the memory is shared, whoever uses it).
Napi::Value MutexInit(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  pthread_mutex_t* m = MutexAt(info);
  int type = ArgInt(info, 2, "type", 0, 2);
  bool robust = info.Length() > 3 && info[3].ToBoolean();
  static const int kTypes[] = {PTHREAD_MUTEX_NORMAL, PTHREAD_MUTEX_ERRORCHECK, PTHREAD_MUTEX_RECURSIVE};
  pthread_mutexattr_t a;
  pthread_mutexattr_init(&a);
  int err = pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
  if (err == 0) err = pthread_mutexattr_settype(&a, kTypes[type]);
  if (err == 0 && robust) err = pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
  if (err == 0) err = pthread_mutex_init(m, &a);
  pthread_mutexattr_destroy(&a);
  if (err != 0) throw ErrnoError(env, err, "pthread_mutex_init");
  return env.Undefined();
}

// mutexLock(sab, offset, timeoutMs?) -> 0, EOWNERDEAD (locked, but its last owner died holding it:
// repair the data, then mutexConsistent) or ETIMEDOUT; throws EDEADLK, ENOTRECOVERABLE, EINVAL…
Napi::Value MutexLock(const Napi::CallbackInfo& info) {
  pthread_mutex_t* m = MutexAt(info);
  int ms = TimeoutArg(info, 2);
  int r;
  if (ms < 0) {
    r = pthread_mutex_lock(m);
  } else {
    timespec deadline = AddMs(MonoNow(), ms);
    r = pthread_mutex_clocklock(m, CLOCK_MONOTONIC, &deadline);
  }
  if (r != 0 && r != EOWNERDEAD && r != ETIMEDOUT) throw ErrnoError(info.Env(), r, ms < 0 ? "pthread_mutex_lock" : "pthread_mutex_clocklock");
  return Napi::Number::New(info.Env(), r);
}

// mutexTryLock -> 0, EBUSY or EOWNERDEAD; throws otherwise.
Napi::Value MutexTryLock(const Napi::CallbackInfo& info) {
  int r = pthread_mutex_trylock(MutexAt(info));
  if (r != 0 && r != EBUSY && r != EOWNERDEAD) throw ErrnoError(info.Env(), r, "pthread_mutex_trylock");
  return Napi::Number::New(info.Env(), r);
}

Napi::Value MutexCall(const Napi::CallbackInfo& info, int (*fn)(pthread_mutex_t*), const char* name) {
  int r = fn(MutexAt(info));
  if (r != 0) throw ErrnoError(info.Env(), r, name);
  return info.Env().Undefined();
}

Napi::Value MutexUnlock(const Napi::CallbackInfo& info) { return MutexCall(info, pthread_mutex_unlock, "pthread_mutex_unlock"); }
Napi::Value MutexConsistent(const Napi::CallbackInfo& info) { return MutexCall(info, pthread_mutex_consistent, "pthread_mutex_consistent"); }
Napi::Value MutexDestroy(const Napi::CallbackInfo& info) { return MutexCall(info, pthread_mutex_destroy, "pthread_mutex_destroy"); }

// ---- named semaphores --------------------------------------------------------------------------

// A sem_open'ed semaphore. sem_close runs when the last holder lets go: the JS object (close()) and
// any waiter thread still inside sem_clockwait on it, so a thread never waits on unmapped memory.
struct NamedSemState {
  sem_t* sem;
  explicit NamedSemState(sem_t* s) : sem(s) {}
  ~NamedSemState() { sem_close(sem); }
};

std::string NameArg(const Napi::CallbackInfo& info, size_t i) {
  if (info.Length() <= i || !info[i].IsString()) throw InvalidArgType(info.Env(), "name", "string", info[i]);
  return info[i].As<Napi::String>().Utf8Value();
}

class NamedSemaphore : public Napi::ObjectWrap<NamedSemaphore> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "NamedSemaphore",
                       {InstanceMethod<&NamedSemaphore::Post>("post"), InstanceMethod<&NamedSemaphore::TryWait>("tryWait"),
                        InstanceMethod<&NamedSemaphore::WaitSync>("wait"), InstanceMethod<&NamedSemaphore::Value>("value"),
                        InstanceMethod<&NamedSemaphore::Close>("close"), StaticMethod<&NamedSemaphore::Unlink>("unlink")});
  }

  // new NamedSemaphore(name, oflag, mode, value): sem_open(name, oflag[, mode, value]). oflag 0 opens
  // an existing one; O_CREAT|O_EXCL makes a new one or fails with EEXIST.
  explicit NamedSemaphore(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NamedSemaphore>(info) {
    name_ = NameArg(info, 0);
    int oflag = ArgInt(info, 1, "oflag", 0);
    int mode = ArgIntOr(info, 2, "mode", 0600, 0, 07777);
    int value = ArgIntOr(info, 3, "value", 0, 0);
    sem_t* s = (oflag & O_CREAT) ? sem_open(name_.c_str(), oflag, static_cast<mode_t>(mode), static_cast<unsigned>(value))
                                 : sem_open(name_.c_str(), oflag);
    if (s == SEM_FAILED) ThrowErrno(info.Env(), "sem_open", ("/dev/shm/sem." + name_.substr(name_[0] == '/' ? 1 : 0)).c_str());
    state_ = std::make_shared<NamedSemState>(s);
  }

  // The semaphore, kept open by the caller's copy; throws ERR_INVALID_STATE after close().
  std::shared_ptr<NamedSemState> Hold(Napi::Env env) {
    if (!state_) {
      Napi::Error e = Napi::Error::New(env, "ERR_INVALID_STATE: the named semaphore '" + name_ + "' is closed");
      e.Value().Set("code", "ERR_INVALID_STATE");
      throw e;
    }
    return state_;
  }

 private:
  Napi::Value Post(const Napi::CallbackInfo& info) {
    if (sem_post(Hold(info.Env())->sem) < 0) ThrowErrno(info.Env(), "sem_post");
    return info.Env().Undefined();
  }

  Napi::Value TryWait(const Napi::CallbackInfo& info) {
    sem_t* sem = Hold(info.Env())->sem;
    if (RetryEintr([&] { return sem_trywait(sem); }) == 0) return Napi::Boolean::New(info.Env(), true);
    if (errno != EAGAIN) ThrowErrno(info.Env(), "sem_trywait");
    return Napi::Boolean::New(info.Env(), false);
  }

  // wait(timeoutMs?) -> true, or false when the timeout passed first.
  Napi::Value WaitSync(const Napi::CallbackInfo& info) {
    auto s = Hold(info.Env());
    int ms = TimeoutArg(info, 0);
    timespec deadline = AddMs(MonoNow(), ms);
    int r = SemWaitUntil(s->sem, ms < 0 ? nullptr : &deadline);
    if (r != 0 && r != ETIMEDOUT) throw ErrnoError(info.Env(), r, ms < 0 ? "sem_wait" : "sem_clockwait");
    return Napi::Boolean::New(info.Env(), r == 0);
  }

  Napi::Value Value(const Napi::CallbackInfo& info) {
    int v = 0;
    if (sem_getvalue(Hold(info.Env())->sem, &v) < 0) ThrowErrno(info.Env(), "sem_getvalue");
    return Napi::Number::New(info.Env(), v);
  }

  // close(): this handle is done (sem_close once no waiter thread uses it). Idempotent.
  Napi::Value Close(const Napi::CallbackInfo& info) {
    state_.reset();
    return info.Env().Undefined();
  }

  // NamedSemaphore.unlink(name): sem_unlink. The name goes; processes that have it open keep it.
  static Napi::Value Unlink(const Napi::CallbackInfo& info) {
    std::string name = NameArg(info, 0);
    if (sem_unlink(name.c_str()) < 0) ThrowErrno(info.Env(), "sem_unlink", ("/dev/shm/sem." + name.substr(name[0] == '/' ? 1 : 0)).c_str());
    return info.Env().Undefined();
  }

  std::string name_;
  std::shared_ptr<NamedSemState> state_;
};

// ---- async waits on a thread of their own ------------------------------------------------------

// What one wait does in a slice: 0 done, ETIMEDOUT the slice (or the deadline) passed, EAGAIN
// (futex) the word had changed, anything else an error.
using WaitStep = std::function<int(const timespec* until)>;

struct WaitState {
  WaitStep step;
  std::shared_ptr<void> keep;  // the memory or the semaphore the step uses, alive until the thread ends
  bool hasDeadline = false;
  timespec deadline{};
  const char* syscall = "";
  std::atomic<bool> cancelled{false};
};

struct WaitResult {
  const char* outcome;  // 'ok' | 'not-equal' | 'timed-out' | 'cancelled', or null with err
  int err;
  const char* syscall;
};

void DeliverWait(Napi::Env env, Napi::Function cb, std::nullptr_t*, WaitResult* raw) {
  std::unique_ptr<WaitResult> r(raw);
  if (env == nullptr) return;
  if (r->outcome == nullptr) cb.Call({ErrnoError(env, r->err, r->syscall).Value(), env.Undefined()});
  else cb.Call({env.Null(), Napi::String::New(env, r->outcome)});
}

using WaitTsfn = Napi::TypedThreadSafeFunction<std::nullptr_t, WaitResult, DeliverWait>;

void RunWait(std::shared_ptr<WaitState> s, WaitTsfn tsfn) {
  pthread_setname_np(pthread_self(), "ipcc-wait");  // findable in /proc/<pid>/task/*/comm
  WaitResult* result = new WaitResult{nullptr, 0, s->syscall};
  for (;;) {
    if (s->cancelled.load()) {
      result->outcome = "cancelled";
      break;
    }
    timespec until = AddMs(MonoNow(), kSliceMs);
    bool last = s->hasDeadline && !Before(until, s->deadline);
    if (last) until = s->deadline;
    int r = s->step(&until);
    if (r == ETIMEDOUT && !last) continue;
    if (r == 0 || r == EAGAIN || r == ETIMEDOUT) result->outcome = WaitOutcome(r);
    else result->err = r;
    break;
  }
  if (tsfn.BlockingCall(result) != napi_ok) {
    delete result;  // napi_closing: the environment is going away
    return;
  }
  tsfn.Release();
}

class SyncWaiter : public Napi::ObjectWrap<SyncWaiter> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "SyncWaiter", {InstanceMethod<&SyncWaiter::Cancel>("cancel")});
  }

  // new SyncWaiter(kind, target, offsetOrNull, expected, timeoutMs, callback(err, outcome)):
  //   'futex'     target SharedArrayBuffer, offset, expected: waits while the word is `expected`
  //   'sem'       target SharedArrayBuffer, offset: sem_wait on the unnamed semaphore there
  //   'named-sem' target NamedSemaphore: sem_wait on it
  //   'xsi-sem'   target an XSI semaphore set's id, expected 1 for SEM_UNDO (else 0): semtimedop
  //               taking one unit of its semaphore 0 (EIDRM if the set is removed meanwhile)
  // outcome: 'ok' (woken / a unit taken), 'not-equal' (futex), 'timed-out', 'cancelled'.
  explicit SyncWaiter(const Napi::CallbackInfo& info) : Napi::ObjectWrap<SyncWaiter>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 6 || !info[0].IsString() || !info[5].IsFunction()) {
      Napi::TypeError e = Napi::TypeError::New(env, "SyncWaiter(kind, target, offset, expected, timeoutMs, callback)");
      e.Value().Set("code", "ERR_INVALID_ARG_TYPE");
      throw e;
    }
    std::string kind = info[0].As<Napi::String>().Utf8Value();
    auto s = std::make_shared<WaitState>();
    if (kind == "futex") {
      SharedSpan span = ArgShared(info, 1, 2, 4, 4, true);
      auto* word = static_cast<uint32_t*>(span.p);
      uint32_t expected = static_cast<uint32_t>(ArgInt(info, 3, "expected"));
      s->keep = span.store;
      s->step = [word, expected](const timespec* until) { return FutexWaitUntil(word, expected, until); };
      s->syscall = "futex";
    } else if (kind == "sem") {
      SharedSpan span = ArgShared(info, 1, 2, sizeof(sem_t), alignof(sem_t), true);
      auto* sem = static_cast<sem_t*>(span.p);
      s->keep = span.store;
      s->step = [sem](const timespec* until) { return SemWaitUntil(sem, until); };
      s->syscall = "sem_clockwait";
    } else if (kind == "named-sem") {
      if (!info[1].IsObject()) throw InvalidArgType(env, "target", "NamedSemaphore", info[1]);
      auto held = NamedSemaphore::Unwrap(info[1].As<Napi::Object>())->Hold(env);
      sem_t* sem = held->sem;
      s->keep = held;
      s->step = [sem](const timespec* until) { return SemWaitUntil(sem, until); };
      s->syscall = "sem_clockwait";
    } else if (kind == "xsi-sem") {
      int id = ArgInt(info, 1, "id", 0);
      bool undo = ArgInt(info, 3, "undo", 0, 1) == 1;
      s->step = XsiSemWaitStep(env, id, undo);  // checks the id now: EINVAL, EACCES throw here
      s->syscall = "semtimedop";
    } else {
      Napi::RangeError e = Napi::RangeError::New(env, "kind must be 'futex', 'sem', 'named-sem' or 'xsi-sem'");
      e.Value().Set("code", "ERR_OUT_OF_RANGE");
      throw e;
    }
    int ms = TimeoutArg(info, 4);
    s->hasDeadline = ms >= 0;
    s->deadline = AddMs(MonoNow(), ms < 0 ? 0 : ms);
    WaitTsfn tsfn = WaitTsfn::New(env, info[5].As<Napi::Function>(), "SyncWaiter", 0, 1);
    try {
      std::thread(RunWait, s, tsfn).detach();
    } catch (const std::system_error& e) {
      tsfn.Release();
      throw ErrnoError(env, e.code().value(), "pthread_create");
    }
    state_ = std::move(s);
  }

 private:
  // cancel(): the wait ends within one slice, reporting 'cancelled' — unless it completed first
  // (then it reports what it got: a semaphore unit taken is the caller's to give back).
  Napi::Value Cancel(const Napi::CallbackInfo& info) {
    state_->cancelled.store(true);
    return info.Env().Undefined();
  }

  std::shared_ptr<WaitState> state_;
};

// ---- a persistent futex waiter ------------------------------------------------------------------

// FutexWatcher(buffer, offset, callback(outcome)): one thread of its own for the watcher's whole life
// (SyncWaiter starts one per wait: tens of µs each). watch(expected) hands it one FUTEX_WAIT on the
// word (while it is `expected`); the callback gets 'ok', 'not-equal' or 'cancelled' on the JS thread.
// cancel() ends the current watch within a slice; close() ends the thread. While no watch is
// pending the watcher does not keep the event loop alive.
struct WatchState {
  std::mutex m;
  std::condition_variable cv;
  bool armed = false;
  bool closing = false;
  uint32_t expected = 0;
  std::atomic<bool> cancelled{false};
  uint32_t* word = nullptr;
  std::shared_ptr<v8::BackingStore> keep;
  napi_threadsafe_function tsfn = nullptr;  // unref'd on the JS thread when a watch's outcome is delivered
};

// What a watch ended with; the thread passes a pointer to one of these (static: nothing to free).
int kWatchOk = 0, kWatchNotEqual = 1, kWatchCancelled = 2;
const char* const kWatchNames[] = {"ok", "not-equal", "cancelled"};

void DeliverWatch(Napi::Env env, Napi::Function cb, WatchState* s, int* outcome) {
  if (env == nullptr) return;
  napi_unref_threadsafe_function(env, s->tsfn);  // idle until the next watch()
  cb.Call({Napi::String::New(env, kWatchNames[*outcome])});
}

using WatchTsfn = Napi::TypedThreadSafeFunction<WatchState, int, DeliverWatch>;

void RunWatch(std::shared_ptr<WatchState> s, WatchTsfn tsfn) {
  pthread_setname_np(pthread_self(), "ipcc-watch");
  for (;;) {
    uint32_t expected;
    {
      std::unique_lock<std::mutex> lk(s->m);
      s->cv.wait(lk, [&] { return s->armed || s->closing; });
      if (s->closing) break;
      s->armed = false;
      expected = s->expected;
    }
    int* outcome = nullptr;
    while (outcome == nullptr) {
      if (s->cancelled.load()) {
        outcome = &kWatchCancelled;
        break;
      }
      timespec until = AddMs(MonoNow(), kSliceMs);
      int r = FutexWaitUntil(s->word, expected, &until);
      if (r == 0) outcome = &kWatchOk;
      else if (r == EAGAIN) outcome = &kWatchNotEqual;
      else if (r != ETIMEDOUT) outcome = &kWatchCancelled;  // EFAULT cannot happen: `keep` holds the mapping
    }
    if (tsfn.BlockingCall(outcome) != napi_ok) break;
  }
  tsfn.Release();
}

class FutexWatcher : public Napi::ObjectWrap<FutexWatcher> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "FutexWatcher", {InstanceMethod<&FutexWatcher::Watch>("watch"), InstanceMethod<&FutexWatcher::Cancel>("cancel"), InstanceMethod<&FutexWatcher::Close>("close")});
  }

  explicit FutexWatcher(const Napi::CallbackInfo& info) : Napi::ObjectWrap<FutexWatcher>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 3 || !info[2].IsFunction()) throw InvalidArgType(env, "callback", "function", info.Length() > 2 ? napi_value(info[2]) : nullptr);
    SharedSpan span = ArgShared(info, 0, 1, 4, 4, true);
    auto s = std::make_shared<WatchState>();
    s->word = static_cast<uint32_t*>(span.p);
    s->keep = span.store;
    tsfn_ = WatchTsfn::New(env, info[2].As<Napi::Function>(), "FutexWatcher", 0, 1, s.get());
    s->tsfn = tsfn_;
    tsfn_.Unref(env);
    try {
      thread_ = std::thread(RunWatch, s, tsfn_);
    } catch (const std::system_error& e) {
      tsfn_.Release();
      throw ErrnoError(env, e.code().value(), "pthread_create");
    }
    state_ = std::move(s);
    // At exit, end the thread while its thread-safe function is still valid: a thread that called
    // Release() during the environment's teardown aborted the process.
    env_ = env;
    napi_add_env_cleanup_hook(env_, AtExit, this);
    hooked_ = true;
  }

 private:
  // watch(expected): one wait; the callback says how it ended. One watch at a time.
  Napi::Value Watch(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint32_t expected = static_cast<uint32_t>(ArgInt(info, 0, "expected"));
    {
      std::lock_guard<std::mutex> lk(state_->m);
      if (state_->closing) throw Napi::Error::New(env, "the watcher is closed");
      state_->expected = expected;
      state_->cancelled.store(false);
      state_->armed = true;
    }
    state_->cv.notify_one();
    tsfn_.Ref(env);
    return env.Undefined();
  }

  // cancel(): the current watch ends within a slice, its callback saying 'cancelled' (unless it ended first).
  Napi::Value Cancel(const Napi::CallbackInfo& info) {
    state_->cancelled.store(true);
    return info.Env().Undefined();
  }

  // close(): ends the thread and waits for it (at once: it is woken from its futex wait), so that no
  // thread of ours is still running when the process exits and Node tears the environment down.
  Napi::Value Close(const Napi::CallbackInfo& info) {
    Shutdown();
    return info.Env().Undefined();
  }

  void Shutdown() {
    if (hooked_) napi_remove_env_cleanup_hook(env_, AtExit, this);
    hooked_ = false;
    if (!thread_.joinable()) return;
    {
      std::lock_guard<std::mutex> lk(state_->m);
      state_->closing = true;
    }
    state_->cancelled.store(true);
    state_->cv.notify_one();
    syscall(SYS_futex, state_->word, FUTEX_WAKE, INT32_MAX, nullptr, nullptr, 0);  // spurious for others: they re-check
    thread_.join();
  }

  static void AtExit(void* self) {
    auto* w = static_cast<FutexWatcher*>(self);
    w->hooked_ = false;  // being run: not to be removed
    w->Shutdown();
  }

  std::shared_ptr<WatchState> state_;
  WatchTsfn tsfn_;
  std::thread thread_;
  napi_env env_ = nullptr;
  bool hooked_ = false;

 public:
  // Collected without close(): the thread must not wait for ever on a watcher nobody has.
  ~FutexWatcher() override {
    if (state_) Shutdown();
  }
};

}  // namespace

void InitSync(Napi::Env env, Napi::Object exports) {
  exports.Set("futexWait", Napi::Function::New(env, FutexWaitSync, "futexWait"));
  exports.Set("futexWake", Napi::Function::New(env, FutexWake, "futexWake"));
  exports.Set("semInit", Napi::Function::New(env, SemInit, "semInit"));
  exports.Set("semPost", Napi::Function::New(env, SemPost, "semPost"));
  exports.Set("semTryWait", Napi::Function::New(env, SemTryWait, "semTryWait"));
  exports.Set("semWait", Napi::Function::New(env, SemWaitSync, "semWait"));
  exports.Set("semValue", Napi::Function::New(env, SemValue, "semValue"));
  exports.Set("semDestroy", Napi::Function::New(env, SemDestroy, "semDestroy"));
  exports.Set("mutexInit", Napi::Function::New(env, MutexInit, "mutexInit"));
  exports.Set("mutexLock", Napi::Function::New(env, MutexLock, "mutexLock"));
  exports.Set("mutexTryLock", Napi::Function::New(env, MutexTryLock, "mutexTryLock"));
  exports.Set("mutexUnlock", Napi::Function::New(env, MutexUnlock, "mutexUnlock"));
  exports.Set("mutexConsistent", Napi::Function::New(env, MutexConsistent, "mutexConsistent"));
  exports.Set("mutexDestroy", Napi::Function::New(env, MutexDestroy, "mutexDestroy"));
  exports.Set("NamedSemaphore", NamedSemaphore::Define(env));
  exports.Set("SyncWaiter", SyncWaiter::Define(env));
  exports.Set("FutexWatcher", FutexWatcher::Define(env));
  Napi::Object sizes = Napi::Object::New(env);
  sizes.Set("sem", Napi::Number::New(env, sizeof(sem_t)));
  sizes.Set("mutex", Napi::Number::New(env, sizeof(pthread_mutex_t)));
  sizes.Set("rwlock", Napi::Number::New(env, sizeof(pthread_rwlock_t)));
  sizes.Set("cond", Napi::Number::New(env, sizeof(pthread_cond_t)));
  exports.Set("syncSizes", sizes);
}

}  // namespace ipc
