// Typed entry point of the addon. Every binding is re-exported by name (never
// `module.exports = require(...)`), so ESM named imports work in plain Node as well as under vitest.
import { createRequire } from 'node:module';

/** The kinds of object an fd can refer to, as fstat(2) reports them. */
export type FileType =
  | 'fifo'
  | 'socket'
  | 'file'
  | 'directory'
  | 'character-device'
  | 'block-device'
  | 'symlink'
  | 'unknown';

export interface FdStat {
  type: FileType;
  /** Permission bits (mode & 0o7777). */
  mode: number;
  ino: number;
  dev: number;
  uid: number;
  gid: number;
  size: number;
}

/** A socket address. A unix `path` starting with "\0" is a Linux abstract name. */
export type SockAddr =
  | { family: 'inet' | 'inet6'; address: string; port: number }
  | { family: 'unix'; path: string }
  /** connect() to this dissolves a datagram socket's peer association. */
  | { family: 'unspec' };

export type SocketDomain = 'inet' | 'inet6' | 'unix';
export type SocketType = 'stream' | 'dgram' | 'seqpacket';

/**
 * A FIFO open that waits for the partner on a thread of its own (never the libuv threadpool). The
 * result comes only through the callback. The object may be dropped: the open still completes (and
 * reports) unless cancelled.
 */
export interface FifoOpener {
  /**
   * Releases a pending open (it reports ECANCELED); works even when the process is out of fds (the
   * opener holds one in reserve). False if it had already completed. Throws a Node-style error (e.g.
   * EACCES) if it cannot open the FIFO as the partner: the open is then still pending.
   */
  cancel(): boolean;
}

export interface FifoOpenerConstructor {
  /** `flags`: O_RDONLY or O_WRONLY. The callback gets (null, fd) — the caller owns fd — or (err, -1). */
  new (path: string, flags: number, callback: (err: ErrnoException | null, fd: number) => void): FifoOpener;
}

/** How a wait ended ('ok': woken, or a semaphore unit taken), the words Atomics.wait uses. */
export type WaitOutcome = 'ok' | 'not-equal' | 'timed-out';

/** sem_open(3)'d named semaphore (/dev/shm/sem.NAME). Methods throw ERR_INVALID_STATE after close(). */
export interface NamedSemaphoreHandle {
  post(): void;
  /** True if a unit was taken, false if the count was 0. */
  tryWait(): boolean;
  /** Blocks the calling thread; true, or false when `timeoutMs` passed first. */
  wait(timeoutMs?: number): boolean;
  value(): number;
  /** sem_close (deferred until no waiter thread uses it). Idempotent. */
  close(): void;
}

export interface NamedSemaphoreConstructor {
  /** `oflag`: 0 opens an existing name; O_CREAT|O_EXCL creates (EEXIST if taken). Names start with '/'. */
  new (name: string, oflag: number, mode?: number, value?: number): NamedSemaphoreHandle;
  /** sem_unlink(3): the name goes; processes that have it open keep it. */
  unlink(name: string): void;
}

/** shmctl(IPC_STAT) of an XSI segment. */
export interface XsiStat {
  size: number;
  attached: number;
  /** Permission bits (e.g. 0o600). */
  mode: number;
  creatorPid: number;
  /** IPC_RMID done, still attached somewhere. */
  removed: boolean;
}

/**
 * A futex waiter with one thread for its whole life: watch(expected) asks it for one FUTEX_WAIT on the
 * word while it is `expected`; the callback gets the outcome on the JS thread. Idle, it does not keep
 * the event loop alive. cancel() ends the current watch within 50 ms; close() ends the thread.
 */
export interface FutexWatcher {
  watch(expected: number): void;
  cancel(): void;
  close(): void;
}

export interface FutexWatcherConstructor {
  new (buffer: SharedArrayBuffer, offset: number, callback: (outcome: 'ok' | 'not-equal' | 'cancelled') => void): FutexWatcher;
}

/** An async wait on a thread of its own (never the libuv threadpool). */
export interface SyncWaiter {
  /** Ends the wait within 50 ms ('cancelled'), unless it completed first (then it reports that). */
  cancel(): void;
}

export type SyncWaiterCallback = (err: ErrnoException | null, outcome: WaitOutcome | 'cancelled' | undefined) => void;

