// BSD sockets, written once for AF_INET, AF_INET6 and AF_UNIX: what node:net and node:dgram do not
// expose (blocking sockets, AF_UNIX datagram/seqpacket, socket options) for the transports' blocking
// paths and the kinds Node lacks. Data moves with fd.cc's read/write on stream sockets.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <string>
#include <vector>

#include "errors.h"
#include "exports.h"
#include "io.h"

namespace ipc {
namespace {

[[noreturn]] void ThrowType(Napi::Env env, const std::string& msg) {
  Napi::TypeError e = Napi::TypeError::New(env, msg);
  e.Value().Set("code", "ERR_INVALID_ARG_TYPE");
  throw e;
}

int Domain(Napi::Env env, const std::string& s) {
  if (s == "inet") return AF_INET;
  if (s == "inet6") return AF_INET6;
  if (s == "unix") return AF_UNIX;
  ThrowType(env, "domain must be 'inet', 'inet6' or 'unix'");
}

int Type(Napi::Env env, const std::string& s) {
  if (s == "stream") return SOCK_STREAM;
  if (s == "dgram") return SOCK_DGRAM;
  if (s == "seqpacket") return SOCK_SEQPACKET;
  ThrowType(env, "type must be 'stream', 'dgram' or 'seqpacket'");
}

// A socket address from JS, ready for bind/connect/sendto.
//
// Abstract unix names ("\0name") come in two lengths, and to the kernel they are two different names:
// Node 20's libuv binds and connects them padded with NULs to the whole sun_path (addrlen =
// sizeof(sockaddr_un); /proc/net/unix shows "@name@@@…"), while C programs and Python pass the exact
// length. The addon binds padded, like Node, so node:net and the addon meet; connect/sendto try the
// padded form first and, on ECONNREFUSED, the exact one (`exactLen`), so exact-length peers are still
// reachable. Names read back from the kernel are reported without the padding (FromSockaddr).
struct SockAddrArg {
  sockaddr_storage ss;
  socklen_t len = 0;
  socklen_t exactLen = 0;  // abstract names only: the length without the padding; else 0
  ErrorTarget target;      // names the address in the Error if the syscall fails
  const sockaddr* sa() const { return reinterpret_cast<const sockaddr*>(&ss); }
};

// Runs `call(addr, len)` with the padded form of an abstract name, then, if that was refused, with
// the exact-length form; for any other address, once. EINTR is retried.
template <typename Call>
auto WithAbstractFallback(const SockAddrArg& a, Call&& call) -> decltype(call(a.sa(), a.len)) {
  auto r = RetryEintr([&] { return call(a.sa(), a.len); });
  if (r < 0 && errno == ECONNREFUSED && a.exactLen != 0 && a.exactLen != a.len) {
    r = RetryEintr([&] { return call(a.sa(), a.exactLen); });
  }
  return r;
}

// A JS address { family: 'inet'|'inet6', address, port } or { family: 'unix', path } as a sockaddr.
// A unix path starting with "\0" is a Linux abstract name. Too long a path is ENAMETOOLONG, before
// any syscall (the kernel would otherwise silently truncate in some APIs).
SockAddrArg ToSockaddr(Napi::Env env, Napi::Value v, const char* syscall) {
  SockAddrArg out;
  sockaddr_storage* ss = &out.ss;
  ErrorTarget* target = &out.target;
  if (!v.IsObject()) ThrowType(env, "address must be an object");
  Napi::Object o = v.As<Napi::Object>();
  Napi::Value fam = o.Get("family");
  if (!fam.IsString()) ThrowType(env, "address.family must be a string");
  std::string family = fam.As<Napi::String>().Utf8Value();
  memset(ss, 0, sizeof *ss);
  if (family == "unspec") {
    // connect() to AF_UNSPEC dissolves a datagram socket's association with its peer.
    ss->ss_family = AF_UNSPEC;
    out.len = sizeof(sa_family_t);
    return out;
  }
  if (family == "unix") {
    Napi::Value p = o.Get("path");
    if (!p.IsString()) ThrowType(env, "address.path must be a string");
    std::string path = p.As<Napi::String>().Utf8Value();
    auto* sun = reinterpret_cast<sockaddr_un*>(ss);
    bool abstract = !path.empty() && path[0] == '\0';
    // A path needs its terminating NUL inside sun_path; an abstract name does not.
    size_t max = abstract ? sizeof sun->sun_path : sizeof sun->sun_path - 1;
    *target = ErrorTarget::Path(path);
    if (path.empty() || path.size() > max) {
      Napi::Error e = ErrnoError(env, path.empty() ? EINVAL : ENAMETOOLONG, syscall, *target);
      e.Value().Set("maxLength", static_cast<double>(max));
      throw e;
    }
    sun->sun_family = AF_UNIX;
    memcpy(sun->sun_path, path.data(), path.size());  // the rest of sun_path is NULs (memset above)
    if (abstract) {
      out.len = static_cast<socklen_t>(sizeof(sockaddr_un));
      out.exactLen = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size());
    } else {
      out.len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size() + 1);
    }
    return out;
  }
  Napi::Value a = o.Get("address");
  Napi::Value port = o.Get("port");
  if (!a.IsString() || !port.IsNumber()) ThrowType(env, "address.address must be a string and address.port a number");
  double pv = port.As<Napi::Number>().DoubleValue();
  if (!IsInt32In(pv, 0, 65535)) {
    // node:net's own error for a bad port (validatePort).
    Napi::RangeError e = Napi::RangeError::New(env, "Port should be >= 0 and < 65536. Received type number (" +
                                                        port.ToString().Utf8Value() + ").");
    e.Value().Set("code", "ERR_SOCKET_BAD_PORT");
    throw e;
  }
  int p = static_cast<int>(pv);
  std::string addr = a.As<Napi::String>().Utf8Value();
  *target = ErrorTarget::Inet(addr, p);
  if (family == "inet") {
    auto* sin = reinterpret_cast<sockaddr_in*>(ss);
    sin->sin_family = AF_INET;
    sin->sin_port = htons(static_cast<uint16_t>(p));
    if (inet_pton(AF_INET, addr.c_str(), &sin->sin_addr) != 1) ThrowType(env, "invalid IPv4 address: " + addr);
    out.len = sizeof *sin;
    return out;
  }
  if (family == "inet6") {
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(ss);
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons(static_cast<uint16_t>(p));
    if (inet_pton(AF_INET6, addr.c_str(), &sin6->sin6_addr) != 1) ThrowType(env, "invalid IPv6 address: " + addr);
    out.len = sizeof *sin6;
    return out;
  }
  ThrowType(env, "address.family must be 'inet', 'inet6' or 'unix'");
}

