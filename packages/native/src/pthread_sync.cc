// Process-shared pthread rwlocks and condition variables in shared memory, and LockAgent: the async
// form of the owned pthread locks (mutex, rwlock).
//
//  - rwlock: pthread_rwlock_t, PTHREAD_PROCESS_SHARED; optionally writer-preferring (glibc's default
//    prefers readers, and a steady stream of readers then starves writers for ever).
//  - cond: pthread_cond_t, PTHREAD_PROCESS_SHARED, clock CLOCK_MONOTONIC (pthread_condattr_setclock,
//    so a C peer's pthread_cond_timedwait on it measures the same clock); waits use
//    pthread_cond_clockwait(CLOCK_MONOTONIC).
//  - LockAgent: a pthread lock belongs to the thread that took it (an errorcheck or robust mutex
//    refuses anyone else's unlock with EPERM; glibc tells a writer's rwlock unlock from a reader's by
//    the calling thread's tid). So a waiter thread cannot take the lock for the JS thread and hand it
//    over. The agent is a thread of its own that takes the lock (in slices of kSliceMs, so cancel and
//    the timeout are seen), reports on the event loop, then keeps holding it and does what JS asks on
//    its behalf: unlock (and end), pthread_mutex_consistent, or a cond wait with the mutex it holds.
//    If the process dies, the thread dies with it: the kernel walks its robust list, so a robust
//    mutex reports EOWNERDEAD to the next locker as for any other dead owner.
//
// Thread lifetime rules as in fifo.cc: the agent thread touches nothing of the JS object; it shares a
// reference-counted AgentState with it; it reports through its own copy of the tsfn and does nothing
// with it after Release(); napi_closing (the environment is going away) makes it unlock and end.
#include <errno.h>
#include <pthread.h>
#include <time.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>

#include "deadline.h"
#include "errors.h"
#include "exports.h"
#include "shared.h"

