// XSI (System V) semaphores: a set of one semaphore made with semget(IPC_PRIVATE), taken and given
// with semop/semtimedop, read and removed with semctl. Unlike POSIX semaphores they live in the
// kernel (no memory to map, no file): a set is named by an integer id, global to the IPC namespace
// and guarded only by its mode bits, and stays until IPC_RMID — past its creator's exit.
//
// SEM_UNDO is the reason they are here: the kernel keeps, per process, the sum of that process's
// SEM_UNDO operations on each semaphore (semadj) and reverses it when the process exits, however it
// dies. A holder SIGKILLed with a unit taken gives it back; a POSIX semaphore's unit is gone for
// good. The semadj list is shared by a process's threads (glibc creates threads with CLONE_SYSVSEM),
// so a wait done on a SyncWaiter thread is undone at exit like one done on the JS thread.
//
// No policy here: the value, the mode and whether to undo come from the sync package.
#include <errno.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <time.h>

#include <functional>

#include "deadline.h"
#include "errors.h"
#include "exports.h"
#include "io.h"
#include "xsi_sem.h"

namespace ipc {
namespace {

// Linux's SEMVMX (<linux/sem.h>, not in glibc's headers): the largest value a semaphore holds.
constexpr int kSemVmx = 32767;

// semctl's fourth argument; the caller defines it (semctl(2)).
union semun {
  int val;
  struct semid_ds* buf;
  unsigned short* array;
};

// One semop of `delta` on semaphore 0 of set `id`, until `deadline` (null: for ever, plain semop).
// 0 done, or the errno: EAGAIN when the deadline passed (semtimedop's timeout) or, with IPC_NOWAIT,
// when it would block. EINTR is retried with the time left (relative timeouts, recomputed from the
// CLOCK_MONOTONIC deadline); EINVAL on a retry means the set was removed meanwhile: EIDRM, as the
// kernel says to a sleeper it wakes by the removal.
int SemopUntil(int id, short delta, short flg, const timespec* deadline) {
  sembuf op{0, delta, flg};
  for (bool first = true;; first = false) {
    int r;
    if (deadline == nullptr) {
      r = semop(id, &op, 1);
    } else {
      // A deadline already past still makes one attempt: semtimedop tries before it sleeps.
      timespec now = MonoNow(), rel{0, 0};
      if (Before(now, *deadline)) {
        rel.tv_sec = deadline->tv_sec - now.tv_sec;
        rel.tv_nsec = deadline->tv_nsec - now.tv_nsec;
        if (rel.tv_nsec < 0) rel.tv_sec--, rel.tv_nsec += 1000000000;
      }
      r = semtimedop(id, &op, 1, &rel);
    }
    if (r == 0) return 0;
    if (errno == EINTR) continue;
    return errno == EINVAL && !first ? EIDRM : errno;
  }
}

int IdArg(const Napi::CallbackInfo& info, size_t i) { return ArgInt(info, i, "id", 0); }

short UndoArg(const Napi::CallbackInfo& info, size_t i) { return info.Length() > i && info[i].ToBoolean() ? SEM_UNDO : 0; }

// xsiSemCreate(value, mode) -> id: a new set of one semaphore (IPC_PRIVATE, IPC_CREAT|IPC_EXCL, the
// mode's 0777 bits), set to `value` (SETVAL). If SETVAL fails the set is removed before throwing.
Napi::Value XsiSemCreate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int value = ArgInt(info, 0, "value", 0, kSemVmx);
  int mode = ArgIntOr(info, 1, "mode", 0600, 0, 0777);
  int id = semget(IPC_PRIVATE, 1, IPC_CREAT | IPC_EXCL | mode);
  if (id < 0) ThrowErrno(env, "semget");
  semun arg;
  arg.val = value;
  if (semctl(id, 0, SETVAL, arg) < 0) {
    int err = errno;
    semctl(id, 0, IPC_RMID);
    throw ErrnoError(env, err, "semctl");
  }
  return Napi::Number::New(env, id);
}

// xsiSemPost(id, undo): +1 (never blocks; ERANGE past SEMVMX, or when undo's semadj would pass it).
Napi::Value XsiSemPost(const Napi::CallbackInfo& info) {
  int r = SemopUntil(IdArg(info, 0), 1, UndoArg(info, 1), nullptr);
  if (r != 0) throw ErrnoError(info.Env(), r, "semop");
  return info.Env().Undefined();
}

// xsiSemTryWait(id, undo) -> true if a unit was taken, false if the value was 0 (IPC_NOWAIT: EAGAIN).
Napi::Value XsiSemTryWait(const Napi::CallbackInfo& info) {
  int r = SemopUntil(IdArg(info, 0), -1, static_cast<short>(UndoArg(info, 1) | IPC_NOWAIT), nullptr);
  if (r != 0 && r != EAGAIN) throw ErrnoError(info.Env(), r, "semop");
  return Napi::Boolean::New(info.Env(), r == 0);
}

// xsiSemWait(id, undo, timeoutMs?) -> true, or false when the timeout passed first. Blocks the
// calling thread; EIDRM if the set is removed while it waits.
Napi::Value XsiSemWaitSync(const Napi::CallbackInfo& info) {
  int id = IdArg(info, 0);
  short flg = UndoArg(info, 1);
  int ms = TimeoutArg(info, 2);
  timespec deadline = AddMs(MonoNow(), ms < 0 ? 0 : ms);
  int r = SemopUntil(id, -1, flg, ms < 0 ? nullptr : &deadline);
  if (r == EAGAIN && ms >= 0) return Napi::Boolean::New(info.Env(), false);
  if (r != 0) throw ErrnoError(info.Env(), r, ms < 0 ? "semop" : "semtimedop");
  return Napi::Boolean::New(info.Env(), true);
}

// semctl(id, 0, cmd) for the commands that return a count (GETVAL, GETNCNT).
Napi::Value Count(const Napi::CallbackInfo& info, int cmd) {
  int v = semctl(IdArg(info, 0), 0, cmd);
  if (v < 0) ThrowErrno(info.Env(), "semctl");
  return Napi::Number::New(info.Env(), v);
}

// xsiSemValue(id) -> semval (GETVAL).
Napi::Value XsiSemValue(const Napi::CallbackInfo& info) { return Count(info, GETVAL); }

// xsiSemWaiters(id) -> how many threads sleep waiting to take a unit (GETNCNT), in any process.
Napi::Value XsiSemWaiters(const Napi::CallbackInfo& info) { return Count(info, GETNCNT); }

// xsiSemStat(id) -> { nsems, mode, uid, gid, cuid, cgid, otime, ctime } (IPC_STAT; times in s).
Napi::Value XsiSemStat(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  semid_ds ds{};
  semun arg;
  arg.buf = &ds;
  if (semctl(IdArg(info, 0), 0, IPC_STAT, arg) < 0) ThrowErrno(env, "semctl");
  Napi::Object o = Napi::Object::New(env);
  o.Set("nsems", Napi::Number::New(env, static_cast<double>(ds.sem_nsems)));
  o.Set("mode", Napi::Number::New(env, ds.sem_perm.mode & 0777));
  o.Set("uid", Napi::Number::New(env, ds.sem_perm.uid));
  o.Set("gid", Napi::Number::New(env, ds.sem_perm.gid));
  o.Set("cuid", Napi::Number::New(env, ds.sem_perm.cuid));
  o.Set("cgid", Napi::Number::New(env, ds.sem_perm.cgid));
  o.Set("otime", Napi::Number::New(env, static_cast<double>(ds.sem_otime)));
  o.Set("ctime", Napi::Number::New(env, static_cast<double>(ds.sem_ctime)));
  return o;
}

// xsiSemRemove(id): IPC_RMID, at once — sleepers wake with EIDRM, later calls get EINVAL.
Napi::Value XsiSemRemove(const Napi::CallbackInfo& info) {
  if (semctl(IdArg(info, 0), 0, IPC_RMID) < 0) ThrowErrno(info.Env(), "semctl");
  return info.Env().Undefined();
}

}  // namespace

