// Argument checks with Node's codes and wording (ERR_INVALID_ARG_TYPE, ERR_INVALID_ARG_VALUE,
// ERR_OUT_OF_RANGE), so every option of every transport fails the same way, before any syscall.
import { ipcError } from './errors.js';

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (typeof v === 'object') return `an instance of ${(v as object).constructor?.name ?? 'Object'}`;
  if (typeof v === 'string') return `type string (${JSON.stringify(v.length > 28 ? `${v.slice(0, 25)}...` : v)})`;
  return `type ${typeof v} (${String(v)})`;
}

export function validateBytes(value: unknown, name = 'data'): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw ipcError('ERR_INVALID_ARG_TYPE', `The "${name}" argument must be a Uint8Array. Received ${describe(value)}`);
  }
}

/** An integer in [min, max]; ERR_INVALID_ARG_TYPE for a non-number, ERR_OUT_OF_RANGE otherwise. */
export function validateInteger(value: unknown, name: string, min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER): asserts value is number {
  if (typeof value !== 'number') throw ipcError('ERR_INVALID_ARG_TYPE', `The "${name}" argument must be of type number. Received ${describe(value)}`);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw ipcError('ERR_OUT_OF_RANGE', `The value of "${name}" is out of range. It must be an integer >= ${min} and <= ${max}. Received ${String(value)}`);
  }
}

export function validateBoolean(value: unknown, name: string): asserts value is boolean {
  if (typeof value !== 'boolean') throw ipcError('ERR_INVALID_ARG_TYPE', `The "${name}" argument must be of type boolean. Received ${describe(value)}`);
}

export function validateString(value: unknown, name: string): asserts value is string {
  if (typeof value !== 'string' || value === '') {
    throw ipcError(typeof value === 'string' ? 'ERR_INVALID_ARG_VALUE' : 'ERR_INVALID_ARG_TYPE', `The "${name}" argument must be a non-empty string. Received ${describe(value)}`);
  }
}

export function validateOneOf<T extends string>(value: unknown, name: string, allowed: readonly T[]): asserts value is T {
  if (!allowed.includes(value as T)) {
    throw ipcError('ERR_INVALID_ARG_VALUE', `The argument '${name}' must be one of: ${allowed.map((a) => `'${a}'`).join(', ')}. Received ${describe(value)}`);
  }
}

/** An options object (or undefined: no options); anything else is ERR_INVALID_ARG_TYPE. */
export function validateOptions<T extends object>(value: unknown, name = 'options'): T {
  if (value === undefined) return {} as T;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw ipcError('ERR_INVALID_ARG_TYPE', `The "${name}" argument must be of type object. Received ${describe(value)}`);
  }
  return value as T;
}

/** Each optional field present in `o` is checked; absent ones are fine. */
export function validateOptionalInteger(o: Record<string, unknown>, name: string, min: number, max: number): void {
  if (o[name] !== undefined) validateInteger(o[name], name, min, max);
}
