// Errors that are not a failed syscall (those come from the addon, already Node-shaped). Same habit as
// Node's internal errors: a stable `code` to branch on, a message for people.

export type IpcErrorCode =
  | 'ERR_CHANNEL_CLOSED'
  | 'ERR_CHANNEL_MODE'
  | 'ERR_FD_IN_USE'
  | 'ERR_INVALID_ARG_TYPE'
  | 'ERR_INVALID_ARG_VALUE'
  | 'ERR_INVALID_STATE'
  | 'ERR_OUT_OF_RANGE'
  | 'ERR_INVALID_PEER_SPEC'
  | 'ERR_UNKNOWN_TRANSPORT'
  | 'ERR_REMOTE_NOT_ALLOWED'
  | 'ERR_MESSAGE_TOO_LARGE'
  | 'ERR_MESSAGE_TRUNCATED'
  | 'ERR_FRAME_TOO_LARGE'
  | 'ERR_UNEXPECTED_EOF'
  | 'ERR_PEER_FAILED'
  | 'ERR_PEER_TIMEOUT'
  | 'ERR_PEER_REFUSED'
  | 'ERR_NOT_FIFO';

export interface CodedError extends Error {
  code: string;
}

const RANGE_CODES = new Set<IpcErrorCode>(['ERR_MESSAGE_TOO_LARGE', 'ERR_MESSAGE_TRUNCATED', 'ERR_FRAME_TOO_LARGE', 'ERR_OUT_OF_RANGE']);

export function ipcError(code: IpcErrorCode, message: string, props: Record<string, unknown> = {}): CodedError {
  const ErrorClass = code === 'ERR_INVALID_ARG_TYPE' ? TypeError : RANGE_CODES.has(code) ? RangeError : Error;
  const err = new ErrorClass(message) as CodedError;
  err.code = code;
  Object.assign(err, props);
  return err;
}

/** Same shape as Node's own AbortError (name 'AbortError', code 'ABORT_ERR', reason as cause). */
export function abortError(signal: AbortSignal): CodedError {
  const err = new Error('The operation was aborted', { cause: signal.reason }) as CodedError;
  err.name = 'AbortError';
  err.code = 'ABORT_ERR';
  return err;
}

export function closedError(transport: string, what = 'channel is closed'): CodedError {
  return ipcError('ERR_CHANNEL_CLOSED', `${transport} ${what}`);
}

export function hasCode(err: unknown): err is CodedError {
  return err instanceof Error && typeof (err as Partial<CodedError>).code === 'string';
}

/** A failed syscall (from the addon): it has a numeric errno. */
export function isSystemError(err: unknown): err is CodedError & { errno: number } {
  return hasCode(err) && typeof (err as { errno?: unknown }).errno === 'number';
}

/**
 * Runs cleanup steps after a failure without letting them hide it: a cleanup that throws is recorded
 * on the original error (`suppressed`), never thrown in its place.
 */
export function cleanUpAfter(err: unknown, ...steps: Array<() => void>): unknown {
  for (const step of steps) {
    try {
      step();
    } catch (cleanupErr) {
      if (err instanceof Error) ((err as { suppressed?: unknown[] }).suppressed ??= []).push(cleanupErr);
    }
  }
  return err;
}
