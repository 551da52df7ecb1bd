// The sync package's errors: errno-shaped where the kernel or glibc said it (ETIMEDOUT, EOWNERDEAD),
// ERR_INVALID_STATE for a primitive used after close().
import { ipcError } from '@ipc-compare/core';
import { constants, errnoError, type ErrnoException } from '@ipc-compare/native';

export const { ETIMEDOUT, EOWNERDEAD, EBUSY } = constants;

/** The wait ran out of time: a Node-style ETIMEDOUT error naming the call that waited. */
export function timedOut(syscall: string, timeoutMs: number | undefined): ErrnoException {
  const err = errnoError(ETIMEDOUT, syscall);
  err.message += ` (after ${timeoutMs} ms)`;
  return err;
}

export function closedPrimitive(what: string) {
  return ipcError('ERR_INVALID_STATE', `${what} is closed`);
}