export interface SyncWaiterConstructor {
  new (kind: 'futex', target: SharedArrayBuffer, offset: number, expected: number, timeoutMs: number, callback: SyncWaiterCallback): SyncWaiter;
  new (kind: 'sem', target: SharedArrayBuffer, offset: number, expected: 0, timeoutMs: number, callback: SyncWaiterCallback): SyncWaiter;
  new (kind: 'named-sem', target: NamedSemaphoreHandle, offset: null, expected: 0, timeoutMs: number, callback: SyncWaiterCallback): SyncWaiter;
  /** Takes a unit of the XSI set `id`'s semaphore 0; `undo` 1: with SEM_UNDO. EIDRM if the set is removed. */
  new (kind: 'xsi-sem', id: number, offset: null, undo: 0 | 1, timeoutMs: number, callback: SyncWaiterCallback): SyncWaiter;
}

/** IPC_STAT of an XSI semaphore set: permission bits (mode & 0o777), owner and creator, times in s since the epoch. */
export interface XsiSemStat {
  nsems: number;
  mode: number;
  uid: number;
  gid: number;
  cuid: number;
  cgid: number;
  /** The last semop (0: none yet). */
  otime: number;
  /** Creation, or the last SETVAL/IPC_SET. */
  ctime: number;
}

/**
 * How a LockAgent's step ended. First event: 'locked' / 'owner-dead' (held: robust mutex whose holder
 * died), or 'timed-out' / 'cancelled' / 'error' (not held; the agent has ended). After condWait: 'ok'
 * (signalled or spurious), 'timed-out', 'owner-dead', 'cancelled', 'error' — the mutex held again.
 */
export type LockAgentEvent = 'locked' | 'owner-dead' | 'ok' | 'timed-out' | 'cancelled' | 'error';

/**
 * A thread of its own that takes a pthread lock (never the libuv threadpool), then holds it for JS
 * until release(). Its methods throw ERR_INVALID_STATE unless it holds the lock and is idle.
 */
export interface LockAgent {
  /** The agent unlocks (on its thread) and ends; returns once the lock is free. */
  release(): void;
  /** pthread_mutex_consistent, by the owning agent (after 'owner-dead'). */
  consistent(): void;
  /** pthread_cond_clockwait on the cond at `offset` with the mutex the agent holds; reports by callback. */
  condWait(buffer: SharedArrayBuffer, offset: number, timeoutMs: number): void;
  /** Ends a pending acquisition or cond wait ('cancelled') unless it completed first. */
  cancel(): void;
}

export interface LockAgentConstructor {
  new (kind: 'mutex' | 'read' | 'write', buffer: SharedArrayBuffer, offset: number, timeoutMs: number, callback: (err: ErrnoException | null, event: LockAgentEvent) => void): LockAgent;
}

/** sizeof the pthread and semaphore types (bytes), for placing them in shared memory. */
export interface SyncSizes {
  sem: number;
  mutex: number;
  rwlock: number;
  cond: number;
}

/** What recvmsg(2) delivered: data bytes, the fds that came with them, and what did not fit. */
export interface ReceivedWithFds {
  bytes: number;
  /** New fds in this process (close-on-exec); the caller owns them. */
  fds: number[];
  /** MSG_TRUNC: the datagram was longer than the buffer. */
  truncated: boolean;
  /** MSG_CTRUNC: more fds were sent than there was room for; the kernel closed the rest. */
  fdsTruncated: boolean;
}

/** SO_PEERCRED: who connected, as of connect(). */
export interface PeerCred {
  pid: number;
  uid: number;
  gid: number;
}

export interface NativeConstants {
  F_GETFL: number;
  F_SETFL: number;
  F_GETFD: number;
  F_SETFD: number;
  F_DUPFD_CLOEXEC: number;
  FD_CLOEXEC: number;
  O_NONBLOCK: number;
  O_RDONLY: number;
  O_WRONLY: number;
  O_RDWR: number;
  O_ACCMODE: number;
  O_CREAT: number;
  /** errno values the sync bindings return (not all are in os.constants.errno, which is libuv's list). */
  ETIMEDOUT: number;
  EOWNERDEAD: number;
  ENOTRECOVERABLE: number;
  EBUSY: number;
  O_EXCL: number;
  O_CLOEXEC: number;
  O_DIRECT: number;
  F_GETPIPE_SZ: number;
  F_SETPIPE_SZ: number;
  POLLIN: number;
  POLLOUT: number;
  POLLERR: number;
  POLLHUP: number;
  POLLNVAL: number;
  POLLRDHUP: number;
  PIPE_BUF: number;
  IOV_MAX: number;
  UV_READABLE: number;
  UV_WRITABLE: number;
  UV_DISCONNECT: number;
  SOL_SOCKET: number;
  SO_REUSEADDR: number;
  SO_SNDBUF: number;
  SO_RCVBUF: number;
  SO_ERROR: number;
  SO_TYPE: number;
  /** Set it (setsockopt 1) on a receiving AF_UNIX socket to get each sender's credentials (recvfromCred). */
  SO_PASSCRED: number;
  IPPROTO_TCP: number;
  TCP_NODELAY: number;
  SHUT_RD: number;
  SHUT_WR: number;
  SHUT_RDWR: number;
  SOMAXCONN: number;
  MSG_TRUNC: number;
  MSG_DONTWAIT: number;
  MSG_PEEK: number;
  /** Most fds one SCM_RIGHTS message can carry (253). */
  SCM_MAX_FD: number;
  /** sizeof(sockaddr_un.sun_path): 108 on Linux. */
  UNIX_PATH_MAX: number;
}

