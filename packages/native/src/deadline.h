// Timeouts as the sync bindings take them: milliseconds from JS, turned into absolute deadlines on
// CLOCK_MONOTONIC (wall-clock changes neither shorten nor stretch a wait). Shared by sync.cc and
// pthread_sync.cc, whose waits on threads of their own go in slices of kSliceMs so a cancel is seen.
#pragma once
#include <napi.h>
#include <time.h>

#include <cstdint>

#include "errors.h"

namespace ipc {

// How long a waiter thread waits before looking at its cancel flag again.
constexpr int kSliceMs = 50;

inline timespec MonoNow() {
  timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t;
}

inline timespec AddMs(timespec t, int64_t ms) {
  t.tv_sec += ms / 1000;
  t.tv_nsec += (ms % 1000) * 1000000;
  if (t.tv_nsec >= 1000000000) {
    t.tv_sec++;
    t.tv_nsec -= 1000000000;
  }
  return t;
}

inline bool Before(const timespec& a, const timespec& b) { return a.tv_sec < b.tv_sec || (a.tv_sec == b.tv_sec && a.tv_nsec < b.tv_nsec); }

// info[i]: a timeout in ms (an integer ≥ 0), or undefined/absent/negative for none (-1).
inline int TimeoutArg(const Napi::CallbackInfo& info, size_t i) {
  if (info.Length() <= i || info[i].IsUndefined()) return -1;
  int ms = ArgInt(info, i, "timeoutMs");
  return ms < 0 ? -1 : ms;
}

}  // namespace ipc
