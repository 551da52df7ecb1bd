#include "errors.h"

#include <uv.h>
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>

namespace ipc {

// How a path appears in a message: an abstract unix name's NULs as '@' (ss(8), /proc/net/unix).
static std::string Shown(const std::string& path) {
  std::string out = path;
  if (!out.empty() && out[0] == '\0') {
    for (char& c : out) {
      if (c == '\0') c = '@';
    }
  }
  return out;
}

Napi::Error ErrnoError(Napi::Env env, int err, const char* syscall, const ErrorTarget& target) {
  // libuv's error codes are -errno on Unix; uv_err_name_r gives "EAGAIN", uv_strerror_r the text Node
  // uses. The reentrant forms write into our buffers: uv_err_name/uv_strerror malloc (and never free)
  // a string for every errno they do not know. For those both say "Unknown system error -N", which is
  // also what util.getSystemErrorName(-N) returns.
  char code[64];
  char text[128];
  uv_err_name_r(-err, code, sizeof code);
  uv_strerror_r(-err, text, sizeof text);
  // libuv names only the errnos it uses; the sync primitives meet others (EDEADLK, EOWNERDEAD,
  // ENOTRECOVERABLE). glibc names every one, and its text is the one strerror(3) gives.
  if (std::strncmp(code, "Unknown", 7) == 0) {
    if (const char* name = strerrorname_np(err)) {
      std::snprintf(code, sizeof code, "%s", name);
      std::snprintf(text, sizeof text, "%s", strerrordesc_np(err));
      if (text[0] >= 'A' && text[0] <= 'Z') text[0] = static_cast<char>(text[0] - 'A' + 'a');  // as libuv's texts
    }
  }
  std::string message = std::string(code) + ": " + text + ", " + syscall;
  if (target.kind == ErrorTarget::Kind::kPath) {
    message += " '" + Shown(target.path) + "'";
  } else if (target.kind == ErrorTarget::Kind::kInet) {
    // node:net (exceptionWithHostPort): "address:port", or only the address when the port is 0.
    message += " " + target.address + (target.port > 0 ? ":" + std::to_string(target.port) : "");
  }
  Napi::Error error = Napi::Error::New(env, message);
  Napi::Object obj = error.Value();
  obj.Set("errno", Napi::Number::New(env, -err));
  obj.Set("code", Napi::String::New(env, code));
  obj.Set("syscall", Napi::String::New(env, syscall));
  if (target.kind == ErrorTarget::Kind::kPath) obj.Set("path", Napi::String::New(env, target.path));
  if (target.kind == ErrorTarget::Kind::kInet) {
    obj.Set("address", Napi::String::New(env, target.address));
    if (target.port > 0) obj.Set("port", Napi::Number::New(env, target.port));
  }
  return error;
}

Napi::Error ErrnoError(Napi::Env env, int err, const char* syscall, const char* path) {
  return ErrnoError(env, err, syscall, path == nullptr ? ErrorTarget::None() : ErrorTarget::Path(path));
}

void ThrowErrno(Napi::Env env, const char* syscall, const char* path) {
  throw ErrnoError(env, errno, syscall, path);
}

void ThrowErrno(Napi::Env env, const char* syscall, const ErrorTarget& target) {
  throw ErrnoError(env, errno, syscall, target);
}

static Napi::Error CodedError(Napi::Error error, const char* code) {
  error.Value().Set("code", Napi::String::New(error.Env(), code));
  return error;
}

// String(v) in JS terms ("NaN", "1.5", "-Infinity"), for messages.
static std::string JsString(Napi::Env env, napi_value v) {
  napi_value s;
  if (napi_coerce_to_string(env, v, &s) != napi_ok) {
    // A symbol cannot be coerced; leave no exception pending.
    napi_value ignored;
    napi_get_and_clear_last_exception(env, &ignored);
    return "";
  }
  return Napi::String(env, s).Utf8Value();
}

// What Node's ERR_INVALID_ARG_TYPE says it received (lib/internal/errors.js, determineSpecificType).
static std::string DescribeReceived(Napi::Env env, napi_value raw) {
  Napi::Value v(env, raw);
  if (v.IsUndefined()) return "undefined";
  if (v.IsNull()) return "null";
  if (v.IsFunction()) {
    std::string name = JsString(env, v.As<Napi::Object>().Get("name"));
    return name.empty() ? "type function" : "function " + name;
  }
  if (v.IsObject()) {
    Napi::Value ctor = v.As<Napi::Object>().Get("constructor");
    if (ctor.IsFunction()) {
      std::string name = JsString(env, ctor.As<Napi::Object>().Get("name"));
      if (!name.empty()) return "an instance of " + name;
    }
    return "type object";
  }
  if (v.IsSymbol()) return "type symbol";
  std::string type = v.IsString() ? "string" : v.IsBoolean() ? "boolean" : v.IsBigInt() ? "bigint" : "number";
  std::string shown = v.IsString() ? "'" + JsString(env, v) + "'" : JsString(env, v) + (v.IsBigInt() ? "n" : "");
  if (shown.size() > 28) shown = shown.substr(0, 25) + "...";
  return "type " + type + " (" + shown + ")";
}

Napi::Error InvalidArgType(Napi::Env env, const std::string& name, const char* expected, napi_value received) {
  return CodedError(Napi::TypeError::New(env, "The \"" + name + "\" argument must be of type " + expected +
                                                  ". Received " + DescribeReceived(env, received)),
                    "ERR_INVALID_ARG_TYPE");
}

bool IsInt32In(double v, int32_t min, int32_t max) {
  // The comparisons are false for NaN, so NaN is never "in range"; no cast happens before them.
  return v >= static_cast<double>(min) && v <= static_cast<double>(max) && std::trunc(v) == v;
}

int32_t Int32Of(Napi::Env env, napi_value raw, const std::string& name, int32_t min, int32_t max) {
  Napi::Value value(env, raw);
  if (!value.IsNumber()) throw InvalidArgType(env, name, "number", raw);
  double v = value.As<Napi::Number>().DoubleValue();
  if (IsInt32In(v, min, max)) return static_cast<int32_t>(v);
  // Node's validateInt32 texts: "an integer" for NaN, ±Infinity and fractions, else the range.
  bool integer = std::isfinite(v) && std::trunc(v) == v;
  std::string range = integer ? ">= " + std::to_string(min) + " && <= " + std::to_string(max) : "an integer";
  throw CodedError(Napi::RangeError::New(env, "The value of \"" + name + "\" is out of range. It must be " + range +
                                                  ". Received " + JsString(env, raw)),
                   "ERR_OUT_OF_RANGE");
}

int32_t ArgInt(const Napi::CallbackInfo& info, size_t i, const char* name, int32_t min, int32_t max) {
  return Int32Of(info.Env(), info[i], name, min, max);  // info[i] past the end is `undefined`
}

int32_t ArgIntOr(const Napi::CallbackInfo& info, size_t i, const char* name, int32_t fallback, int32_t min, int32_t max) {
  if (i >= info.Length() || info[i].IsUndefined()) return fallback;
  return Int32Of(info.Env(), info[i], name, min, max);
}

int32_t ArgFd(const Napi::CallbackInfo& info, size_t i) {
  return ArgInt(info, i, "fd", 0, INT32_MAX);
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
  auto upTo = [](size_t n) { return static_cast<int32_t>(std::min<size_t>(n, INT32_MAX)); };
  size_t offset = 0, length = size;
  if (offsetArg < info.Length() && !info[offsetArg].IsUndefined()) {
    offset = static_cast<size_t>(ArgInt(info, offsetArg, "offset", 0, upTo(size)));
    length = size - offset;
  }
  if (lengthArg < info.Length() && !info[lengthArg].IsUndefined()) {
    length = static_cast<size_t>(ArgInt(info, lengthArg, "length", 0, upTo(size - offset)));
  }
  return ByteRange{data + offset, length};
}

// The target argument of errnoError: a path string, { path } (a unix address), { address, port? }
// (an inet address), or nothing. `family` is not needed ('unspec' has neither: no target).
static ErrorTarget TargetArg(Napi::Env env, Napi::Value v) {
  if (v.IsUndefined() || v.IsNull()) return ErrorTarget::None();
  if (v.IsString()) return ErrorTarget::Path(v.As<Napi::String>().Utf8Value());
  if (v.IsObject()) {
    Napi::Object o = v.As<Napi::Object>();
    Napi::Value path = o.Get("path");
    if (path.IsString()) return ErrorTarget::Path(path.As<Napi::String>().Utf8Value());
    Napi::Value address = o.Get("address");
    if (address.IsString()) {
      Napi::Value port = o.Get("port");
      int p = port.IsUndefined() ? 0 : Int32Of(env, port, "target.port", 0, 65535);
      return ErrorTarget::Inet(address.As<Napi::String>().Utf8Value(), p);
    }
    if (!path.IsUndefined() || !address.IsUndefined()) {
      throw InvalidArgType(env, "target", "string or an address object", v);
    }
    return ErrorTarget::None();
  }
  throw InvalidArgType(env, "target", "string or an address object", v);
}

// errnoError(errno, syscall, target?) -> Error: the same Error for failures detected outside the
// addon's own calls (a negative status from the event loop, a non-blocking connect's SO_ERROR), so
// there is only one error shape. target: a path, or a SockAddr-like { path } / { address, port }.
static Napi::Value ErrnoErrorJs(const Napi::CallbackInfo& info) {
  int err = ArgInt(info, 0, "errno", -INT32_MAX, INT32_MAX);  // INT32_MIN has no positive counterpart
  if (err < 0) err = -err;
  std::string syscall = info[1].IsString() ? info[1].As<Napi::String>().Utf8Value() : "unknown";
  return ErrnoError(info.Env(), err, syscall.c_str(), TargetArg(info.Env(), info[2])).Value();
}

// strerror(errno): the C library's text ("Connection refused"), for programs whose output must match
// their C originals byte for byte (Node's texts are libuv's, in lower case).
static Napi::Value StrError(const Napi::CallbackInfo& info) {
  int err = ArgInt(info, 0, "errno", -INT32_MAX, INT32_MAX);
  char text[256];
  // The GNU strerror_r: returns the text, which may or may not be in `text`.
  return Napi::String::New(info.Env(), strerror_r(err < 0 ? -err : err, text, sizeof text));
}

void InitErrors(Napi::Env env, Napi::Object exports) {
  exports.Set("errnoError", Napi::Function::New(env, ErrnoErrorJs, "errnoError"));
  exports.Set("strerror", Napi::Function::New(env, StrError, "strerror"));
}

}  // namespace ipc
