// One Init function per source file; addon.cc calls them all.
#pragma once
#include <napi.h>

namespace ipc {
void InitErrors(Napi::Env env, Napi::Object exports);
void InitEventfd(Napi::Env env, Napi::Object exports);
void InitFd(Napi::Env env, Napi::Object exports);
void InitFifo(Napi::Env env, Napi::Object exports);
void InitPipe(Napi::Env env, Napi::Object exports);
void InitPoller(Napi::Env env, Napi::Object exports);
void InitProcess(Napi::Env env, Napi::Object exports);
void InitPthreadSync(Napi::Env env, Napi::Object exports);
void InitShared(Napi::Env env, Napi::Object exports);
void InitShm(Napi::Env env, Napi::Object exports);
void InitSocket(Napi::Env env, Napi::Object exports);
void InitSync(Napi::Env env, Napi::Object exports);
void InitXsiSem(Napi::Env env, Napi::Object exports);
}  // namespace ipc
