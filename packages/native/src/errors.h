// The one way this addon fails: a syscall's errno becomes a JS Error shaped like Node's own
// SystemErrors (message "EAGAIN: resource temporarily unavailable, read", code, errno, syscall, path).
#pragma once
#include <napi.h>

#include <cstdint>
#include <string>
#include <utility>

namespace ipc {

// What a failed call was aimed at, named in the Error the way Node names it:
//  - a file or unix socket: property `path`, message "..., connect '/tmp/s'". An abstract unix name
//    ("\0name") shows as '@name' in the message, as ss(8) and /proc/net/unix show it; `path` keeps
//    the real name.
//  - an inet socket address: properties `address` and `port` (port only when > 0), message
//    "..., connect 127.0.0.1:9", as node:net's errors.
struct ErrorTarget {
  enum class Kind { kNone, kPath, kInet };
  Kind kind = Kind::kNone;
  std::string path;
  std::string address;
  int port = 0;

  static ErrorTarget None() { return ErrorTarget{}; }
  static ErrorTarget Path(std::string p) { return ErrorTarget{Kind::kPath, std::move(p), {}, 0}; }
  static ErrorTarget Inet(std::string a, int port) { return ErrorTarget{Kind::kInet, {}, std::move(a), port}; }
};

// Builds the Error (does not throw it). `err` is a positive errno value.
Napi::Error ErrnoError(Napi::Env env, int err, const char* syscall, const ErrorTarget& target);
Napi::Error ErrnoError(Napi::Env env, int err, const char* syscall, const char* path = nullptr);

// Throws ErrnoError(errno at the time of the call).
[[noreturn]] void ThrowErrno(Napi::Env env, const char* syscall, const char* path = nullptr);
[[noreturn]] void ThrowErrno(Napi::Env env, const char* syscall, const ErrorTarget& target);

// Argument checks: throw a TypeError/RangeError with code ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE.
//
// Every JS number that becomes a C int goes through Int32Of, which checks it the way Node's
// validateInt32 does (and with its messages): not a number -> TypeError; NaN, ±Infinity, a fraction
// or a value outside [min, max] -> RangeError. Never a cast: converting such a double to int32_t is
// undefined behaviour, and Int32Value() turns NaN into 0 and 2^32+1 into 1.
bool IsInt32In(double v, int32_t min, int32_t max);
int32_t Int32Of(Napi::Env env, napi_value v, const std::string& name, int32_t min = INT32_MIN, int32_t max = INT32_MAX);
// info[i] through Int32Of (a missing argument is `undefined`: a TypeError).
int32_t ArgInt(const Napi::CallbackInfo& info, size_t i, const char* name, int32_t min = INT32_MIN, int32_t max = INT32_MAX);
// info[i] through Int32Of, or `fallback` when it is absent or undefined.
int32_t ArgIntOr(const Napi::CallbackInfo& info, size_t i, const char* name, int32_t fallback, int32_t min = INT32_MIN,
                 int32_t max = INT32_MAX);
// A file descriptor: an integer in 0..INT32_MAX.
int32_t ArgFd(const Napi::CallbackInfo& info, size_t i);
// The TypeError Node throws for an argument of the wrong type ("The "x" argument must be of type
// number. Received type string ('3')").
Napi::Error InvalidArgType(Napi::Env env, const std::string& name, const char* expected, napi_value received);
// Data and length of a Uint8Array/Buffer value; false if it is not one.
bool BytesOf(napi_env env, napi_value v, uint8_t** data, size_t* length);
// A byte range [offset, offset+length) inside a Uint8Array/Buffer argument, bounds-checked.
struct ByteRange { uint8_t* data; size_t length; };
ByteRange ArgBytes(const Napi::CallbackInfo& info, size_t i, size_t offsetArg, size_t lengthArg);

}  // namespace ipc