Napi::Value FromSockaddr(Napi::Env env, const sockaddr_storage& ss, socklen_t len) {
  Napi::Object o = Napi::Object::New(env);
  char buf[INET6_ADDRSTRLEN];
  if (ss.ss_family == AF_INET) {
    auto* sin = reinterpret_cast<const sockaddr_in*>(&ss);
    o.Set("family", "inet");
    o.Set("address", inet_ntop(AF_INET, &sin->sin_addr, buf, sizeof buf));
    o.Set("port", ntohs(sin->sin_port));
  } else if (ss.ss_family == AF_INET6) {
    auto* sin6 = reinterpret_cast<const sockaddr_in6*>(&ss);
    o.Set("family", "inet6");
    o.Set("address", inet_ntop(AF_INET6, &sin6->sin6_addr, buf, sizeof buf));
    o.Set("port", ntohs(sin6->sin6_port));
  } else if (ss.ss_family == AF_UNIX) {
    auto* sun = reinterpret_cast<const sockaddr_un*>(&ss);
    size_t n = len > offsetof(sockaddr_un, sun_path) ? len - offsetof(sockaddr_un, sun_path) : 0;
    n = std::min(n, sizeof sun->sun_path);
    if (n > 0 && sun->sun_path[0] != '\0') {
      n = strnlen(sun->sun_path, n);  // a path: up to its NUL
    } else {
      while (n > 1 && sun->sun_path[n - 1] == '\0') n--;  // an abstract name: without Node's padding
    }
    o.Set("family", "unix");
    o.Set("path", Napi::String::New(env, sun->sun_path, n));  // abstract names keep their leading "\0"
  } else {
    o.Set("family", "unknown");
  }
  return o;
}

// socket(domain, type, nonblock?) -> fd, always close-on-exec.
Napi::Value Socket(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsString() || !info[1].IsString()) ThrowType(env, "socket(domain: string, type: string)");
  int domain = Domain(env, info[0].As<Napi::String>().Utf8Value());
  int type = Type(env, info[1].As<Napi::String>().Utf8Value()) | SOCK_CLOEXEC;
  if (info.Length() > 2 && info[2].ToBoolean()) type |= SOCK_NONBLOCK;
  int fd = socket(domain, type, 0);
  if (fd < 0) ThrowErrno(env, "socket");
  return Napi::Number::New(env, fd);
}

