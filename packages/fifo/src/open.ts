// Opening a FIFO the way open(2) does — a reader waits for a writer, a writer for a reader — without
// blocking Node's event loop or parking a libuv threadpool thread (fs.open would: four waiting FIFO
// opens and every fs call of the process hangs). The wait runs on a thread of the addon's own.
import { FifoOpener, close, constants, errnoError, fstat, type ErrnoException } from '@ipc-compare/native';
import { abortError, ipcError } from '@ipc-compare/core';
import { openSync } from 'node:fs';

export type FifoSide = 'read' | 'write';

export interface OpenFifoOptions {
  /** Give up waiting for the partner (the pending open is released, nothing leaks). */
  signal?: AbortSignal;
}

/** A FIFO open in progress; `fd` settles once the partner has opened the other side. */
export interface PendingFifoOpen {
  readonly fd: Promise<number>;
  /**
   * Releases the pending open; `fd` rejects with ECANCELED (or resolves if it had completed). Works
   * when the process is out of fds too; throws (e.g. EACCES) if the FIFO cannot be opened as the
   * partner, and then the open is still pending.
   */
  cancel(): void;
}

export function startFifoOpen(path: string, side: FifoSide): PendingFifoOpen {
  let resolve!: (fd: number) => void;
  let reject!: (err: Error) => void;
  const fd = new Promise<number>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  const opener = new FifoOpener(path, side === 'read' ? constants.O_RDONLY : constants.O_WRONLY, (err: ErrnoException | null, n: number) => {
    if (err) reject(err);
    else resolve(n);
  });
  fd.catch(() => {});
  return {
    fd,
    cancel() {
      opener.cancel();
    },
  };
}

/**
 * Opens a FIFO for reading or writing and resolves when the partner is there, like open(2) without
 * O_NONBLOCK. The caller owns the returned fd.
 */
export async function openFifo(path: string, side: FifoSide, opts: OpenFifoOptions = {}): Promise<number> {
  if (opts.signal?.aborted) throw abortError(opts.signal);
  const pending = startFifoOpen(path, side);
  const onAbort = () => pending.cancel();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    return await pending.fd;
  } catch (err) {
    if ((err as { code?: string }).code === 'ECANCELED' && opts.signal?.aborted) throw abortError(opts.signal);
    throw err;
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
  }
}

/**
 * Opens a FIFO without waiting (O_NONBLOCK): for reading this always succeeds at once; for writing it
 * fails with ENXIO when no process has the FIFO open for reading — with a message that says so.
 */
export function openFifoNow(path: string, side: FifoSide): number {
  const flags = (side === 'read' ? constants.O_RDONLY : constants.O_WRONLY) | constants.O_NONBLOCK | constants.O_CLOEXEC;
  let fd: number;
  try {
    fd = openSync(path, flags);
  } catch (err) {
    const e = err as ErrnoException;
    if (e.code === 'ENXIO') {
      const clear = errnoError(6, 'open', path);
      clear.message = `ENXIO: no process has the FIFO open for reading (write open without waiting), open '${path}'`;
      throw clear;
    }
    throw err;
  }
  if (fstat(fd).type !== 'fifo') {
    close(fd);
    throw ipcError('ERR_NOT_FIFO', `ERR_NOT_FIFO: not a FIFO, open '${path}'`, { path });
  }
  return fd;
}