/** Readiness watcher on the event loop (libuv uv_poll_t). Switches the fd to O_NONBLOCK. */
export interface Poller {
  /** Watch for UV_READABLE | UV_WRITABLE | UV_DISCONNECT; calling again replaces the set. */
  start(events: number): void;
  stop(): void;
  /** Stops and releases the watcher; the fd stays open (its owner closes it). */
  close(): void;
  ref(): void;
  unref(): void;
}

export interface PollerConstructor {
  /** `status` < 0 is a negative errno; `events` is the ready set. */
  new (fd: number, callback: (status: number, events: number) => void): Poller;
}

/** A failed syscall, shaped like Node's own SystemErrors. */
export interface ErrnoException extends Error {
  code: string;
  /** Negative errno, as in Node (e.g. -9 for EBADF). */
  errno: number;
  syscall: string;
  /** A file or unix socket (an abstract name keeps its "\0"; the message shows it as '@name'). */
  path?: string;
  /** An inet socket address the call was aimed at, as in node:net's errors. */
  address?: string;
  /** Its port (only when > 0, as in node:net). */
  port?: number;
}

/** What errnoError names in the Error: a path, or a socket address (a SockAddr will do). */
export type ErrorTarget = string | SockAddr | { path: string } | { address: string; port?: number };