Napi::Value Bind(const Napi::CallbackInfo& info) {
  int fd = ArgFd(info, 0);
  SockAddrArg a = ToSockaddr(info.Env(), info[1], "bind");
  if (bind(fd, a.sa(), a.len) < 0) ThrowErrno(info.Env(), "bind", a.target);
  return info.Env().Undefined();
}

Napi::Value Listen(const Napi::CallbackInfo& info) {
  int fd = ArgFd(info, 0);
  int backlog = ArgIntOr(info, 1, "backlog", SOMAXCONN);
  if (listen(fd, backlog) < 0) ThrowErrno(info.Env(), "listen");
  return info.Env().Undefined();
}

// accept(fd, nonblock?) -> new fd (close-on-exec), or -1 if the listener is non-blocking and empty.
Napi::Value Accept(const Napi::CallbackInfo& info) {
  int fd = ArgFd(info, 0);
  int flags = SOCK_CLOEXEC | (info.Length() > 1 && info[1].ToBoolean() ? SOCK_NONBLOCK : 0);
  int c = RetryEintr([&] { return accept4(fd, nullptr, nullptr, flags); });
  if (c < 0) {
    if (WouldBlock(errno)) return Napi::Number::New(info.Env(), -1);
    ThrowErrno(info.Env(), "accept");
  }
  return Napi::Number::New(info.Env(), c);
}

// connect(fd, address) -> 0 when connected, -1 when a non-blocking connect is in progress (wait for
// writability, then read SO_ERROR).
Napi::Value Connect(const Napi::CallbackInfo& info) {
  int fd = ArgFd(info, 0);
  SockAddrArg a = ToSockaddr(info.Env(), info[1], "connect");
  int r = WithAbstractFallback(a, [&](const sockaddr* sa, socklen_t len) { return connect(fd, sa, len); });
  if (r < 0) {
    if (errno == EINPROGRESS) return Napi::Number::New(info.Env(), -1);
    ThrowErrno(info.Env(), "connect", a.target);
  }
  return Napi::Number::New(info.Env(), 0);
}

Napi::Value GetSockName(const Napi::CallbackInfo& info) {
  int fd = ArgFd(info, 0);
  sockaddr_storage ss;
  socklen_t len = sizeof ss;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) < 0) ThrowErrno(info.Env(), "getsockname");
  return FromSockaddr(info.Env(), ss, len);
}

Napi::Value GetPeerName(const Napi::CallbackInfo& info) {
  int fd = ArgFd(info, 0);
  sockaddr_storage ss;
  socklen_t len = sizeof ss;
  if (getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len) < 0) ThrowErrno(info.Env(), "getpeername");
  return FromSockaddr(info.Env(), ss, len);
}

// setsockopt(fd, level, name, value) for integer options.
Napi::Value SetSockOpt(const Napi::CallbackInfo& info) {
  int fd = ArgFd(info, 0);
  int level = ArgInt(info, 1, "level"), name = ArgInt(info, 2, "name"), value = ArgInt(info, 3, "value");
  if (setsockopt(fd, level, name, &value, sizeof value) < 0) ThrowErrno(info.Env(), "setsockopt");
  return info.Env().Undefined();
}

Napi::Value GetSockOpt(const Napi::CallbackInfo& info) {
  int fd = ArgFd(info, 0);
  int level = ArgInt(info, 1, "level"), name = ArgInt(info, 2, "name");
  int value = 0;
  socklen_t len = sizeof value;
  if (getsockopt(fd, level, name, &value, &len) < 0) ThrowErrno(info.Env(), "getsockopt");
  return Napi::Number::New(info.Env(), value);
}

Napi::Value Shutdown(const Napi::CallbackInfo& info) {
  int fd = ArgFd(info, 0);
  int how = ArgInt(info, 1, "how");
  if (shutdown(fd, how) < 0) ThrowErrno(info.Env(), "shutdown");
  return info.Env().Undefined();
}

int FlagsArg(const Napi::CallbackInfo& info, size_t i) {
  return ArgIntOr(info, i, "flags", 0);
}

