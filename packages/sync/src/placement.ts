// Where a primitive lives: `bytes` at `offset` of a SharedArrayBuffer, `align`-aligned. The same
// buffer and offset in another thread or process (the same region mapped there) is the same primitive.
import { ipcError, validateInteger } from '@ipc-compare/core';

export function checkPlacement(buffer: SharedArrayBuffer, offset: number, bytes: number, align: number): void {
  if (!(buffer instanceof SharedArrayBuffer)) throw ipcError('ERR_INVALID_ARG_TYPE', 'The "buffer" argument must be a SharedArrayBuffer (a SharedRegion\'s buffer)');
  validateInteger(offset, 'offset', 0, buffer.byteLength - bytes);
  if (offset % align !== 0) throw ipcError('ERR_INVALID_ARG_VALUE', `The offset ${offset} is not a multiple of ${align}`);
}