interface Addon {
  errnoError(errno: number, syscall: string, target?: ErrorTarget): ErrnoException;
  strerror(errno: number): string;
  read(fd: number, buffer: Uint8Array, offset?: number, length?: number): number;
  readBlocking(fd: number, buffer: Uint8Array, offset?: number, length?: number): number;
  write(fd: number, buffer: Uint8Array, offset?: number, length?: number): number;
  writeAll(fd: number, buffer: Uint8Array, offset?: number, length?: number): number;
  writev(fd: number, buffers: readonly Uint8Array[], skip?: number): number;
  writevAll(fd: number, buffers: readonly Uint8Array[]): number;
  close(fd: number): void;
  fcntl(fd: number, cmd: number, arg?: number): number;
  fstat(fd: number): FdStat;
  poll(fd: number, events: number, timeoutMs: number): number;
  pipe2(flags?: number): [number, number];
  setAffinity(tid: number, cpus: readonly number[]): void;
  getAffinity(tid: number): number[];
  getCpu(): number;
  cpuTimeNs(pid: number): number;
  setParentDeathSignal(signal: number): boolean;
  Poller: PollerConstructor;
  mkfifo(path: string, mode?: number): void;
  FifoOpener: FifoOpenerConstructor;
  socket(domain: SocketDomain, type: SocketType, nonblock?: boolean): number;
  bind(fd: number, addr: SockAddr): void;
  listen(fd: number, backlog?: number): void;
  accept(fd: number, nonblock?: boolean): number;
  connect(fd: number, addr: SockAddr): number;
  getsockname(fd: number): SockAddr;
  getpeername(fd: number): SockAddr;
  setsockopt(fd: number, level: number, name: number, value: number): void;
  getsockopt(fd: number, level: number, name: number): number;
  shutdown(fd: number, how: number): void;
  send(fd: number, buffer: Uint8Array, flags?: number): number;
  sendBlocking(fd: number, buffer: Uint8Array, flags?: number): number;
  sendto(fd: number, buffer: Uint8Array, addr: SockAddr, flags?: number): number;
  recv(fd: number, buffer: Uint8Array, flags?: number): number;
  recvBlocking(fd: number, buffer: Uint8Array, flags?: number): number;
  recvfrom(fd: number, buffer: Uint8Array, flags?: number): -1 | [number, SockAddr | null];
  socketpair(type: SocketType, nonblock?: boolean): [number, number];
  sendFds(fd: number, buffer: Uint8Array, fds: readonly number[], flags?: number): number;
  recvFds(fd: number, buffer: Uint8Array, maxFds: number, flags?: number): -1 | ReceivedWithFds;
  recvmsgFast(fd: number, buffer: Uint8Array, maxFds: number, flags?: number): number | ReceivedWithFds;
  peerCred(fd: number): PeerCred;
  recvfromCred(fd: number, buffer: Uint8Array, flags?: number): -1 | [number, SockAddr | null, PeerCred | null];
  memfdCreate(name: string, length: number): number;
  mapShared(fd: number, length: number): SharedArrayBuffer;
  shmCreate(name: string, length: number): number;
  shmOpenExisting(name: string): number;
  shmUnlink(name: string): void;
  fileReserve(fd: number, length: number): void;
  msyncShared(buffer: SharedArrayBuffer): void;
  xsiCreate(key: number, length: number): number;
  xsiFind(key: number): number;
  xsiAttach(id: number, minLength: number): SharedArrayBuffer;
  xsiRemove(id: number): void;
  xsiStat(id: number): XsiStat;
  pidfdOpen(pid: number): number;
  /** 0 'ok', 1 'not-equal', 2 'timed-out' (futexWait below names them). */
  futexWait(buffer: SharedArrayBuffer, offset: number, expected: number, timeoutMs?: number): 0 | 1 | 2;
  futexWake(buffer: SharedArrayBuffer, offset: number, count: number): number;
  semInit(buffer: SharedArrayBuffer, offset: number, value: number): void;
  semPost(buffer: SharedArrayBuffer, offset: number): void;
  semTryWait(buffer: SharedArrayBuffer, offset: number): boolean;
  semWait(buffer: SharedArrayBuffer, offset: number, timeoutMs?: number): boolean;
  semValue(buffer: SharedArrayBuffer, offset: number): number;
  semDestroy(buffer: SharedArrayBuffer, offset: number): void;
  mutexInit(buffer: SharedArrayBuffer, offset: number, type: 0 | 1 | 2, robust: boolean): void;
  mutexLock(buffer: SharedArrayBuffer, offset: number, timeoutMs?: number): number;
  mutexTryLock(buffer: SharedArrayBuffer, offset: number): number;
  mutexUnlock(buffer: SharedArrayBuffer, offset: number): void;
  mutexConsistent(buffer: SharedArrayBuffer, offset: number): void;
  mutexDestroy(buffer: SharedArrayBuffer, offset: number): void;
  NamedSemaphore: NamedSemaphoreConstructor;
  SyncWaiter: SyncWaiterConstructor;
  FutexWatcher: FutexWatcherConstructor;
  syncSizes: SyncSizes;
  rwlockInit(buffer: SharedArrayBuffer, offset: number, preferWriters: boolean): void;
  rwlockRdLock(buffer: SharedArrayBuffer, offset: number, timeoutMs?: number): number;
  rwlockWrLock(buffer: SharedArrayBuffer, offset: number, timeoutMs?: number): number;
  rwlockTryRdLock(buffer: SharedArrayBuffer, offset: number): number;
  rwlockTryWrLock(buffer: SharedArrayBuffer, offset: number): number;
  rwlockUnlock(buffer: SharedArrayBuffer, offset: number): void;
  rwlockDestroy(buffer: SharedArrayBuffer, offset: number): void;
  condInit(buffer: SharedArrayBuffer, offset: number): void;
  condWait(buffer: SharedArrayBuffer, offset: number, mutexBuffer: SharedArrayBuffer, mutexOffset: number, timeoutMs?: number): number;
  condSignal(buffer: SharedArrayBuffer, offset: number): void;
  condBroadcast(buffer: SharedArrayBuffer, offset: number): void;
  condDestroy(buffer: SharedArrayBuffer, offset: number): void;
  LockAgent: LockAgentConstructor;
  eventfdCreate(initial: number, semaphore: boolean): number;
  eventfdRead(fd: number): number;
  /** Blocks until the counter is > 0 and reads it (poll, then read), or -1 after `timeoutMs`. */
  eventfdWait(fd: number, timeoutMs?: number): number;
  eventfdWrite(fd: number, n: number): boolean;
  xsiSemCreate(value: number, mode?: number): number;
  xsiSemPost(id: number, undo: boolean): void;
  xsiSemTryWait(id: number, undo: boolean): boolean;
  xsiSemWait(id: number, undo: boolean, timeoutMs?: number): boolean;
  xsiSemValue(id: number): number;
  xsiSemWaiters(id: number): number;
  xsiSemStat(id: number): XsiSemStat;
  xsiSemRemove(id: number): void;
  constants: NativeConstants;
}