// send(fd, buffer, flags?) -> bytes sent, or -1 if it would block. One datagram on datagram sockets
// (EMSGSIZE if it cannot be one).
Napi::Value Send(const Napi::CallbackInfo& info) {
  int fd = ArgFd(info, 0);
  ByteRange r = ArgBytes(info, 1, SIZE_MAX, SIZE_MAX);
  int flags = FlagsArg(info, 2) | MSG_NOSIGNAL;
  ssize_t n = RetryEintr([&] { return send(fd, r.data, r.length, flags); });
  if (n < 0) {
    if (WouldBlock(errno)) return Napi::Number::New(info.Env(), -1);
    ThrowErrno(info.Env(), "send");
  }
  return Napi::Number::New(info.Env(), static_cast<double>(n));
}

// sendBlocking(fd, buffer, flags?) -> bytes sent; waits (poll) while the socket is full.
Napi::Value SendBlocking(const Napi::CallbackInfo& info) {
  int fd = ArgFd(info, 0);
  ByteRange r = ArgBytes(info, 1, SIZE_MAX, SIZE_MAX);
  int flags = FlagsArg(info, 2) | MSG_NOSIGNAL;
  ssize_t n = UntilReady(info.Env(), fd, POLLOUT, [&] { return send(fd, r.data, r.length, flags); });
  if (n < 0) ThrowErrno(info.Env(), "send");
  return Napi::Number::New(info.Env(), static_cast<double>(n));
}

// sendto(fd, buffer, address, flags?) -> bytes sent, or -1 if it would block.
Napi::Value SendTo(const Napi::CallbackInfo& info) {
  int fd = ArgFd(info, 0);
  ByteRange r = ArgBytes(info, 1, SIZE_MAX, SIZE_MAX);
  SockAddrArg a = ToSockaddr(info.Env(), info[2], "sendto");
  int flags = FlagsArg(info, 3) | MSG_NOSIGNAL;
  ssize_t n = WithAbstractFallback(a, [&](const sockaddr* sa, socklen_t len) { return sendto(fd, r.data, r.length, flags, sa, len); });
  if (n < 0) {
    if (WouldBlock(errno)) return Napi::Number::New(info.Env(), -1);
    ThrowErrno(info.Env(), "sendto", a.target);
  }
  return Napi::Number::New(info.Env(), static_cast<double>(n));
}

// recv(fd, buffer, flags?) -> bytes, or -1 if it would block. With MSG_TRUNC a datagram socket
// returns the datagram's real length even when the buffer held less (then the rest is gone).
Napi::Value Recv(const Napi::CallbackInfo& info) {
  int fd = ArgFd(info, 0);
  ByteRange r = ArgBytes(info, 1, SIZE_MAX, SIZE_MAX);
  int flags = FlagsArg(info, 2);
  ssize_t n = RetryEintr([&] { return recv(fd, r.data, r.length, flags); });
  if (n < 0) {
    if (WouldBlock(errno)) return Napi::Number::New(info.Env(), -1);
    ThrowErrno(info.Env(), "recv");
  }
  return Napi::Number::New(info.Env(), static_cast<double>(n));
}

// recvBlocking(fd, buffer, flags?) -> bytes; waits (poll) while nothing is there.
Napi::Value RecvBlocking(const Napi::CallbackInfo& info) {
  int fd = ArgFd(info, 0);
  ByteRange r = ArgBytes(info, 1, SIZE_MAX, SIZE_MAX);
  int flags = FlagsArg(info, 2);
  ssize_t n = UntilReady(info.Env(), fd, POLLIN, [&] { return recv(fd, r.data, r.length, flags); });
  if (n < 0) ThrowErrno(info.Env(), "recv");
  return Napi::Number::New(info.Env(), static_cast<double>(n));
}

// recvfrom(fd, buffer, flags?) -> [bytes, address] or -1 if it would block.
Napi::Value RecvFrom(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = ArgFd(info, 0);
  ByteRange r = ArgBytes(info, 1, SIZE_MAX, SIZE_MAX);
  int flags = FlagsArg(info, 2);
  sockaddr_storage ss;
  socklen_t len = sizeof ss;
  ssize_t n = RetryEintr([&] { return recvfrom(fd, r.data, r.length, flags, reinterpret_cast<sockaddr*>(&ss), &len); });
  if (n < 0) {
    if (WouldBlock(errno)) return Napi::Number::New(env, -1);
    ThrowErrno(env, "recvfrom");
  }
  Napi::Array out = Napi::Array::New(env, 2);
  out.Set(0u, Napi::Number::New(env, static_cast<double>(n)));
  out.Set(1u, len > 0 ? FromSockaddr(env, ss, len) : env.Null());
  return out;
}

