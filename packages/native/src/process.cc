// Process placement and lifetime: pinning threads to CPUs, so a benchmark measures the mechanism and
// not where the scheduler happened to put the two processes; and a parent-death signal, so a peer
// process never outlives the test or benchmark that started it.
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "errors.h"
#include "exports.h"

namespace ipc {
namespace {

// setAffinity(tid, cpus[]): sched_setaffinity for one thread (tid 0 = the calling thread).
Napi::Value SetAffinity(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int tid = ArgInt(info, 0, "tid");
  if (info.Length() < 2 || !info[1].IsArray()) {
    Napi::TypeError e = Napi::TypeError::New(env, "The \"cpus\" argument must be an array of CPU numbers");
    e.Value().Set("code", "ERR_INVALID_ARG_TYPE");
    throw e;
  }
  Napi::Array cpus = info[1].As<Napi::Array>();
  cpu_set_t set;
  CPU_ZERO(&set);
  for (uint32_t i = 0; i < cpus.Length(); i++) {
    int cpu = Int32Of(env, cpus.Get(i), "cpus[" + std::to_string(i) + "]", 0, CPU_SETSIZE - 1);
    CPU_SET(cpu, &set);
  }
  if (sched_setaffinity(tid, sizeof set, &set) < 0) ThrowErrno(env, "sched_setaffinity");
  return env.Undefined();
}

// getAffinity(tid) -> cpus[]
Napi::Value GetAffinity(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int tid = ArgInt(info, 0, "tid");
  cpu_set_t set;
  if (sched_getaffinity(tid, sizeof set, &set) < 0) ThrowErrno(env, "sched_getaffinity");
  Napi::Array out = Napi::Array::New(env);
  uint32_t n = 0;
  for (int cpu = 0; cpu < CPU_SETSIZE; cpu++) {
    if (CPU_ISSET(cpu, &set)) out.Set(n++, cpu);
  }
  return out;
}

Napi::Value GetCpu(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), sched_getcpu());
}

// cpuTimeNs(pid) -> ns: CPU time (user + system, every thread, exited threads included) that process
// `pid` (0: this one) has used so far, from its CPU-time clock (clock_getcpuclockid + clock_gettime).
// Exact to the nanosecond, also for a thread running right now (unlike /proc/<pid>/task/*/schedstat,
// which lags by up to a scheduler tick); the C baselines read the same clock (bench/c/harness.c).
Napi::Value CpuTimeNs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int pid = ArgInt(info, 0, "pid");
  clockid_t clock;
  int err = clock_getcpuclockid(pid, &clock);  // returns the error number, does not set errno
  if (err != 0) throw ErrnoError(env, err, "clock_getcpuclockid");
  struct timespec ts;
  if (clock_gettime(clock, &ts) < 0) ThrowErrno(env, "clock_gettime");
  return Napi::Number::New(env, static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec));
}

// setParentDeathSignal(signal): prctl(PR_SET_PDEATHSIG) — the kernel sends `signal` to this process
// when the thread that forked it exits. Returns true if the parent had already gone (then the caller
// should exit: the signal will never come).
Napi::Value SetParentDeathSignal(const Napi::CallbackInfo& info) {
  int sig = ArgInt(info, 0, "signal");
  pid_t before = getppid();
  if (prctl(PR_SET_PDEATHSIG, sig) < 0) ThrowErrno(info.Env(), "prctl");
  return Napi::Boolean::New(info.Env(), before == 1 || getppid() != before);
}

// pidfdOpen(pid) -> an fd that becomes readable when the process ends (pidfd_open(2), close-on-exec):
// how a peer's death is noticed without a connection to break (shared memory).
Napi::Value PidfdOpen(const Napi::CallbackInfo& info) {
  int pid = ArgInt(info, 0, "pid", 1);
  long fd = syscall(SYS_pidfd_open, pid, 0);
  if (fd < 0) ThrowErrno(info.Env(), "pidfd_open");
  return Napi::Number::New(info.Env(), static_cast<double>(fd));
}

}  // namespace

void InitProcess(Napi::Env env, Napi::Object exports) {
  exports.Set("setAffinity", Napi::Function::New(env, SetAffinity, "setAffinity"));
  exports.Set("getAffinity", Napi::Function::New(env, GetAffinity, "getAffinity"));
  exports.Set("getCpu", Napi::Function::New(env, GetCpu, "getCpu"));
  exports.Set("cpuTimeNs", Napi::Function::New(env, CpuTimeNs, "cpuTimeNs"));
  exports.Set("pidfdOpen", Napi::Function::New(env, PidfdOpen, "pidfdOpen"));
  exports.Set("setParentDeathSignal", Napi::Function::New(env, SetParentDeathSignal, "setParentDeathSignal"));
}

}  // namespace ipc