const addon = createRequire(import.meta.url)('../build/Release/ipc_native.node') as Addon;

// ---- errors.cc -------------------------------------------------------------------------------------

/**
 * Builds (does not throw) the Node-style Error for `errno` (positive or negative). `target` is a path
 * or a socket address: `errnoError(err, 'connect', addr)` after a non-blocking connect failed (SO_ERROR)
 * gives the same Error as a connect that failed at once.
 */
export const errnoError: Addon['errnoError'] = addon.errnoError;
/** The C library's strerror() text (e.g. "Connection refused"), for output that must match C's. */
export const strerror: Addon['strerror'] = addon.strerror;

// ---- fd.cc: one syscall each ----------------------------------------------------------------------

/** read(2) once. Returns bytes read, 0 at end of file, or -1 if the fd is non-blocking and empty. */
export const read: Addon['read'] = addon.read;
/** write(2) once. Returns bytes written, or -1 if the fd is non-blocking and full. */
export const write: Addon['write'] = addon.write;
/** writev(2) once over up to IOV_MAX buffers, skipping `skip` bytes of the first. -1 if it would block. */
export const writev: Addon['writev'] = addon.writev;

// ---- fd.cc: the blocking path ---------------------------------------------------------------------

/** Blocks until at least one byte (or end of file: 0) is read. One read(2) on a blocking fd. */
export const readBlocking: Addon['readBlocking'] = addon.readBlocking;
/** Blocks until every byte is written, looping over short writes. */
export const writeAll: Addon['writeAll'] = addon.writeAll;
/** Gather version of writeAll: all buffers (at most IOV_MAX), in order, one writev(2) when they fit. */
export const writevAll: Addon['writevAll'] = addon.writevAll;

// ---- fd.cc: control -------------------------------------------------------------------------------

export const close: Addon['close'] = addon.close;
export const fcntl: Addon['fcntl'] = addon.fcntl;
export const fstat: Addon['fstat'] = addon.fstat;
/** poll(2) on one fd, blocking the calling thread up to timeoutMs (-1: forever). Returns revents. */
export const poll: Addon['poll'] = addon.poll;

// ---- pipe.cc, poller.cc, process.cc -----------------------------------------------------------------

/** pipe2(2) → [readFd, writeFd]. Defaults to O_CLOEXEC: children inherit only what is handed over. */
export const pipe2: Addon['pipe2'] = addon.pipe2;
export const Poller: PollerConstructor = addon.Poller;
export const setAffinity: Addon['setAffinity'] = addon.setAffinity;
export const getAffinity: Addon['getAffinity'] = addon.getAffinity;
export const getCpu: Addon['getCpu'] = addon.getCpu;
/** CPU time (user + system, all threads) of process `pid` so far, in ns (0 = this process); clock_getcpuclockid. */
export const cpuTimeNs: Addon['cpuTimeNs'] = addon.cpuTimeNs;
/** prctl(PR_SET_PDEATHSIG): get `signal` when the parent exits. True if the parent is already gone. */
export const setParentDeathSignal: Addon['setParentDeathSignal'] = addon.setParentDeathSignal;
/** pidfd_open(2): an fd (close-on-exec) that turns readable when process `pid` ends. */
export const pidfdOpen: Addon['pidfdOpen'] = addon.pidfdOpen;
export const constants: Readonly<NativeConstants> = Object.freeze({ ...addon.constants });

// ---- shared.cc, sync.cc ----------------------------------------------------------------------------

/**
 * memfd_create(2) of `length` bytes, close-on-exec, pages reserved up front (posix_fallocate) and the
 * size sealed (F_SEAL_SHRINK|F_SEAL_GROW): no process holding it can shrink it under a mapping.
 */
export const memfdCreate: Addon['memfdCreate'] = addon.memfdCreate;
/**
 * mmap(MAP_SHARED) of an fd's first `length` bytes as a SharedArrayBuffer (V8's backing-store API). It
 * is unmapped when the last SharedArrayBuffer over it is collected, in every thread it was posted to.
 */
export const mapShared: Addon['mapShared'] = addon.mapShared;

// ---- shm.cc --------------------------------------------------------------------------------------