// socketpair(type) -> [fd, fd]: a connected pair of AF_UNIX sockets, close-on-exec.
Napi::Value SocketPair(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) ThrowType(env, "socketpair(type: string)");
  int type = Type(env, info[0].As<Napi::String>().Utf8Value()) | SOCK_CLOEXEC;
  if (info.Length() > 1 && info[1].ToBoolean()) type |= SOCK_NONBLOCK;
  int sv[2];
  if (socketpair(AF_UNIX, type, 0, sv) < 0) ThrowErrno(env, "socketpair");
  Napi::Array out = Napi::Array::New(env, 2);
  out.Set(0u, sv[0]);
  out.Set(1u, sv[1]);
  return out;
}

// ---- SCM_RIGHTS and SO_PEERCRED -------------------------------------------------------------------

// The kernel's limit on fds in one SCM_RIGHTS message (SCM_MAX_FD).
constexpr int kMaxFdsPerMessage = 253;

// sendFds(fd, buffer, fds[], flags?) -> bytes sent, or -1 if it would block. The fds travel with
// the data as SCM_RIGHTS ancillary data; the receiver gets new fds for the same open files.
Napi::Value SendFds(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = ArgFd(info, 0);
  ByteRange r = ArgBytes(info, 1, SIZE_MAX, SIZE_MAX);
  if (info.Length() < 3 || !info[2].IsArray()) ThrowType(env, "fds must be an array of file descriptors");
  Napi::Array list = info[2].As<Napi::Array>();
  uint32_t count = list.Length();
  if (count > kMaxFdsPerMessage) {
    Napi::RangeError e = Napi::RangeError::New(env, "at most " + std::to_string(kMaxFdsPerMessage) + " fds fit in one message (SCM_MAX_FD), got " + std::to_string(count));
    e.Value().Set("code", "ERR_OUT_OF_RANGE");
    throw e;
  }
  if (r.length == 0 && count > 0) {
    Napi::RangeError e = Napi::RangeError::New(env, "fds must travel with at least one byte of data");
    e.Value().Set("code", "ERR_OUT_OF_RANGE");
    throw e;
  }
  std::vector<int> fds(count);
  for (uint32_t i = 0; i < count; i++) {
    fds[i] = Int32Of(env, list.Get(i), "fds[" + std::to_string(i) + "]", 0, INT32_MAX);
  }
  int flags = FlagsArg(info, 3) | MSG_NOSIGNAL;
  struct iovec iov = {r.data, r.length};
  struct msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  std::vector<char> control(CMSG_SPACE(sizeof(int) * (count > 0 ? count : 1)));
  if (count > 0) {
    msg.msg_control = control.data();
    msg.msg_controllen = CMSG_SPACE(sizeof(int) * count);
    struct cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * count);
    memcpy(CMSG_DATA(c), fds.data(), sizeof(int) * count);
  }
  ssize_t n = RetryEintr([&] { return sendmsg(fd, &msg, flags); });
  if (n < 0) {
    if (WouldBlock(errno)) return Napi::Number::New(env, -1);
    ThrowErrno(env, "sendmsg");
  }
  return Napi::Number::New(env, static_cast<double>(n));
}

// The shared body of recvFds and recvmsgFast: recvmsg(2) with room for maxFds fds (close-on-exec).
struct Received {
  ssize_t n;
  std::vector<int> fds;
  int flags;
};

Received RecvWithFds(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = ArgFd(info, 0);
  ByteRange r = ArgBytes(info, 1, SIZE_MAX, SIZE_MAX);
  int maxFds = ArgInt(info, 2, "maxFds", 0, kMaxFdsPerMessage);
  int flags = FlagsArg(info, 3) | MSG_CMSG_CLOEXEC;
  struct iovec iov = {r.data, r.length};
  struct msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxFdsPerMessage)];
  if (maxFds > 0) {
    msg.msg_control = control;
    msg.msg_controllen = CMSG_SPACE(sizeof(int) * maxFds);
  }
  Received out{0, {}, 0};
  out.n = RetryEintr([&] { return recvmsg(fd, &msg, flags); });
  if (out.n < 0) {
    if (WouldBlock(errno)) return out;
    ThrowErrno(env, "recvmsg");
  }
  for (struct cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    size_t m = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    int* got = reinterpret_cast<int*>(CMSG_DATA(c));
    out.fds.insert(out.fds.end(), got, got + m);
  }
  out.flags = msg.msg_flags;
  return out;
}

