// Named shared memory: POSIX shm objects (shm_open, a file in /dev/shm), XSI segments (shmget/shmat,
// kernel objects found by id), and the pieces a file-backed region needs (posix_fallocate, msync).
// Every mapping reaches JS as a SharedArrayBuffer (shared.h WrapShared) whose deleter unmaps or
// detaches it when the last view is gone, so no JS access can touch memory that is no longer mapped.
//
// Memory is reserved when the object is made (posix_fallocate, or MADV_POPULATE_WRITE for an XSI
// segment): a full /dev/shm is ENOSPC at creation, never SIGBUS at some later store.
#include <fcntl.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "errors.h"
#include "exports.h"
#include "shared.h"

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23  // Linux 5.14
#endif

namespace ipc {
namespace {

std::string ArgName(const Napi::CallbackInfo& info, size_t i) {
  if (info.Length() <= i || !info[i].IsString()) throw InvalidArgType(info.Env(), "name", "string", info[i]);
  return info[i].As<Napi::String>().Utf8Value();
}

// Sets the size of a new file and reserves its pages: ftruncate, then posix_fallocate. 0 or an errno,
// with the failing call in *failed.
int SizeAndReserve(int fd, off_t length, const char** failed) {
  if (ftruncate(fd, length) < 0) {
    *failed = "ftruncate";
    return errno;
  }
  int err = posix_fallocate(fd, 0, length);
  if (err != 0) *failed = "posix_fallocate";
  return err;
}

// shmCreate(name, length) -> fd: shm_open(O_RDWR|O_CREAT|O_EXCL, 0600), sized and reserved. On any
// failure after the name exists, the name is unlinked again (nothing is left behind).
Napi::Value ShmCreate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name = ArgName(info, 0);
  int length = ArgInt(info, 1, "length", 1);
  int fd = shm_open(name.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) ThrowErrno(env, "shm_open", name.c_str());
  const char* failed = nullptr;
  int err = SizeAndReserve(fd, length, &failed);
  if (err != 0) {
    close(fd);
    shm_unlink(name.c_str());
    throw ErrnoError(env, err, failed, name.c_str());
  }
  return Napi::Number::New(env, fd);
}

// shmOpenExisting(name) -> fd: shm_open(O_RDWR) of an object another process made (ENOENT if none).
Napi::Value ShmOpenExisting(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name = ArgName(info, 0);
  int fd = shm_open(name.c_str(), O_RDWR | O_CLOEXEC, 0);
  if (fd < 0) ThrowErrno(env, "shm_open", name.c_str());
  return Napi::Number::New(env, fd);
}

// shmUnlink(name): removes the name; mappings stay valid until unmapped.
Napi::Value ShmUnlink(const Napi::CallbackInfo& info) {
  std::string name = ArgName(info, 0);
  if (shm_unlink(name.c_str()) < 0) ThrowErrno(info.Env(), "shm_unlink", name.c_str());
  return info.Env().Undefined();
}

// fileReserve(fd, length): sizes a new regular file and reserves its blocks (file-backed regions).
Napi::Value FileReserve(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = ArgFd(info, 0);
  int length = ArgInt(info, 1, "length", 1);
  const char* failed = nullptr;
  int err = SizeAndReserve(fd, length, &failed);
  if (err != 0) throw ErrnoError(env, err, failed);
  return env.Undefined();
}

// msyncShared(buffer): msync(MS_SYNC) of a file-backed mapping: its bytes are in the file when it returns.
Napi::Value MsyncShared(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  size_t length = 0;
  void* p = SharedData(env, info[0], &length);
  if (msync(p, length, MS_SYNC) < 0) ThrowErrno(env, "msync");
  return env.Undefined();
}

// xsiCreate(key, length) -> id: shmget(key, length, IPC_CREAT|IPC_EXCL|0600); key 0 is IPC_PRIVATE.
Napi::Value XsiCreate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int key = ArgInt(info, 0, "key");
  int length = ArgInt(info, 1, "length", 1);
  int id = shmget(key == 0 ? IPC_PRIVATE : static_cast<key_t>(key), static_cast<size_t>(length), IPC_CREAT | IPC_EXCL | 0600);
  if (id < 0) ThrowErrno(env, "shmget");
  return Napi::Number::New(env, id);
}

