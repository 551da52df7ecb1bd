// Generic file-descriptor syscalls shared by every fd-based mechanism (pipe, FIFO, sockets).
//
// Two flavours of I/O, because the project measures both paths:
//  - read/write/writev: exactly one syscall, for non-blocking fds driven by the event loop. "Would
//    block" is the normal case there, so it is returned as -1 instead of an exception (an Error object
//    per EAGAIN would cost more than the syscall).
//  - readBlocking/writeAll: the blocking path. On a blocking fd this is one read(2)/write(2) per call,
//    exactly what a C program does; if the fd happens to be non-blocking they wait with poll(2).
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <climits>
#include <string>
#include <vector>

#include "errors.h"
#include "exports.h"
#include "io.h"

namespace ipc {
namespace {

// read(fd, buffer, offset?, length?) -> bytes read (0 = end of file), or -1 if it would block.
Napi::Value Read(const Napi::CallbackInfo& info) {
  int fd = ArgFd(info, 0);
  ByteRange r = ArgBytes(info, 1, 2, 3);
  ssize_t n = RetryEintr([&] { return read(fd, r.data, r.length); });
  if (n < 0) {
    if (WouldBlock(errno)) return Napi::Number::New(info.Env(), -1);
    ThrowErrno(info.Env(), "read");
  }
  return Napi::Number::New(info.Env(), static_cast<double>(n));
}

// readBlocking(fd, buffer, offset?, length?) -> bytes read (0 = end of file); waits for data.
Napi::Value ReadBlocking(const Napi::CallbackInfo& info) {
  int fd = ArgFd(info, 0);
  ByteRange r = ArgBytes(info, 1, 2, 3);
  ssize_t n = UntilReady(info.Env(), fd, POLLIN, [&] { return read(fd, r.data, r.length); });
  if (n < 0) ThrowErrno(info.Env(), "read");
  return Napi::Number::New(info.Env(), static_cast<double>(n));
}

// write(fd, buffer, offset?, length?) -> bytes written, or -1 if it would block.
Napi::Value Write(const Napi::CallbackInfo& info) {
  int fd = ArgFd(info, 0);
  ByteRange r = ArgBytes(info, 1, 2, 3);
  ssize_t n = RetryEintr([&] { return write(fd, r.data, r.length); });
  if (n < 0) {
    if (WouldBlock(errno)) return Napi::Number::New(info.Env(), -1);
    ThrowErrno(info.Env(), "write");
  }
  return Napi::Number::New(info.Env(), static_cast<double>(n));
}

// writeAll(fd, buffer, offset?, length?) -> length; loops over short writes, waits when full.
Napi::Value WriteAll(const Napi::CallbackInfo& info) {
  int fd = ArgFd(info, 0);
  ByteRange r = ArgBytes(info, 1, 2, 3);
  size_t done = 0;
  do {
    ssize_t n = UntilReady(info.Env(), fd, POLLOUT, [&] { return write(fd, r.data + done, r.length - done); });
    if (n < 0) ThrowErrno(info.Env(), "write");
    done += static_cast<size_t>(n);
  } while (done < r.length);
  return Napi::Number::New(info.Env(), static_cast<double>(done));
}

// The iovecs for a JS array of Uint8Array (at most IOV_MAX, or a RangeError), skipping `skip` bytes
// of the first.
std::vector<struct iovec> ArgIovecs(const Napi::CallbackInfo& info, size_t i, size_t skip) {
  Napi::Env env = info.Env();
  if (info.Length() <= i || !info[i].IsArray()) {
    Napi::TypeError e = Napi::TypeError::New(env, "The \"buffers\" argument must be an array of Uint8Array");
    e.Value().Set("code", "ERR_INVALID_ARG_TYPE");
    throw e;
  }
  napi_value list = info[i];
  uint32_t count = 0;
  napi_get_array_length(env, list, &count);
  if (count > IOV_MAX) {
    // Never write a prefix silently: the caller splits longer lists.
    Napi::RangeError e = Napi::RangeError::New(env, "The \"buffers\" argument holds more than IOV_MAX (" +
                                                        std::to_string(IOV_MAX) + ") buffers");
    e.Value().Set("code", "ERR_OUT_OF_RANGE");
    throw e;
  }
  std::vector<struct iovec> iov(count);
  for (uint32_t k = 0; k < count; k++) {
    napi_value v;
    uint8_t* data = nullptr;
    size_t length = 0;
    if (napi_get_element(env, list, k, &v) != napi_ok || !BytesOf(env, v, &data, &length)) {
      Napi::TypeError e = Napi::TypeError::New(env, "The \"buffers\" argument must be an array of Uint8Array");
      e.Value().Set("code", "ERR_INVALID_ARG_TYPE");
      throw e;
    }
    size_t off = k == 0 ? std::min(skip, length) : 0;
    iov[k] = {data + off, length - off};
  }
  return iov;
}

size_t ArgSkip(const Napi::CallbackInfo& info, size_t i) {
  return static_cast<size_t>(ArgIntOr(info, i, "skip", 0, 0, INT32_MAX));
}

// writev(fd, buffers[], skip?) -> bytes written, or -1 if it would block. `skip` bytes of the first
// buffer were already written by an earlier partial writev. At most IOV_MAX buffers.
Napi::Value Writev(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = ArgFd(info, 0);
  std::vector<struct iovec> iov = ArgIovecs(info, 1, ArgSkip(info, 2));
  ssize_t n = RetryEintr([&] { return writev(fd, iov.data(), static_cast<int>(iov.size())); });
  if (n < 0) {
    if (WouldBlock(errno)) return Napi::Number::New(env, -1);
    ThrowErrno(env, "writev");
  }
  return Napi::Number::New(env, static_cast<double>(n));
}

// writevAll(fd, buffers[]) -> total bytes; the blocking path's gather write: loops over short writes
// (advancing through the iovecs) and waits when the fd is full. At most IOV_MAX buffers.
Napi::Value WritevAll(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = ArgFd(info, 0);
  std::vector<struct iovec> iov = ArgIovecs(info, 1, 0);
  size_t total = 0;
  size_t first = 0;
  while (first < iov.size()) {
    ssize_t n = UntilReady(env, fd, POLLOUT, [&] { return writev(fd, iov.data() + first, static_cast<int>(iov.size() - first)); });
    if (n < 0) ThrowErrno(env, "writev");
    total += static_cast<size_t>(n);
    size_t left = static_cast<size_t>(n);
    while (first < iov.size() && left >= iov[first].iov_len) left -= iov[first++].iov_len;
    if (first < iov.size()) {
      iov[first].iov_base = static_cast<uint8_t*>(iov[first].iov_base) + left;
      iov[first].iov_len -= left;
    }
  }
  return Napi::Number::New(env, static_cast<double>(total));
}

Napi::Value Close(const Napi::CallbackInfo& info) {
  int fd = ArgFd(info, 0);
  // Linux releases the fd even when close() reports EINTR, so it must not be retried.
  if (close(fd) < 0 && errno != EINTR) ThrowErrno(info.Env(), "close");
  return info.Env().Undefined();
}

// fcntl(fd, cmd, arg?) -> the int result. Only integer-argument commands are meaningful here.
Napi::Value Fcntl(const Napi::CallbackInfo& info) {
  int fd = ArgFd(info, 0);
  int cmd = ArgInt(info, 1, "cmd");
  int arg = ArgIntOr(info, 2, "arg", 0);
  int r = fcntl(fd, cmd, arg);
  if (r < 0) ThrowErrno(info.Env(), "fcntl");
  return Napi::Number::New(info.Env(), r);
}

const char* FileType(mode_t mode) {
  switch (mode & S_IFMT) {
    case S_IFIFO: return "fifo";
    case S_IFSOCK: return "socket";
    case S_IFREG: return "file";
    case S_IFDIR: return "directory";
    case S_IFCHR: return "character-device";
    case S_IFBLK: return "block-device";
    case S_IFLNK: return "symlink";
    default: return "unknown";
  }
}

// fstat(fd) -> { type, mode, ino, dev, uid, gid, size }. `type` names the kind of object the fd
// refers to ("fifo" for pipes and FIFOs, "socket" for sockets and socketpairs).
Napi::Value Fstat(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = ArgFd(info, 0);
  struct stat st;
  if (fstat(fd, &st) < 0) ThrowErrno(env, "fstat");
  Napi::Object out = Napi::Object::New(env);
  out.Set("type", FileType(st.st_mode));
  out.Set("mode", static_cast<double>(st.st_mode & 07777));
  out.Set("ino", static_cast<double>(st.st_ino));
  out.Set("dev", static_cast<double>(st.st_dev));
  out.Set("uid", static_cast<double>(st.st_uid));
  out.Set("gid", static_cast<double>(st.st_gid));
  out.Set("size", static_cast<double>(st.st_size));
  return out;
}

// poll(fd, events, timeoutMs) -> revents (0 on timeout). Blocks the calling thread: for tests and the
// blocking path only; the event loop uses Poller.
Napi::Value PollOne(const Napi::CallbackInfo& info) {
  int fd = ArgFd(info, 0);
  short events = static_cast<short>(ArgInt(info, 1, "events", SHRT_MIN, SHRT_MAX));
  int timeout = ArgInt(info, 2, "timeoutMs", -1, INT32_MAX);
  struct pollfd p = {fd, events, 0};
  int r = RetryEintr([&] { return poll(&p, 1, timeout); });
  if (r < 0) ThrowErrno(info.Env(), "poll");
  return Napi::Number::New(info.Env(), r == 0 ? 0 : p.revents);
}

}  // namespace

void InitFd(Napi::Env env, Napi::Object exports) {
  exports.Set("read", Napi::Function::New(env, Read, "read"));
  exports.Set("readBlocking", Napi::Function::New(env, ReadBlocking, "readBlocking"));
  exports.Set("write", Napi::Function::New(env, Write, "write"));
  exports.Set("writeAll", Napi::Function::New(env, WriteAll, "writeAll"));
  exports.Set("writev", Napi::Function::New(env, Writev, "writev"));
  exports.Set("writevAll", Napi::Function::New(env, WritevAll, "writevAll"));
  exports.Set("close", Napi::Function::New(env, Close, "close"));
  exports.Set("fcntl", Napi::Function::New(env, Fcntl, "fcntl"));
  exports.Set("fstat", Napi::Function::New(env, Fstat, "fstat"));
  exports.Set("poll", Napi::Function::New(env, PollOne, "poll"));

  Napi::Object c = Napi::Object::New(env);
  c.Set("F_GETFL", F_GETFL);
  c.Set("F_SETFL", F_SETFL);
  c.Set("F_GETFD", F_GETFD);
  c.Set("F_SETFD", F_SETFD);
  c.Set("F_DUPFD_CLOEXEC", F_DUPFD_CLOEXEC);
  c.Set("FD_CLOEXEC", FD_CLOEXEC);
  c.Set("O_NONBLOCK", O_NONBLOCK);
  c.Set("O_RDONLY", O_RDONLY);
  c.Set("O_WRONLY", O_WRONLY);
  c.Set("O_RDWR", O_RDWR);
  c.Set("O_ACCMODE", O_ACCMODE);
  c.Set("O_CREAT", O_CREAT);
  c.Set("ETIMEDOUT", ETIMEDOUT);
  c.Set("EOWNERDEAD", EOWNERDEAD);
  c.Set("ENOTRECOVERABLE", ENOTRECOVERABLE);
  c.Set("EBUSY", EBUSY);
  c.Set("O_EXCL", O_EXCL);
  c.Set("F_GETPIPE_SZ", F_GETPIPE_SZ);
  c.Set("F_SETPIPE_SZ", F_SETPIPE_SZ);
  c.Set("POLLIN", POLLIN);
  c.Set("POLLOUT", POLLOUT);
  c.Set("POLLERR", POLLERR);
  c.Set("POLLHUP", POLLHUP);
  c.Set("POLLNVAL", POLLNVAL);
  c.Set("POLLRDHUP", POLLRDHUP);
  c.Set("PIPE_BUF", PIPE_BUF);
  c.Set("IOV_MAX", IOV_MAX);
  exports.Set("constants", c);
}

}  // namespace ipc
