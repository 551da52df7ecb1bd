// Errors that are not a failed syscall (those come from the addon, already Node-shaped). Same habit as
// Node's internal errors: a stable `code` to branch on, a message for people.

export type IpcErrorCode =
  | 'ERR_CHANNEL_CLOSED'
  | 'ERR_CHANNEL_MODE'
  | 'ERR_FD_IN_USE'
  | 'ERR_INVALID_ARG_TYPE'
  | 'ERR_INVALID_ARG_VALUE'
  | 'ERR_INVALID_PEER_SPEC'
  | 'ERR_UNKNOWN_TRANSPORT'
  | 'ERR_MESSAGE_TOO_LARGE'
  | 'ERR_FRAME_TOO_LARGE'
  | 'ERR_UNEXPECTED_EOF'
  | 'ERR_PEER_FAILED'
  | 'ERR_PEER_TIMEOUT'
  | 'ERR_PEER_REFUSED'
  | 'ERR_NOT_FIFO';

export interface CodedError extends Error {
  code: string;
}

export function ipcError(code: IpcErrorCode, message: string, props: Record<string, unknown> = {}): CodedError {
  const ErrorClass = code === 'ERR_INVALID_ARG_TYPE' ? TypeError : code === 'ERR_MESSAGE_TOO_LARGE' || code === 'ERR_FRAME_TOO_LARGE' ? RangeError : Error;
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

export function hasCode(err: unknown): err is CodedError {
  return err instanceof Error && typeof (err as Partial<CodedError>).code === 'string';
}

export function assertBytes(data: unknown, name = 'data'): asserts data is Uint8Array {
  if (!(data instanceof Uint8Array)) {
    throw ipcError('ERR_INVALID_ARG_TYPE', `The "${name}" argument must be a Uint8Array (got ${describe(data)})`);
  }
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'object') return `an instance of ${(v as object).constructor?.name ?? 'Object'}`;
  return `type ${typeof v}`;
}