Napi::Object ReceivedObject(Napi::Env env, const Received& r) {
  Napi::Array fds = Napi::Array::New(env, r.fds.size());
  for (uint32_t i = 0; i < r.fds.size(); i++) fds.Set(i, r.fds[i]);
  Napi::Object out = Napi::Object::New(env);
  out.Set("bytes", static_cast<double>(r.n));
  out.Set("fds", fds);
  out.Set("truncated", (r.flags & MSG_TRUNC) != 0);
  out.Set("fdsTruncated", (r.flags & MSG_CTRUNC) != 0);
  return out;
}

// recvFds(fd, buffer, maxFds, flags?) -> -1 if it would block, else { bytes, fds, truncated,
// fdsTruncated }. Received fds are close-on-exec (MSG_CMSG_CLOEXEC) and belong to the caller.
// fdsTruncated (MSG_CTRUNC): more fds were sent than maxFds; the kernel closed the rest.
Napi::Value RecvFds(const Napi::CallbackInfo& info) {
  Received r = RecvWithFds(info);
  if (r.n < 0) return Napi::Number::New(info.Env(), -1);
  return ReceivedObject(info.Env(), r);
}

// recvmsgFast(...): the same, but a plain byte count when no fds (and no MSG_CTRUNC) came — the
// common case on the read path, without an object per read.
Napi::Value RecvmsgFast(const Napi::CallbackInfo& info) {
  Received r = RecvWithFds(info);
  if (r.n < 0) return Napi::Number::New(info.Env(), -1);
  if (r.fds.empty() && !(r.flags & MSG_CTRUNC)) return Napi::Number::New(info.Env(), static_cast<double>(r.n));
  return ReceivedObject(info.Env(), r);
}

// peerCred(fd) -> { pid, uid, gid } of the process that connected (SO_PEERCRED), as of connect().
Napi::Value PeerCred(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = ArgFd(info, 0);
  struct ucred cred;
  socklen_t len = sizeof cred;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) ThrowErrno(env, "getsockopt");
  Napi::Object out = Napi::Object::New(env);
  out.Set("pid", static_cast<double>(cred.pid));
  out.Set("uid", static_cast<double>(cred.uid));
  out.Set("gid", static_cast<double>(cred.gid));
  return out;
}

// recvfromCred(fd, buffer, flags?) -> -1 if it would block, else [bytes, address | null,
// { pid, uid, gid } | null]: recvmsg(2) with the sender's SCM_CREDENTIALS, which the kernel attaches
// (and vouches for) when the receiving socket has SO_PASSCRED set; null when it has not. For AF_UNIX
// datagrams, which have no SO_PEERCRED: a sameUidOnly check per datagram. Fds sent along (SCM_RIGHTS)
// are not wanted here and are closed (the caller would never learn their numbers).
Napi::Value RecvFromCred(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = ArgFd(info, 0);
  ByteRange r = ArgBytes(info, 1, SIZE_MAX, SIZE_MAX);
  int flags = FlagsArg(info, 2) | MSG_CMSG_CLOEXEC;
  sockaddr_storage ss;
  struct iovec iov = {r.data, r.length};
  struct msghdr msg = {};
  msg.msg_name = &ss;
  msg.msg_namelen = sizeof ss;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  // Room for the credentials and, should a sender add fds, a few of them (so they can be closed).
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(sizeof(int) * 16)];
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t n = RetryEintr([&] { return recvmsg(fd, &msg, flags); });
  if (n < 0) {
    if (WouldBlock(errno)) return Napi::Number::New(env, -1);
    ThrowErrno(env, "recvmsg");
  }
  Napi::Value cred = env.Null();
  for (struct cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET) continue;
    if (c->cmsg_type == SCM_CREDENTIALS && c->cmsg_len >= CMSG_LEN(sizeof(struct ucred))) {
      struct ucred u;
      memcpy(&u, CMSG_DATA(c), sizeof u);
      Napi::Object o = Napi::Object::New(env);
      o.Set("pid", static_cast<double>(u.pid));
      o.Set("uid", static_cast<double>(u.uid));
      o.Set("gid", static_cast<double>(u.gid));
      cred = o;
    } else if (c->cmsg_type == SCM_RIGHTS) {
      size_t m = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      for (size_t k = 0; k < m; k++) {
        int got;
        memcpy(&got, CMSG_DATA(c) + k * sizeof(int), sizeof got);
        close(got);
      }
    }
  }
  Napi::Array out = Napi::Array::New(env, 3);
  out.Set(0u, Napi::Number::New(env, static_cast<double>(n)));
  out.Set(1u, msg.msg_namelen > 0 ? FromSockaddr(env, ss, msg.msg_namelen) : env.Null());
  out.Set(2u, cred);
  return out;
}

}  // namespace