/** shm_open(O_CREAT|O_EXCL, 0600) of `length` bytes, reserved (ENOSPC now, not SIGBUS later); unlinked again on failure. */
export const shmCreate: Addon['shmCreate'] = addon.shmCreate;
/** shm_open(O_RDWR) of an existing POSIX shm object (ENOENT if there is none). */
export const shmOpenExisting: Addon['shmOpenExisting'] = addon.shmOpenExisting;
export const shmUnlink: Addon['shmUnlink'] = addon.shmUnlink;
/** ftruncate + posix_fallocate of a new file: its blocks exist before anyone maps it. */
export const fileReserve: Addon['fileReserve'] = addon.fileReserve;
/** msync(MS_SYNC) over a whole file-backed SharedArrayBuffer. */
export const msyncShared: Addon['msyncShared'] = addon.msyncShared;
/** shmget(key, length, IPC_CREAT|IPC_EXCL|0600); key 0 = IPC_PRIVATE. Returns the id. */
export const xsiCreate: Addon['xsiCreate'] = addon.xsiCreate;
/** shmget(key, 0, 0): the id of the segment with that key (ENOENT if none). */
export const xsiFind: Addon['xsiFind'] = addon.xsiFind;
/** shmat as a SharedArrayBuffer (shmdt when the last view is gone); ERR_OUT_OF_RANGE if smaller than minLength. */
export const xsiAttach: Addon['xsiAttach'] = addon.xsiAttach;
/** shmctl(IPC_RMID): gone once the last process detaches; attaching afterwards fails. */
export const xsiRemove: Addon['xsiRemove'] = addon.xsiRemove;
export const xsiStat: Addon['xsiStat'] = addon.xsiStat;
/** futex(FUTEX_WAIT) on the 32-bit word at `offset` (not FUTEX_PRIVATE: works across processes). Blocks. */
const WAIT_OUTCOMES: readonly WaitOutcome[] = ['ok', 'not-equal', 'timed-out'];
const futexWaitCode = addon.futexWait;
/** FUTEX_WAIT (not private: any process that maps the word): as Atomics.wait, but across processes. */
export const futexWait = (buffer: SharedArrayBuffer, offset: number, expected: number, timeoutMs?: number): WaitOutcome =>
  WAIT_OUTCOMES[futexWaitCode(buffer, offset, expected, timeoutMs)]!;
/** futex(FUTEX_WAKE): wakes up to `count` waiters on the word in any process; returns how many. */
export const futexWake: Addon['futexWake'] = addon.futexWake;
/** sem_init(3) with pshared = 1 at `offset`. */
export const semInit: Addon['semInit'] = addon.semInit;
export const semPost: Addon['semPost'] = addon.semPost;
export const semTryWait: Addon['semTryWait'] = addon.semTryWait;
/** sem_wait / sem_clockwait(CLOCK_MONOTONIC). Blocks; false when `timeoutMs` passed first. */
export const semWait: Addon['semWait'] = addon.semWait;
export const semValue: Addon['semValue'] = addon.semValue;
export const semDestroy: Addon['semDestroy'] = addon.semDestroy;
/** pthread_mutex_init, PTHREAD_PROCESS_SHARED; type 0 normal, 1 errorcheck, 2 recursive; robust optional. */
export const mutexInit: Addon['mutexInit'] = addon.mutexInit;
/** Blocks; 0, EOWNERDEAD (held, owner died) or ETIMEDOUT; throws EDEADLK, ENOTRECOVERABLE… */
export const mutexLock: Addon['mutexLock'] = addon.mutexLock;
/** 0, EBUSY or EOWNERDEAD. */
export const mutexTryLock: Addon['mutexTryLock'] = addon.mutexTryLock;
export const mutexUnlock: Addon['mutexUnlock'] = addon.mutexUnlock;
export const mutexConsistent: Addon['mutexConsistent'] = addon.mutexConsistent;
export const mutexDestroy: Addon['mutexDestroy'] = addon.mutexDestroy;
export const NamedSemaphore: NamedSemaphoreConstructor = addon.NamedSemaphore;
export const SyncWaiter: SyncWaiterConstructor = addon.SyncWaiter;
export const FutexWatcher: FutexWatcherConstructor = addon.FutexWatcher;
export const syncSizes: Readonly<SyncSizes> = Object.freeze({ ...addon.syncSizes });

// ---- pthread_sync.cc, eventfd.cc -------------------------------------------------------------------

