// Memory several threads and processes see: a MAP_SHARED mapping exposed to JS as a
// SharedArrayBuffer (V8's API: Node-API on Node 20 cannot wrap external memory as one), and the way
// the sync bindings find a primitive inside it.
#pragma once
#include <napi.h>
#include <v8.h>

#include <cstddef>
#include <memory>

namespace ipc {

// A primitive's address inside a SharedArrayBuffer argument, bounds- and alignment-checked. `store`
// keeps the memory mapped for as long as it is held (a waiter thread holds it while it waits).
struct SharedSpan {
  void* p;
  std::shared_ptr<v8::BackingStore> store;
};

// info[bufArg] must be a SharedArrayBuffer and info[offArg] an offset with [offset, offset+size)
// inside it and offset a multiple of `align`; throws ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE otherwise.
// `store` is set only with keepMapped (for a pointer used after the call returns, e.g. by a waiter
// thread): taking the backing store costs ≈ 40 ns a call (an atomic shared_ptr), the call's own
// argument keeps the memory alive while it runs.
SharedSpan ArgShared(const Napi::CallbackInfo& info, size_t bufArg, size_t offArg, size_t size, size_t align, bool keepMapped = false);

// A SharedArrayBuffer over memory this process mapped (mmap, shmat); `release` (munmap, shmdt) runs
// when the last SharedArrayBuffer over it is gone, in whichever isolate that is.
Napi::Value WrapShared(Napi::Env env, void* p, size_t length, v8::BackingStore::DeleterCallback release);

// The memory of a SharedArrayBuffer argument and its length (ERR_INVALID_ARG_TYPE if it is not one).
void* SharedData(Napi::Env env, Napi::Value v, size_t* length);

}  // namespace ipc
