// memfd_create(2) and mmap(2) of an fd as a SharedArrayBuffer.
//
// The mapping is made once per call and wrapped once: V8 owns it through the backing store, whose
// deleter unmaps it when the last SharedArrayBuffer over it is gone in every isolate (a buffer posted
// to a worker shares the store). A SharedArrayBuffer cannot be detached, so no JS view can ever
// outlive the mapping: there is no use after unmap to guard against.
#include "shared.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "errors.h"
#include "exports.h"

namespace ipc {

namespace {

v8::Local<v8::Value> ToV8(napi_value v) {
  // napi_value is a V8 handle (node's v8impl::V8LocalValueFromJsValue does exactly this).
  v8::Local<v8::Value> local;
  static_assert(sizeof(local) == sizeof(v), "napi_value and v8::Local differ in size");
  std::memcpy(static_cast<void*>(&local), &v, sizeof(v));
  return local;
}

napi_value FromV8(v8::Local<v8::Value> local) { return reinterpret_cast<napi_value>(*local); }

Napi::Error RangeErr(Napi::Env env, const std::string& msg) {
  Napi::RangeError e = Napi::RangeError::New(env, msg);
  e.Value().Set("code", "ERR_OUT_OF_RANGE");
  return e;
}

// memfdCreate(name, length) -> fd: an anonymous file of `length` bytes (close-on-exec: a child gets
// it only as an inherited stdio fd). Its pages are reserved up front (posix_fallocate: no memory is
// ENOSPC/ENOMEM here, not SIGBUS at first touch) and its size is sealed, so no process holding the fd
// can shrink it under another's mapping.
Napi::Value MemfdCreate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) throw InvalidArgType(env, "name", "string", info[0]);
  std::string name = info[0].As<Napi::String>().Utf8Value();
  int length = ArgInt(info, 1, "length", 1);
  int fd = memfd_create(name.c_str(), MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0) ThrowErrno(env, "memfd_create");
  const char* failed = nullptr;
  int err = 0;
  if (ftruncate(fd, length) < 0) failed = "ftruncate", err = errno;
  else if ((err = posix_fallocate(fd, 0, length)) != 0) failed = "posix_fallocate";
  else if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0) failed = "fcntl", err = errno;
  if (failed != nullptr) {
    close(fd);
    throw ErrnoError(env, err, failed);
  }
  return Napi::Number::New(env, fd);
}

void Unmap(void* data, size_t length, void*) { munmap(data, length); }

// mapShared(fd, length) -> SharedArrayBuffer over mmap(NULL, length, RW, MAP_SHARED, fd, 0). The
// file must be at least `length` bytes long (checked: touching past its end would be SIGBUS).
Napi::Value MapShared(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = ArgFd(info, 0);
  int length = ArgInt(info, 1, "length", 1);
  struct stat st;
  if (fstat(fd, &st) < 0) ThrowErrno(env, "fstat");
  if (st.st_size < length) {
    throw RangeErr(env, "The file is " + std::to_string(st.st_size) + " bytes long, shorter than the " + std::to_string(length) +
                            " bytes to map (touching past its end is SIGBUS)");
  }
  void* p = mmap(nullptr, static_cast<size_t>(length), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) ThrowErrno(env, "mmap");
  return WrapShared(env, p, static_cast<size_t>(length), Unmap);
}

}  // namespace

Napi::Value WrapShared(Napi::Env env, void* p, size_t length, v8::BackingStore::DeleterCallback release) {
  std::unique_ptr<v8::BackingStore> store = v8::SharedArrayBuffer::NewBackingStore(p, length, release, nullptr);
  v8::Local<v8::SharedArrayBuffer> sab = v8::SharedArrayBuffer::New(v8::Isolate::GetCurrent(), std::move(store));
  return Napi::Value(env, FromV8(sab));
}

void* SharedData(Napi::Env env, Napi::Value v, size_t* length) {
  v8::Local<v8::Value> local = ToV8(v);
  if (!local->IsSharedArrayBuffer()) throw InvalidArgType(env, "buffer", "SharedArrayBuffer", v);
  v8::Local<v8::SharedArrayBuffer> sab = local.As<v8::SharedArrayBuffer>();
  *length = sab->ByteLength();
  return sab->Data();
}

SharedSpan ArgShared(const Napi::CallbackInfo& info, size_t bufArg, size_t offArg, size_t size, size_t align, bool keepMapped) {
  Napi::Env env = info.Env();
  napi_value raw = info[bufArg];
  v8::Local<v8::Value> v = ToV8(raw);
  if (!v->IsSharedArrayBuffer()) throw InvalidArgType(env, "buffer", "SharedArrayBuffer", raw);
  v8::Local<v8::SharedArrayBuffer> sab = v.As<v8::SharedArrayBuffer>();
  int offset = ArgInt(info, offArg, "offset", 0);
  size_t off = static_cast<size_t>(offset);
  size_t length = sab->ByteLength();
  if (off + size > length) {
    throw RangeErr(env, "The primitive at offset " + std::to_string(off) + " (" + std::to_string(size) +
                            " bytes) does not fit the " + std::to_string(length) + "-byte buffer");
  }
  uintptr_t addr = reinterpret_cast<uintptr_t>(sab->Data()) + off;
  if (addr % align != 0) throw RangeErr(env, "The offset " + std::to_string(off) + " is not " + std::to_string(align) + "-byte aligned");
  return SharedSpan{reinterpret_cast<void*>(addr), keepMapped ? sab->GetBackingStore() : nullptr};
}

void InitShared(Napi::Env env, Napi::Object exports) {
  exports.Set("memfdCreate", Napi::Function::New(env, MemfdCreate, "memfdCreate"));
  exports.Set("mapShared", Napi::Function::New(env, MapShared, "mapShared"));
}

}  // namespace ipc