/** pthread_rwlock_init, PTHREAD_PROCESS_SHARED; `preferWriters`: a waiting writer holds back new readers. */
export const rwlockInit: Addon['rwlockInit'] = addon.rwlockInit;
/** Blocks; 0 or ETIMEDOUT (pthread_rwlock_clockrdlock, CLOCK_MONOTONIC); throws EDEADLK, EAGAIN… */
export const rwlockRdLock: Addon['rwlockRdLock'] = addon.rwlockRdLock;
/** Blocks; 0 or ETIMEDOUT (pthread_rwlock_clockwrlock, CLOCK_MONOTONIC); throws EDEADLK… */
export const rwlockWrLock: Addon['rwlockWrLock'] = addon.rwlockWrLock;
/** 0 or EBUSY. */
export const rwlockTryRdLock: Addon['rwlockTryRdLock'] = addon.rwlockTryRdLock;
/** 0 or EBUSY. */
export const rwlockTryWrLock: Addon['rwlockTryWrLock'] = addon.rwlockTryWrLock;
export const rwlockUnlock: Addon['rwlockUnlock'] = addon.rwlockUnlock;
export const rwlockDestroy: Addon['rwlockDestroy'] = addon.rwlockDestroy;
/** pthread_cond_init, PTHREAD_PROCESS_SHARED, clock CLOCK_MONOTONIC. */
export const condInit: Addon['condInit'] = addon.condInit;
/** Blocks; 0 (signalled or spurious), ETIMEDOUT or EOWNERDEAD — the mutex held again in every case. */
export const condWait: Addon['condWait'] = addon.condWait;
export const condSignal: Addon['condSignal'] = addon.condSignal;
export const condBroadcast: Addon['condBroadcast'] = addon.condBroadcast;
export const condDestroy: Addon['condDestroy'] = addon.condDestroy;
/** An async acquisition of an owned pthread lock: a thread that takes it and holds it for JS. */
export const LockAgent: LockAgentConstructor = addon.LockAgent;
/** eventfd2(initial, EFD_CLOEXEC|EFD_NONBLOCK, plus EFD_SEMAPHORE if `semaphore`) → fd. */
export const eventfdCreate: Addon['eventfdCreate'] = addon.eventfdCreate;
/** read(2) of the counter: its value (reset to 0), 1 in semaphore mode, or -1 if it is 0. */
export const eventfdRead: Addon['eventfdRead'] = addon.eventfdRead;
/** write(2) adding `n` (1 … 2^53 − 1); false if the counter would pass 2^64 − 2 (would block). */
export const eventfdWait: Addon['eventfdWait'] = addon.eventfdWait;
export const eventfdWrite: Addon['eventfdWrite'] = addon.eventfdWrite;

// ---- xsi_sem.cc ------------------------------------------------------------------------------------

/** semget(IPC_PRIVATE, 1, IPC_CREAT|IPC_EXCL|mode) then SETVAL `value` (0 … 32767) → the set's id. */
export const xsiSemCreate: Addon['xsiSemCreate'] = addon.xsiSemCreate;
/** semop +1 on semaphore 0 (with SEM_UNDO if `undo`); ERANGE past 32767. */
export const xsiSemPost: Addon['xsiSemPost'] = addon.xsiSemPost;
/** semop −1 with IPC_NOWAIT: true if a unit was taken, false if the value was 0. */
export const xsiSemTryWait: Addon['xsiSemTryWait'] = addon.xsiSemTryWait;
/** semop / semtimedop −1. Blocks; false when `timeoutMs` passed first; EIDRM if the set is removed meanwhile. */
export const xsiSemWait: Addon['xsiSemWait'] = addon.xsiSemWait;
/** semctl GETVAL. */
export const xsiSemValue: Addon['xsiSemValue'] = addon.xsiSemValue;
/** semctl GETNCNT: threads (of any process) asleep waiting to take a unit. */
export const xsiSemWaiters: Addon['xsiSemWaiters'] = addon.xsiSemWaiters;
/** semctl IPC_STAT. */
export const xsiSemStat: Addon['xsiSemStat'] = addon.xsiSemStat;
/** semctl IPC_RMID: the set goes at once (sleepers get EIDRM), whoever still uses it. */
export const xsiSemRemove: Addon['xsiSemRemove'] = addon.xsiSemRemove;

// ---- fifo.cc ---------------------------------------------------------------------------------------

/** mkfifo(3): creates a FIFO; EEXIST if the name is taken (never reuses a name). Default mode 0600. */
export const mkfifo: Addon['mkfifo'] = addon.mkfifo;
export const FifoOpener: FifoOpenerConstructor = addon.FifoOpener;

// ---- socket.cc -------------------------------------------------------------------------------------

