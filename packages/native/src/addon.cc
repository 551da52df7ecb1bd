// Thin bindings for the syscalls Node lacks. No policy lives here: the TypeScript packages decide
// modes, sizes and ownership; this file only registers each mechanism's bindings.
#include "exports.h"

namespace {
Napi::Object Init(Napi::Env env, Napi::Object exports) {
  ipc::InitErrors(env, exports);
  ipc::InitEventfd(env, exports);
  ipc::InitFd(env, exports);
  ipc::InitFifo(env, exports);
  ipc::InitPipe(env, exports);
  ipc::InitPoller(env, exports);
  ipc::InitProcess(env, exports);
  ipc::InitPthreadSync(env, exports);
  ipc::InitShared(env, exports);
  ipc::InitShm(env, exports);
  ipc::InitSocket(env, exports);
  ipc::InitSync(env, exports);
  ipc::InitXsiSem(env, exports);
  return exports;
}
}  // namespace

NODE_API_MODULE(ipc_native, Init)