// xsiFind(key) -> id of an existing segment with that key (ENOENT if none).
Napi::Value XsiFind(const Napi::CallbackInfo& info) {
  int key = ArgInt(info, 0, "key", 1);
  int id = shmget(static_cast<key_t>(key), 0, 0);
  if (id < 0) ThrowErrno(info.Env(), "shmget");
  return Napi::Number::New(info.Env(), id);
}

void Detach(void* data, size_t, void*) { shmdt(data); }

// xsiAttach(id, minLength) -> SharedArrayBuffer over shmat(id): the whole segment, refused if it is
// smaller than minLength; its pages are faulted in now (ENOMEM here rather than SIGBUS later).
Napi::Value XsiAttach(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int id = ArgInt(info, 0, "id", 0);
  int minLength = ArgInt(info, 1, "minLength", 1);
  struct shmid_ds ds;
  if (shmctl(id, IPC_STAT, &ds) < 0) ThrowErrno(env, "shmctl");
  if (ds.shm_segsz < static_cast<size_t>(minLength)) {
    Napi::RangeError e = Napi::RangeError::New(env, "The XSI segment " + std::to_string(id) + " is " + std::to_string(ds.shm_segsz) +
                                                        " bytes, smaller than the " + std::to_string(minLength) + " bytes needed");
    e.Value().Set("code", "ERR_OUT_OF_RANGE");
    throw e;
  }
  void* p = shmat(id, nullptr, 0);
  if (p == reinterpret_cast<void*>(-1)) ThrowErrno(env, "shmat");
  if (madvise(p, ds.shm_segsz, MADV_POPULATE_WRITE) < 0 && errno != EINVAL) {
    int err = errno;
    shmdt(p);
    throw ErrnoError(env, err, "madvise");
  }
  return WrapShared(env, p, ds.shm_segsz, Detach);
}

// xsiRemove(id): IPC_RMID — the segment goes once the last process has detached; no new attach.
Napi::Value XsiRemove(const Napi::CallbackInfo& info) {
  int id = ArgInt(info, 0, "id", 0);
  if (shmctl(id, IPC_RMID, nullptr) < 0) ThrowErrno(info.Env(), "shmctl");
  return info.Env().Undefined();
}

// xsiStat(id) -> { size, attached, mode, creatorPid, removed }
Napi::Value XsiStat(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int id = ArgInt(info, 0, "id", 0);
  struct shmid_ds ds;
  if (shmctl(id, IPC_STAT, &ds) < 0) ThrowErrno(env, "shmctl");
  Napi::Object o = Napi::Object::New(env);
  o.Set("size", static_cast<double>(ds.shm_segsz));
  o.Set("attached", static_cast<double>(ds.shm_nattch));
  o.Set("mode", ds.shm_perm.mode & 0777);
  o.Set("creatorPid", ds.shm_cpid);
  o.Set("removed", (ds.shm_perm.mode & SHM_DEST) != 0);
  return o;
}

}  // namespace

void InitShm(Napi::Env env, Napi::Object exports) {
  exports.Set("shmCreate", Napi::Function::New(env, ShmCreate, "shmCreate"));
  exports.Set("shmOpenExisting", Napi::Function::New(env, ShmOpenExisting, "shmOpenExisting"));
  exports.Set("shmUnlink", Napi::Function::New(env, ShmUnlink, "shmUnlink"));
  exports.Set("fileReserve", Napi::Function::New(env, FileReserve, "fileReserve"));
  exports.Set("msyncShared", Napi::Function::New(env, MsyncShared, "msyncShared"));
  exports.Set("xsiCreate", Napi::Function::New(env, XsiCreate, "xsiCreate"));
  exports.Set("xsiFind", Napi::Function::New(env, XsiFind, "xsiFind"));
  exports.Set("xsiAttach", Napi::Function::New(env, XsiAttach, "xsiAttach"));
  exports.Set("xsiRemove", Napi::Function::New(env, XsiRemove, "xsiRemove"));
  exports.Set("xsiStat", Napi::Function::New(env, XsiStat, "xsiStat"));
}

}  // namespace ipc