std::function<int(const timespec* until)> XsiSemWaitStep(Napi::Env env, int id, bool undo) {
  if (semctl(id, 0, GETVAL) < 0) ThrowErrno(env, "semctl");
  short flg = undo ? SEM_UNDO : 0;
  // The id was valid above, so an EINVAL later (between two slices) is a removal too: EIDRM.
  return [id, flg](const timespec* until) {
    int r = SemopUntil(id, -1, flg, until);
    return r == EAGAIN ? ETIMEDOUT : r == EINVAL ? EIDRM : r;
  };
}

void InitXsiSem(Napi::Env env, Napi::Object exports) {
  exports.Set("xsiSemCreate", Napi::Function::New(env, XsiSemCreate, "xsiSemCreate"));
  exports.Set("xsiSemPost", Napi::Function::New(env, XsiSemPost, "xsiSemPost"));
  exports.Set("xsiSemTryWait", Napi::Function::New(env, XsiSemTryWait, "xsiSemTryWait"));
  exports.Set("xsiSemWait", Napi::Function::New(env, XsiSemWaitSync, "xsiSemWait"));
  exports.Set("xsiSemValue", Napi::Function::New(env, XsiSemValue, "xsiSemValue"));
  exports.Set("xsiSemWaiters", Napi::Function::New(env, XsiSemWaiters, "xsiSemWaiters"));
  exports.Set("xsiSemStat", Napi::Function::New(env, XsiSemStat, "xsiSemStat"));
  exports.Set("xsiSemRemove", Napi::Function::New(env, XsiSemRemove, "xsiSemRemove"));
}

}  // namespace ipc
