// What differs between a byte stream and a datagram socket, behind one interface: how queued sends go
// to the kernel, how reads come back, and the blocking calls. The channel (channel.ts) drives either.
import type { ReadQueue } from './read-queue.js';
import type { WriteQueue } from './write-queue.js';

/** Syscalls made, and sends the kernel refused for now (EAGAIN: full buffer or receiver queue). */
export interface IoStats {
  reads: number;
  writes: number;
  wouldBlock: number;
}

export interface IoOptions {
  transport: string;
  stats: IoStats;
  /** Bytes asked of each read. */
  readSize: number;
  /** Stop reading ahead when this many bytes wait in the queue. */
  highWater: number;
  /** AF_UNIX: accept up to this many passed fds per read (recvmsg); 0: plain reads. */
  receiveFds: number;
}

/** What a blocking recvFds returns. */
export interface SyncWithFds {
  bytes: number;
  fds: number[];
  fdsTruncated: boolean;
}

/** A datagram longer than the buffer it was read into. */
export interface Truncation {
  /** The datagram's real length. */
  length: number;
  /** Bytes stored (the buffer's size). */
  received: number;
}

export interface KindIo {
  /** Async path: writes what the kernel takes now; true once the queue is empty. Throws a system error. */
  flush(fd: number, q: WriteQueue): boolean;
  /** Async path: reads until the kernel has no more or the queue reaches its high-water mark. */
  read(fd: number, rq: ReadQueue): void;
  /** Blocking path: writes everything queued (when switching from async to blocking). */
  flushSync(fd: number, q: WriteQueue): void;
  sendSync(fd: number, chunks: readonly Uint8Array[]): void;
  sendFdsSync(fd: number, data: Uint8Array, fds: readonly number[]): void;
  /** Bytes stored, or null at end of stream. */
  recvSync(fd: number, into: Uint8Array): number | null;
  recvFdsSync(fd: number, into: Uint8Array): SyncWithFds | null;
  /** Datagrams: what the last blocking read could not fit (null if it all fit). */
  readonly lastTruncation: Truncation | null;
}