namespace ipc {
namespace {

template <typename T>
T* PrimitiveAt(const Napi::CallbackInfo& info, size_t bufArg, size_t offArg, SharedSpan* keep = nullptr) {
  SharedSpan s = ArgShared(info, bufArg, offArg, sizeof(T), alignof(T), keep != nullptr);
  T* p = static_cast<T*>(s.p);
  if (keep != nullptr) *keep = std::move(s);
  return p;
}

Napi::Error InvalidState(Napi::Env env, const std::string& msg) {
  Napi::Error e = Napi::Error::New(env, msg);
  e.Value().Set("code", "ERR_INVALID_STATE");
  return e;
}

// ---- rwlock ------------------------------------------------------------------------------------

// rwlockInit(sab, offset, preferWriters): PTHREAD_PROCESS_SHARED; preferWriters picks glibc's
// PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP (a waiting writer holds back new readers).
Napi::Value RwlockInit(const Napi::CallbackInfo& info) {
  auto* l = PrimitiveAt<pthread_rwlock_t>(info, 0, 1);
  bool preferWriters = info.Length() > 2 && info[2].ToBoolean();
  pthread_rwlockattr_t a;
  pthread_rwlockattr_init(&a);
  int err = pthread_rwlockattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
  if (err == 0 && preferWriters) err = pthread_rwlockattr_setkind_np(&a, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
  if (err == 0) err = pthread_rwlock_init(l, &a);
  pthread_rwlockattr_destroy(&a);
  if (err != 0) throw ErrnoError(info.Env(), err, "pthread_rwlock_init");
  return info.Env().Undefined();
}

// The lock call for a reader or a writer, until `until` (null: for ever).
int RwlockUntil(pthread_rwlock_t* l, bool write, const timespec* until) {
  if (until == nullptr) return write ? pthread_rwlock_wrlock(l) : pthread_rwlock_rdlock(l);
  return write ? pthread_rwlock_clockwrlock(l, CLOCK_MONOTONIC, until) : pthread_rwlock_clockrdlock(l, CLOCK_MONOTONIC, until);
}

// rwlockRdLock / rwlockWrLock(sab, offset, timeoutMs?) -> 0 or ETIMEDOUT; throws EDEADLK (this
// thread holds it for writing already), EAGAIN (too many readers)…
Napi::Value RwlockLock(const Napi::CallbackInfo& info, bool write) {
  auto* l = PrimitiveAt<pthread_rwlock_t>(info, 0, 1);
  int ms = TimeoutArg(info, 2);
  timespec deadline = AddMs(MonoNow(), ms < 0 ? 0 : ms);
  int r = RwlockUntil(l, write, ms < 0 ? nullptr : &deadline);
  if (r != 0 && r != ETIMEDOUT) {
    const char* name = write ? (ms < 0 ? "pthread_rwlock_wrlock" : "pthread_rwlock_clockwrlock") : (ms < 0 ? "pthread_rwlock_rdlock" : "pthread_rwlock_clockrdlock");
    throw ErrnoError(info.Env(), r, name);
  }
  return Napi::Number::New(info.Env(), r);
}
Napi::Value RwlockRdLock(const Napi::CallbackInfo& info) { return RwlockLock(info, false); }
Napi::Value RwlockWrLock(const Napi::CallbackInfo& info) { return RwlockLock(info, true); }

// rwlockTryRdLock / rwlockTryWrLock -> 0 or EBUSY; throws otherwise.
Napi::Value RwlockTry(const Napi::CallbackInfo& info, bool write) {
  auto* l = PrimitiveAt<pthread_rwlock_t>(info, 0, 1);
  int r = write ? pthread_rwlock_trywrlock(l) : pthread_rwlock_tryrdlock(l);
  if (r != 0 && r != EBUSY) throw ErrnoError(info.Env(), r, write ? "pthread_rwlock_trywrlock" : "pthread_rwlock_tryrdlock");
  return Napi::Number::New(info.Env(), r);
}
Napi::Value RwlockTryRdLock(const Napi::CallbackInfo& info) { return RwlockTry(info, false); }
Napi::Value RwlockTryWrLock(const Napi::CallbackInfo& info) { return RwlockTry(info, true); }

Napi::Value RwlockCall(const Napi::CallbackInfo& info, int (*fn)(pthread_rwlock_t*), const char* name) {
  int r = fn(PrimitiveAt<pthread_rwlock_t>(info, 0, 1));
  if (r != 0) throw ErrnoError(info.Env(), r, name);
  return info.Env().Undefined();
}
Napi::Value RwlockUnlock(const Napi::CallbackInfo& info) { return RwlockCall(info, pthread_rwlock_unlock, "pthread_rwlock_unlock"); }
Napi::Value RwlockDestroy(const Napi::CallbackInfo& info) { return RwlockCall(info, pthread_rwlock_destroy, "pthread_rwlock_destroy"); }

// ---- cond --------------------------------------------------------------------------------------

// condInit(sab, offset): PTHREAD_PROCESS_SHARED, CLOCK_MONOTONIC.
Napi::Value CondInit(const Napi::CallbackInfo& info) {
  auto* c = PrimitiveAt<pthread_cond_t>(info, 0, 1);
  pthread_condattr_t a;
  pthread_condattr_init(&a);
  int err = pthread_condattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
  if (err == 0) err = pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
  if (err == 0) err = pthread_cond_init(c, &a);
  pthread_condattr_destroy(&a);
  if (err != 0) throw ErrnoError(info.Env(), err, "pthread_cond_init");
  return info.Env().Undefined();
}

// One wait, until `deadline` (null: for ever). Returns with the mutex held, whatever the result.
int CondWaitUntil(pthread_cond_t* c, pthread_mutex_t* m, const timespec* deadline) {
  return deadline == nullptr ? pthread_cond_wait(c, m) : pthread_cond_clockwait(c, m, CLOCK_MONOTONIC, deadline);
}

// condWait(condSab, condOffset, mutexSab, mutexOffset, timeoutMs?) -> 0 (signalled, or a spurious
// wake-up), ETIMEDOUT or EOWNERDEAD (robust mutex: its holder died; held now). Throws EPERM (an
// errorcheck or robust mutex this thread does not hold)…
Napi::Value CondWaitSync(const Napi::CallbackInfo& info) {
  auto* c = PrimitiveAt<pthread_cond_t>(info, 0, 1);
  auto* m = PrimitiveAt<pthread_mutex_t>(info, 2, 3);
  int ms = TimeoutArg(info, 4);
  timespec deadline = AddMs(MonoNow(), ms < 0 ? 0 : ms);
  int r = CondWaitUntil(c, m, ms < 0 ? nullptr : &deadline);
  if (r != 0 && r != ETIMEDOUT && r != EOWNERDEAD) throw ErrnoError(info.Env(), r, ms < 0 ? "pthread_cond_wait" : "pthread_cond_clockwait");
  return Napi::Number::New(info.Env(), r);
}

Napi::Value CondCall(const Napi::CallbackInfo& info, int (*fn)(pthread_cond_t*), const char* name) {
  int r = fn(PrimitiveAt<pthread_cond_t>(info, 0, 1));
  if (r != 0) throw ErrnoError(info.Env(), r, name);
  return info.Env().Undefined();
}
Napi::Value CondSignal(const Napi::CallbackInfo& info) { return CondCall(info, pthread_cond_signal, "pthread_cond_signal"); }
Napi::Value CondBroadcast(const Napi::CallbackInfo& info) { return CondCall(info, pthread_cond_broadcast, "pthread_cond_broadcast"); }
Napi::Value CondDestroy(const Napi::CallbackInfo& info) { return CondCall(info, pthread_cond_destroy, "pthread_cond_destroy"); }

// ---- LockAgent ---------------------------------------------------------------------------------

enum class LockKind { kMutex, kRead, kWrite };
enum class Phase { kAcquiring, kHolding, kCondWaiting, kDone };
enum class Cmd { kNone, kRelease, kConsistent, kCondWait };

struct AgentState {
  LockKind kind = LockKind::kMutex;
  void* lock = nullptr;  // pthread_mutex_t* or pthread_rwlock_t*
  std::shared_ptr<v8::BackingStore> keep;
  bool hasDeadline = false;
  timespec deadline{};
  napi_threadsafe_function tsfn = nullptr;  // for Deliver's unref (JS thread only)

  // The pending acquisition or cond wait ends ('cancelled').
  std::atomic<bool> cancelled{false};

  // JS ↔ agent, under m: one command at a time; the sync ones (release, consistent) wait for `reply`.
  std::mutex m;
  std::condition_variable cv;
  Phase phase = Phase::kAcquiring;
  Cmd cmd = Cmd::kNone;
  bool shutdown = false;  // the environment is going away (or the handle was collected): unlock, end
  bool replied = false;
  int reply = 0;
  pthread_cond_t* cond = nullptr;
  std::shared_ptr<v8::BackingStore> condKeep;
  bool condHasDeadline = false;
  timespec condDeadline{};

  // Cond waits started / finished: a canceller broadcasts until its wait has finished.
  std::atomic<uint64_t> condStarted{0};
  std::atomic<uint64_t> condFinished{0};
};

struct AgentEvent {
  const char* what;  // 'locked' | 'owner-dead' | 'ok' | 'timed-out' | 'cancelled' | 'error'
  int err;
  const char* syscall;
  bool holding;  // the agent holds the lock after this event (and idles until the next command)
  std::shared_ptr<AgentState> state;
};

void DeliverAgent(Napi::Env env, Napi::Function cb, std::nullptr_t*, AgentEvent* raw) {
  std::unique_ptr<AgentEvent> ev(raw);
  if (env == nullptr) return;
  // Holding and idle, the agent waits for JS only: it must not keep the process alive on its own.
  if (ev->holding) napi_unref_threadsafe_function(env, ev->state->tsfn);
  Napi::Value err = ev->err != 0 ? ErrnoError(env, ev->err, ev->syscall).Value() : env.Null();
  cb.Call({err, Napi::String::New(env, ev->what)});
}

using AgentTsfn = Napi::TypedThreadSafeFunction<std::nullptr_t, AgentEvent, DeliverAgent>;

const char* LockSyscall(LockKind k) {
  return k == LockKind::kMutex ? "pthread_mutex_clocklock" : k == LockKind::kRead ? "pthread_rwlock_clockrdlock" : "pthread_rwlock_clockwrlock";
}

int LockUntil(AgentState& s, const timespec* until) {
  if (s.kind == LockKind::kMutex) return pthread_mutex_clocklock(static_cast<pthread_mutex_t*>(s.lock), CLOCK_MONOTONIC, until);
  return RwlockUntil(static_cast<pthread_rwlock_t*>(s.lock), s.kind == LockKind::kWrite, until);
}

int Unlock(AgentState& s) {
  if (s.kind == LockKind::kMutex) return pthread_mutex_unlock(static_cast<pthread_mutex_t*>(s.lock));
  return pthread_rwlock_unlock(static_cast<pthread_rwlock_t*>(s.lock));
}

// Takes the lock in slices: 0, EOWNERDEAD (held), ETIMEDOUT, ECANCELED, or another errno.
int Acquire(AgentState& s) {
  for (;;) {
    if (s.cancelled.load()) return ECANCELED;
    {
      std::lock_guard<std::mutex> lk(s.m);
      if (s.shutdown) return ECANCELED;
    }
    timespec until = AddMs(MonoNow(), kSliceMs);
    bool last = s.hasDeadline && !Before(until, s.deadline);
    if (last) until = s.deadline;
    int r = LockUntil(s, &until);
    if (r == ETIMEDOUT && !last) continue;
    return r;
  }
}

// Queues an event; false if the environment is closing (then nobody will ever ask for the lock back).
bool Report(AgentTsfn& tsfn, const std::shared_ptr<AgentState>& s, const char* what, int err, const char* syscall, bool holding) {
  auto* ev = new AgentEvent{what, err, syscall, holding, s};
  if (tsfn.BlockingCall(ev) != napi_ok) {
    delete ev;
    return false;
  }
  return true;
}

void RunAgent(std::shared_ptr<AgentState> s, AgentTsfn tsfn) {
  int r = Acquire(*s);
  bool held = r == 0 || r == EOWNERDEAD;
  if (held) {
    std::lock_guard<std::mutex> lk(s->m);
    s->phase = Phase::kHolding;
  }
  const char* what = r == 0 ? "locked" : r == EOWNERDEAD ? "owner-dead" : r == ETIMEDOUT ? "timed-out" : r == ECANCELED ? "cancelled" : "error";
  bool reported = Report(tsfn, s, what, (held || r == ETIMEDOUT || r == ECANCELED) ? 0 : r, LockSyscall(s->kind), held);
  if (!held) {
    std::lock_guard<std::mutex> lk(s->m);
    s->phase = Phase::kDone;
  }
  if (!reported) {
    if (held) Unlock(*s);
    return;
  }
  if (!held) {
    tsfn.Release();
    return;
  }
  for (;;) {
    std::unique_lock<std::mutex> lk(s->m);
    s->cv.wait(lk, [&] { return s->cmd != Cmd::kNone || s->shutdown; });
    Cmd cmd = s->cmd;
    s->cmd = Cmd::kNone;
    if (cmd == Cmd::kRelease || (cmd == Cmd::kNone && s->shutdown)) {
      s->reply = Unlock(*s);
      s->replied = true;
      s->phase = Phase::kDone;
      lk.unlock();
      s->cv.notify_all();
      break;
    }
    if (cmd == Cmd::kConsistent) {
      s->reply = pthread_mutex_consistent(static_cast<pthread_mutex_t*>(s->lock));
      s->replied = true;
      lk.unlock();
      s->cv.notify_all();
      continue;
    }
    // Cmd::kCondWait
    pthread_cond_t* cond = s->cond;
    bool hasDeadline = s->condHasDeadline;
    timespec deadline = s->condDeadline;
    uint64_t gen = s->condStarted.load();
    lk.unlock();
    int w = s->cancelled.load() ? ECANCELED : CondWaitUntil(cond, static_cast<pthread_mutex_t*>(s->lock), hasDeadline ? &deadline : nullptr);
    s->condFinished.store(gen);
    bool cancelled = s->cancelled.load();
    lk.lock();
    s->phase = Phase::kHolding;
    bool shutdown = s->shutdown;
    lk.unlock();
    // Whatever the result, the mutex is held again (as pthread_cond_wait returns).
    const char* out = w == EOWNERDEAD ? "owner-dead" : cancelled || w == ECANCELED ? "cancelled" : w == 0 ? "ok" : w == ETIMEDOUT ? "timed-out" : "error";
    bool isErr = out[0] == 'e';
    if (shutdown || !Report(tsfn, s, out, isErr ? w : 0, hasDeadline ? "pthread_cond_clockwait" : "pthread_cond_wait", true)) {
      Unlock(*s);
      std::lock_guard<std::mutex> g(s->m);
      s->phase = Phase::kDone;
      if (shutdown) break;
      return;
    }
  }
  tsfn.Release();
}

// Wakes cond wait number `gen` of an agent being cancelled. A broadcast can come before the agent is
// inside pthread_cond_wait (it then sleeps on), so it is repeated, backing off, until that wait has
// returned. Other waiters see spurious wake-ups, which POSIX allows and every cond user loops over.
void RunCanceller(std::shared_ptr<AgentState> s, pthread_cond_t* cond, uint64_t gen) {
  int ms = 1;
  while (s->condFinished.load() < gen) {
    pthread_cond_broadcast(cond);
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    ms = std::min(ms * 2, kSliceMs);
  }
}

class LockAgent : public Napi::ObjectWrap<LockAgent> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "LockAgent",
                       {InstanceMethod<&LockAgent::Release>("release"), InstanceMethod<&LockAgent::Consistent>("consistent"),
                        InstanceMethod<&LockAgent::CondWait>("condWait"), InstanceMethod<&LockAgent::Cancel>("cancel")});
  }