/** socket(2), close-on-exec; `nonblock` adds SOCK_NONBLOCK. */
export const socket: Addon['socket'] = addon.socket;
/** bind(2). A unix path too long for sun_path fails with ENAMETOOLONG before the syscall. */
export const bind: Addon['bind'] = addon.bind;
export const listen: Addon['listen'] = addon.listen;
/** accept4(2), close-on-exec; -1 if non-blocking and nobody is waiting. */
export const accept: Addon['accept'] = addon.accept;
/** connect(2); -1 if a non-blocking connect is in progress (wait for writable, then check SO_ERROR). */
export const connect: Addon['connect'] = addon.connect;
export const getsockname: Addon['getsockname'] = addon.getsockname;
export const getpeername: Addon['getpeername'] = addon.getpeername;
export const setsockopt: Addon['setsockopt'] = addon.setsockopt;
export const getsockopt: Addon['getsockopt'] = addon.getsockopt;
export const shutdown: Addon['shutdown'] = addon.shutdown;
/** send(2) once (MSG_NOSIGNAL always: EPIPE, never SIGPIPE). -1 if it would block. */
export const send: Addon['send'] = addon.send;
/** send(2), waiting while the socket (or, for AF_UNIX datagrams, the receiver's queue) is full. */
export const sendBlocking: Addon['sendBlocking'] = addon.sendBlocking;
export const sendto: Addon['sendto'] = addon.sendto;
/** recv(2) once; -1 if it would block. With MSG_TRUNC a datagram's real length is returned. */
export const recv: Addon['recv'] = addon.recv;
export const recvBlocking: Addon['recvBlocking'] = addon.recvBlocking;
export const recvfrom: Addon['recvfrom'] = addon.recvfrom;
/** socketpair(AF_UNIX, type), close-on-exec. */
export const socketpair: Addon['socketpair'] = addon.socketpair;
/** sendmsg(2) with SCM_RIGHTS: data plus open fds (at most SCM_MAX_FD). -1 if it would block. */
export const sendFds: Addon['sendFds'] = addon.sendFds;
/** recvmsg(2) with room for `maxFds` fds (MSG_CMSG_CLOEXEC). -1 if it would block. */
export const recvFds: Addon['recvFds'] = addon.recvFds;
/** recvFds for the hot path: a plain byte count (-1: would block) unless fds or MSG_CTRUNC came. */
export const recvmsgFast: Addon['recvmsgFast'] = addon.recvmsgFast;
/** SO_PEERCRED of a connected AF_UNIX socket. */
export const peerCred: Addon['peerCred'] = addon.peerCred;
/**
 * recvmsg(2) → [bytes, sender address | null, sender's { pid, uid, gid } | null], or -1 if it would
 * block. The credentials (SCM_CREDENTIALS, checked by the kernel) come only when the socket has
 * SO_PASSCRED set: the per-datagram sameUidOnly check for AF_UNIX SOCK_DGRAM.
 */
export const recvfromCred: Addon['recvfromCred'] = addon.recvfromCred;

// ---- small typed helpers over fcntl ----------------------------------------------------------------

export function setNonBlocking(fd: number, on: boolean): void {
  const flags = fcntl(fd, constants.F_GETFL);
  const next = on ? flags | constants.O_NONBLOCK : flags & ~constants.O_NONBLOCK;
  if (next !== flags) fcntl(fd, constants.F_SETFL, next);
}

export function isNonBlocking(fd: number): boolean {
  return (fcntl(fd, constants.F_GETFL) & constants.O_NONBLOCK) !== 0;
}

export function setCloseOnExec(fd: number, on: boolean): void {
  const flags = fcntl(fd, constants.F_GETFD);
  fcntl(fd, constants.F_SETFD, on ? flags | constants.FD_CLOEXEC : flags & ~constants.FD_CLOEXEC);
}

/** A close-on-exec duplicate of `fd` (the lowest free number), for a second owner of the same open file. */
export function dupCloseOnExec(fd: number): number {
  return fcntl(fd, constants.F_DUPFD_CLOEXEC, 0);
}

/** F_GETPIPE_SZ: the pipe's capacity in bytes. */
export function getPipeSize(fd: number): number {
  return fcntl(fd, constants.F_GETPIPE_SZ);
}

/** F_SETPIPE_SZ: asks for at least `bytes` (rounded up to a power-of-two number of pages); returns the new capacity. */
export function setPipeSize(fd: number, bytes: number): number {
  return fcntl(fd, constants.F_SETPIPE_SZ, bytes);
}

/** Access mode the fd was opened with. */
export function accessMode(fd: number): 'read' | 'write' | 'read-write' {
  const mode = fcntl(fd, constants.F_GETFL) & constants.O_ACCMODE;
  return mode === constants.O_RDONLY ? 'read' : mode === constants.O_WRONLY ? 'write' : 'read-write';
}
