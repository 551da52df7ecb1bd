// Memory that threads and processes share: a memfd mapped MAP_SHARED, seen from JS as a
// SharedArrayBuffer. Post `buffer` to a worker (it shares the same pages); give `fd` to a child
// process as an inherited stdio fd and map it there with SharedRegion.inherit().
import { randomBytes } from 'node:crypto';
import { readlinkSync } from 'node:fs';
import { OwnedFd, ipcError, validateInteger } from '@ipc-compare/core';
import { fstat, mapShared, memfdCreate, setCloseOnExec } from '@ipc-compare/native';

export class SharedRegion {
  readonly buffer: SharedArrayBuffer;
  readonly #fd: OwnedFd;

  private constructor(fd: OwnedFd, buffer: SharedArrayBuffer) {
    this.#fd = fd;
    this.buffer = buffer;
  }

  /** A new region of `size` bytes, zero-filled, pages reserved up front, size sealed. */
  static create(size: number): SharedRegion {
    validateInteger(size, 'size', 1, 2 ** 31 - 1);
    const fd = OwnedFd.own(memfdCreate(`ipc-compare-sync-${randomBytes(4).toString('hex')}`, size), 'shared region');
    try {
      return new SharedRegion(fd, mapShared(fd.fd, size));
    } catch (err) {
      fd.close();
      throw err;
    }
  }

  /** Maps a region whose fd this process inherited (it takes the fd over: ERR_FD_IN_USE if already taken); its size is the file's. */
  static inherit(fd: number): SharedRegion {
    validateInteger(fd, 'fd', 0, 2 ** 31 - 1);
    const st = fstat(fd);
    if (st.type !== 'file' || st.size === 0) throw ipcError('ERR_INVALID_ARG_VALUE', `fd ${fd} is not a shared region (${describeFd(fd)}, ${st.size} bytes)`);
    const owned = OwnedFd.adopt(fd, 'shared region'); // ERR_FD_IN_USE if a channel or region here owns it
    setCloseOnExec(fd, true); // inherited without it: it goes no further
    try {
      return new SharedRegion(owned, mapShared(fd, st.size));
    } catch (err) {
      owned.close();
      throw err;
    }
  }

  /** The memfd, to pass to a child (e.g. in spawn's stdio array). Throws once closed. */
  get fd(): number {
    if (this.#fd.closed) throw ipcError('ERR_INVALID_STATE', 'the shared region is closed');
    return this.#fd.fd;
  }

  get size(): number {
    return this.buffer.byteLength;
  }

  /**
   * Releases the fd. The memory stays mapped while any SharedArrayBuffer over it lives (here, in a
   * worker, in a primitive): views keep reading and writing the same bytes, never unmapped memory.
   */
  close(): void {
    this.#fd.close();
  }
}

/** What an fd is, as /proc names it (e.g. "anon_inode:[eventpoll]", "pipe:[123]"). */
function describeFd(fd: number): string {
  try {
    return readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return 'unknown';
  }
}