void InitSocket(Napi::Env env, Napi::Object exports) {
  exports.Set("socket", Napi::Function::New(env, Socket, "socket"));
  exports.Set("bind", Napi::Function::New(env, Bind, "bind"));
  exports.Set("listen", Napi::Function::New(env, Listen, "listen"));
  exports.Set("accept", Napi::Function::New(env, Accept, "accept"));
  exports.Set("connect", Napi::Function::New(env, Connect, "connect"));
  exports.Set("getsockname", Napi::Function::New(env, GetSockName, "getsockname"));
  exports.Set("getpeername", Napi::Function::New(env, GetPeerName, "getpeername"));
  exports.Set("setsockopt", Napi::Function::New(env, SetSockOpt, "setsockopt"));
  exports.Set("getsockopt", Napi::Function::New(env, GetSockOpt, "getsockopt"));
  exports.Set("shutdown", Napi::Function::New(env, Shutdown, "shutdown"));
  exports.Set("send", Napi::Function::New(env, Send, "send"));
  exports.Set("sendBlocking", Napi::Function::New(env, SendBlocking, "sendBlocking"));
  exports.Set("sendto", Napi::Function::New(env, SendTo, "sendto"));
  exports.Set("recv", Napi::Function::New(env, Recv, "recv"));
  exports.Set("recvBlocking", Napi::Function::New(env, RecvBlocking, "recvBlocking"));
  exports.Set("recvfrom", Napi::Function::New(env, RecvFrom, "recvfrom"));
  exports.Set("socketpair", Napi::Function::New(env, SocketPair, "socketpair"));
  exports.Set("sendFds", Napi::Function::New(env, SendFds, "sendFds"));
  exports.Set("recvFds", Napi::Function::New(env, RecvFds, "recvFds"));
  exports.Set("recvmsgFast", Napi::Function::New(env, RecvmsgFast, "recvmsgFast"));
  exports.Set("peerCred", Napi::Function::New(env, PeerCred, "peerCred"));
  exports.Set("recvfromCred", Napi::Function::New(env, RecvFromCred, "recvfromCred"));
  Napi::Object c = exports.Get("constants").As<Napi::Object>();
  c.Set("SOL_SOCKET", static_cast<int>(SOL_SOCKET));
  c.Set("SO_REUSEADDR", static_cast<int>(SO_REUSEADDR));
  c.Set("SO_SNDBUF", static_cast<int>(SO_SNDBUF));
  c.Set("SO_RCVBUF", static_cast<int>(SO_RCVBUF));
  c.Set("SO_ERROR", static_cast<int>(SO_ERROR));
  c.Set("SO_TYPE", static_cast<int>(SO_TYPE));
  c.Set("SO_PASSCRED", static_cast<int>(SO_PASSCRED));
  c.Set("IPPROTO_TCP", static_cast<int>(IPPROTO_TCP));
  c.Set("TCP_NODELAY", static_cast<int>(TCP_NODELAY));
  c.Set("SHUT_RD", static_cast<int>(SHUT_RD));
  c.Set("SHUT_WR", static_cast<int>(SHUT_WR));
  c.Set("SHUT_RDWR", static_cast<int>(SHUT_RDWR));
  c.Set("SOMAXCONN", static_cast<int>(SOMAXCONN));
  c.Set("MSG_TRUNC", static_cast<int>(MSG_TRUNC));
  c.Set("MSG_DONTWAIT", static_cast<int>(MSG_DONTWAIT));
  c.Set("MSG_PEEK", static_cast<int>(MSG_PEEK));
  c.Set("SCM_MAX_FD", kMaxFdsPerMessage);
  c.Set("UNIX_PATH_MAX", static_cast<int>(sizeof(sockaddr_un::sun_path)));
}

}  // namespace ipc