  // new LockAgent(kind, sab, offset, timeoutMs, callback(err, event)): kind 'mutex' | 'read' |
  // 'write'. The first event is 'locked' or 'owner-dead' (held), or 'timed-out', 'cancelled',
  // 'error' (not held; the agent has ended).
  explicit LockAgent(const Napi::CallbackInfo& info) : Napi::ObjectWrap<LockAgent>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 5 || !info[0].IsString() || !info[4].IsFunction()) {
      Napi::TypeError e = Napi::TypeError::New(env, "LockAgent(kind, buffer, offset, timeoutMs, callback)");
      e.Value().Set("code", "ERR_INVALID_ARG_TYPE");
      throw e;
    }
    std::string kind = info[0].As<Napi::String>().Utf8Value();
    auto s = std::make_shared<AgentState>();
    SharedSpan span{};
    if (kind == "mutex") {
      s->kind = LockKind::kMutex;
      s->lock = PrimitiveAt<pthread_mutex_t>(info, 1, 2, &span);
    } else if (kind == "read" || kind == "write") {
      s->kind = kind == "read" ? LockKind::kRead : LockKind::kWrite;
      s->lock = PrimitiveAt<pthread_rwlock_t>(info, 1, 2, &span);
    } else {
      Napi::RangeError e = Napi::RangeError::New(env, "kind must be 'mutex', 'read' or 'write'");
      e.Value().Set("code", "ERR_OUT_OF_RANGE");
      throw e;
    }
    s->keep = span.store;
    int ms = TimeoutArg(info, 3);
    s->hasDeadline = ms >= 0;
    s->deadline = AddMs(MonoNow(), ms < 0 ? 0 : ms);
    tsfn_ = AgentTsfn::New(env, info[4].As<Napi::Function>(), "LockAgent", 0, 1);
    s->tsfn = tsfn_;
    try {
      std::thread(RunAgent, s, tsfn_).detach();
    } catch (const std::system_error& e) {
      tsfn_.Release();
      throw ErrnoError(env, e.code().value(), "pthread_create");
    }
    state_ = std::move(s);
    env_ = env;
    hooked_ = napi_add_env_cleanup_hook(env, OnEnvCleanup, this) == napi_ok;
  }

  ~LockAgent() override {
    if (hooked_) napi_remove_env_cleanup_hook(env_, OnEnvCleanup, this);
    Shutdown();
  }

 private:
  // The environment is going away (a worker terminated, the process exiting): whatever the agent
  // holds or waits for, it lets go and ends.
  static void OnEnvCleanup(void* arg) {
    auto* self = static_cast<LockAgent*>(arg);
    self->hooked_ = false;
    self->Shutdown();
  }

  void Shutdown() {
    auto& s = state_;
    s->cancelled.store(true);
    bool condWaiting;
    {
      std::lock_guard<std::mutex> lk(s->m);
      s->shutdown = true;
      condWaiting = s->phase == Phase::kCondWaiting;
    }
    s->cv.notify_all();
    if (condWaiting) StartCanceller();
  }

  void StartCanceller() {
    try {
      std::thread(RunCanceller, state_, state_->cond, state_->condStarted.load()).detach();
    } catch (const std::system_error&) {
      pthread_cond_broadcast(state_->cond);  // one try is all that is left
    }
  }

  // Runs `cmd` on the agent and waits for its reply (a handoff to an idle thread: microseconds).
  int Command(Napi::Env env, Cmd cmd, const char* what) {
    auto& s = state_;
    std::unique_lock<std::mutex> lk(s->m);
    CheckHolding(env, what);
    s->cmd = cmd;
    s->replied = false;
    s->cv.notify_all();
    s->cv.wait(lk, [&] { return s->replied; });
    return s->reply;
  }

  void CheckHolding(Napi::Env env, const char* what) {
    Phase p = state_->phase;
    if (p == Phase::kHolding && !state_->shutdown) return;
    const char* why = p == Phase::kAcquiring ? "it does not hold the lock yet" : p == Phase::kCondWaiting ? "a cond wait is in progress on it" : "it has let go of the lock";
    throw InvalidState(env, std::string("ERR_INVALID_STATE: cannot ") + what + " through this lock agent: " + why);
  }

  // release(): the agent unlocks (on its own thread) and ends. Throws the unlock's errno.
  Napi::Value Release(const Napi::CallbackInfo& info) {
    int r = Command(info.Env(), Cmd::kRelease, "unlock");
    if (r != 0) throw ErrnoError(info.Env(), r, state_->kind == LockKind::kMutex ? "pthread_mutex_unlock" : "pthread_rwlock_unlock");
    return info.Env().Undefined();
  }

  // consistent(): pthread_mutex_consistent by the owner (glibc makes the caller the owner).
  Napi::Value Consistent(const Napi::CallbackInfo& info) {
    if (state_->kind != LockKind::kMutex) throw InvalidState(info.Env(), "ERR_INVALID_STATE: consistent() is for mutexes");
    int r = Command(info.Env(), Cmd::kConsistent, "make the mutex consistent");
    if (r != 0) throw ErrnoError(info.Env(), r, "pthread_mutex_consistent");
    return info.Env().Undefined();
  }

  // condWait(condSab, condOffset, timeoutMs?): the agent waits on the cond with the mutex it holds;
  // the callback gets 'ok', 'timed-out', 'owner-dead', 'cancelled' or 'error' — all with the mutex
  // held again.
  Napi::Value CondWait(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto& s = state_;
    if (s->kind != LockKind::kMutex) throw InvalidState(env, "ERR_INVALID_STATE: a cond wait needs a mutex, not a rwlock");
    SharedSpan span{};
    auto* cond = PrimitiveAt<pthread_cond_t>(info, 0, 1, &span);
    int ms = TimeoutArg(info, 2);
    {
      std::lock_guard<std::mutex> lk(s->m);
      CheckHolding(env, "wait on a cond");
      s->cond = cond;
      s->condKeep = span.store;
      s->condHasDeadline = ms >= 0;
      s->condDeadline = AddMs(MonoNow(), ms < 0 ? 0 : ms);
      s->cancelled.store(false);
      s->condStarted.fetch_add(1);
      s->phase = Phase::kCondWaiting;
      s->cmd = Cmd::kCondWait;
      tsfn_.Ref(env);  // a report is due: keep the loop alive for it
    }
    s->cv.notify_all();
    return env.Undefined();
  }

  // cancel(): a pending acquisition or cond wait ends within a slice ('cancelled') unless it completed
  // first. No effect otherwise.
  Napi::Value Cancel(const Napi::CallbackInfo& info) {
    auto& s = state_;
    bool condWaiting;
    {
      std::lock_guard<std::mutex> lk(s->m);
      if (s->phase != Phase::kAcquiring && s->phase != Phase::kCondWaiting) return info.Env().Undefined();
      s->cancelled.store(true);
      condWaiting = s->phase == Phase::kCondWaiting;
    }
    if (condWaiting) StartCanceller();
    return info.Env().Undefined();
  }

  std::shared_ptr<AgentState> state_;
  AgentTsfn tsfn_;
  napi_env env_ = nullptr;
  bool hooked_ = false;
};

}  // namespace

