// The one way this addon fails: a syscall's errno becomes a JS Error shaped like Node's own
// SystemErrors (message "EAGAIN: resource temporarily unavailable, read", code, errno, syscall, path).
#pragma once
#include <napi.h>

namespace ipc {

// Builds the Error (does not throw it). `err` is a positive errno value.
Napi::Error ErrnoError(Napi::Env env, int err, const char* syscall, const char* path = nullptr);

// Throws ErrnoError(errno at the time of the call).
[[noreturn]] void ThrowErrno(Napi::Env env, const char* syscall, const char* path = nullptr);

// Argument checks: throw a TypeError/RangeError with code ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE.
int32_t ArgInt(const Napi::CallbackInfo& info, size_t i, const char* name);
int32_t ArgFd(const Napi::CallbackInfo& info, size_t i);
// Data and length of a Uint8Array/Buffer value; false if it is not one.
bool BytesOf(napi_env env, napi_value v, uint8_t** data, size_t* length);
// A byte range [offset, offset+length) inside a Uint8Array/Buffer argument, bounds-checked.
struct ByteRange { uint8_t* data; size_t length; };
ByteRange ArgBytes(const Napi::CallbackInfo& info, size_t i, size_t offsetArg, size_t lengthArg);

}  // namespace ipc
