#include "errors.h"

#include <uv.h>
#include <cerrno>
#include <cstring>
#include <string>

namespace ipc {

Napi::Error ErrnoError(Napi::Env env, int err, const char* syscall, const char* path) {
  // libuv's error codes are -errno on Unix; uv_err_name gives "EAGAIN", uv_strerror the text Node uses.
  const char* code = uv_err_name(-err);
  std::string message = std::string(code) + ": " + uv_strerror(-err) + ", " + syscall;
  if (path != nullptr) message += std::string(" '") + path + "'";
  Napi::Error error = Napi::Error::New(env, message);
  Napi::Object obj = error.Value();
  obj.Set("errno", Napi::Number::New(env, -err));
  obj.Set("code", Napi::String::New(env, code));
  obj.Set("syscall", Napi::String::New(env, syscall));
  if (path != nullptr) obj.Set("path", Napi::String::New(env, path));
  return error;
}

void ThrowErrno(Napi::Env env, const char* syscall, const char* path) {
  throw ErrnoError(env, errno, syscall, path);
}

static Napi::Error CodedError(Napi::Error error, const char* code) {
  error.Value().Set("code", Napi::String::New(error.Env(), code));
  return error;
}

int32_t ArgInt(const Napi::CallbackInfo& info, size_t i, const char* name) {
  Napi::Env env = info.Env();
  if (i >= info.Length() || !info[i].IsNumber()) {
    throw CodedError(Napi::TypeError::New(env, std::string("The \"") + name + "\" argument must be a number"),
                     "ERR_INVALID_ARG_TYPE");
  }
  double v = info[i].As<Napi::Number>().DoubleValue();
  if (v != static_cast<int32_t>(v)) {
    throw CodedError(Napi::RangeError::New(env, std::string("The \"") + name + "\" argument must be a 32-bit integer"),
                     "ERR_OUT_OF_RANGE");
  }
  return static_cast<int32_t>(v);
}

int32_t ArgFd(const Napi::CallbackInfo& info, size_t i) {
  int32_t fd = ArgInt(info, i, "fd");
  if (fd < 0) {
    throw CodedError(Napi::RangeError::New(info.Env(), "The \"fd\" argument must be >= 0"), "ERR_OUT_OF_RANGE");
  }
  return fd;
}

bool BytesOf(napi_env env, napi_value v, uint8_t** data, size_t* length) {
  // One napi_get_typedarray_info call instead of node-addon-api's three: this runs on every read and
  // write, where tens of nanoseconds show in a 2 µs round trip.
  bool is = false;
  if (napi_is_typedarray(env, v, &is) != napi_ok || !is) return false;
  napi_typedarray_type type;
  void* ptr = nullptr;
  if (napi_get_typedarray_info(env, v, &type, length, &ptr, nullptr, nullptr) != napi_ok) return false;
  if (type != napi_uint8_array) return false;
  *data = static_cast<uint8_t*>(ptr);
  return true;
}

ByteRange ArgBytes(const Napi::CallbackInfo& info, size_t i, size_t offsetArg, size_t lengthArg) {
  Napi::Env env = info.Env();
  uint8_t* data = nullptr;
  size_t size = 0;
  if (i >= info.Length() || !BytesOf(env, info[i], &data, &size)) {
    throw CodedError(Napi::TypeError::New(env, "The \"buffer\" argument must be a Uint8Array"),
                     "ERR_INVALID_ARG_TYPE");
  }
  size_t offset = 0, length = size;
  if (offsetArg < info.Length() && !info[offsetArg].IsUndefined()) {
    int32_t o = ArgInt(info, offsetArg, "offset");
    if (o < 0 || static_cast<size_t>(o) > size) {
      throw CodedError(Napi::RangeError::New(env, "The \"offset\" argument is out of range"), "ERR_OUT_OF_RANGE");
    }
    offset = static_cast<size_t>(o);
    length = size - offset;
  }
  if (lengthArg < info.Length() && !info[lengthArg].IsUndefined()) {
    int32_t l = ArgInt(info, lengthArg, "length");
    if (l < 0 || static_cast<size_t>(l) > size - offset) {
      throw CodedError(Napi::RangeError::New(env, "The \"length\" argument is out of range"), "ERR_OUT_OF_RANGE");
    }
    length = static_cast<size_t>(l);
  }
  return ByteRange{data + offset, length};
}

// errnoError(errno, syscall, path?) -> Error: the same Error for failures detected outside the addon's
// own calls (e.g. a negative status delivered by the event loop), so there is only one error shape.
static Napi::Value ErrnoErrorJs(const Napi::CallbackInfo& info) {
  int err = ArgInt(info, 0, "errno");
  if (err < 0) err = -err;
  std::string syscall = info.Length() > 1 && info[1].IsString() ? info[1].As<Napi::String>().Utf8Value() : "unknown";
  if (info.Length() > 2 && info[2].IsString()) {
    std::string path = info[2].As<Napi::String>().Utf8Value();
    return ErrnoError(info.Env(), err, syscall.c_str(), path.c_str()).Value();
  }
  return ErrnoError(info.Env(), err, syscall.c_str()).Value();
}

// strerror(errno): the C library's text ("Connection refused"), for programs whose output must match
// their C originals byte for byte (Node's texts are libuv's, in lower case).
static Napi::Value StrError(const Napi::CallbackInfo& info) {
  int err = ArgInt(info, 0, "errno");
  return Napi::String::New(info.Env(), strerror(err < 0 ? -err : err));
}

void InitErrors(Napi::Env env, Napi::Object exports) {
  exports.Set("errnoError", Napi::Function::New(env, ErrnoErrorJs, "errnoError"));
  exports.Set("strerror", Napi::Function::New(env, StrError, "strerror"));
}

}  // namespace ipc
