// @ipc-compare/sync: synchronization between worker threads and between processes — the three cases
// of the notes (threads of one process; threads and processes sharing memory; processes sharing none).
export { SharedRegion } from './region.js';
export { FutexMutex } from './futex-mutex.js';
export { FutexSemaphore } from './futex-semaphore.js';
export { Mutex, type MutexOptions, type MutexType } from './mutex.js';
export { RwLock, type RwLockOptions } from './rwlock.js';
export { Cond } from './cond.js';
export { Semaphore } from './semaphore.js';
export { NAME_PREFIX, NamedSemaphore } from './named-semaphore.js';
export { EventFd, type EventFdOptions } from './event-fd.js';
export { XSI_SEM_MAX, XsiSemaphore, type XsiSemaphoreOptions } from './xsi-semaphore.js';
export type { WaitOptions } from './wait.js';
