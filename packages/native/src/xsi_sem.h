// The XSI semaphore wait that sync.cc's SyncWaiter runs in slices on a thread of its own.
#pragma once
#include <napi.h>
#include <time.h>

#include <functional>

namespace ipc {

// One slice of an async wait (take one unit of semaphore 0 of set `id`) until `until`: 0 taken,
// ETIMEDOUT, EIDRM (the set was removed, during the wait or between two slices), another errno.
// Checks the id first (semctl GETVAL) and throws its error (EINVAL, EACCES) at once.
std::function<int(const timespec* until)> XsiSemWaitStep(Napi::Env env, int id, bool undo);

}  // namespace ipc