void InitPthreadSync(Napi::Env env, Napi::Object exports) {
  exports.Set("rwlockInit", Napi::Function::New(env, RwlockInit, "rwlockInit"));
  exports.Set("rwlockRdLock", Napi::Function::New(env, RwlockRdLock, "rwlockRdLock"));
  exports.Set("rwlockWrLock", Napi::Function::New(env, RwlockWrLock, "rwlockWrLock"));
  exports.Set("rwlockTryRdLock", Napi::Function::New(env, RwlockTryRdLock, "rwlockTryRdLock"));
  exports.Set("rwlockTryWrLock", Napi::Function::New(env, RwlockTryWrLock, "rwlockTryWrLock"));
  exports.Set("rwlockUnlock", Napi::Function::New(env, RwlockUnlock, "rwlockUnlock"));
  exports.Set("rwlockDestroy", Napi::Function::New(env, RwlockDestroy, "rwlockDestroy"));
  exports.Set("condInit", Napi::Function::New(env, CondInit, "condInit"));
  exports.Set("condWait", Napi::Function::New(env, CondWaitSync, "condWait"));
  exports.Set("condSignal", Napi::Function::New(env, CondSignal, "condSignal"));
  exports.Set("condBroadcast", Napi::Function::New(env, CondBroadcast, "condBroadcast"));
  exports.Set("condDestroy", Napi::Function::New(env, CondDestroy, "condDestroy"));
  exports.Set("LockAgent", LockAgent::Define(env));
}

}  // namespace ipc
