// The four kinds of shared memory of the notes, one interface: a SharedArrayBuffer over this
// process's mapping of it, what another process needs to map it too, and who removes its name.
//   anon   a memfd (an anonymous file): reached only by inheriting its fd. Node cannot fork() without
//          exec, so this is the honest stand-in for MAP_SHARED|MAP_ANONYMOUS + fork() (README).
//   file   a regular file in a private 0700 directory, mmap'ed MAP_SHARED: any local process that
//          can open the path; its bytes reach the disk with msync() (and persist after both exit).
//   posix  shm_open(): a file in /dev/shm by name; outlives every process until shm_unlink.
//   xsi    shmget(): a kernel segment by id (or key); outlives every process until IPC_RMID.
// A region is mapped once per process (one SharedArrayBuffer; views are handed out from it). The
// mapping goes when the last SharedArrayBuffer over it is collected, so no JS access ever touches
// unmapped memory: close() releases the fd and, for the creator, the name — never the mapping.
import { randomBytes } from 'node:crypto';
import { closeSync, constants as fsc, fstatSync, mkdtempSync, openSync, rmdirSync, unlinkSync } from 'node:fs';
import { constants as os, tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { OwnedFd, ipcError, validateInteger, validateString } from '@ipc-compare/core';
import { dupCloseOnExec, errnoError, fileReserve, mapShared, memfdCreate, setCloseOnExec, shmCreate, shmOpenExisting, shmUnlink, xsiAttach, xsiCreate, xsiRemove, xsiStat } from '@ipc-compare/native';

export type RegionKind = 'anon' | 'file' | 'posix' | 'xsi';
export const REGION_KINDS: readonly RegionKind[] = ['anon', 'file', 'posix', 'xsi'];

/** POSIX shm names this package makes: the prefix and 16 random hex digits. */
export const SHM_PREFIX = '/ipc-compare-shm-';
const PAGE = 4096;

export interface Region {
  readonly kind: RegionKind;
  readonly buffer: SharedArrayBuffer;
  /** JSON another process maps it with (attachRegion); for anon, with `inheritFds`. */
  readonly params: RegionParams;
  /** anon: the fd the other process must inherit (a duplicate: give it away with handOff()). */
  readonly inheritFds: number[];
  /** Closes this process's copy of the fds another process inherits (once it has them). */
  handOff(): void;
  /** The creator removes the name (shm_unlink, IPC_RMID, the file and its directory). Idempotent. */
  unlink(): void;
  /** Releases the fds; the creator also unlinks. The mapping stays while views live. Idempotent. */
  close(): void;
}

export type RegionParams =
  | { kind: 'anon'; size: number; fd: number }
  | { kind: 'file'; size: number; path: string }
  | { kind: 'posix'; size: number; name: string }
  | { kind: 'xsi'; size: number; id: number };

/** Sizes are whole pages: what the kernel maps anyway. */
export function pageRound(size: number): number {
  validateInteger(size, 'size', 1, 2 ** 31 - PAGE);
  return Math.ceil(size / PAGE) * PAGE;
}

function region(kind: RegionKind, buffer: SharedArrayBuffer, params: RegionParams, parts: { inherit?: OwnedFd; hold?: OwnedFd; removeName?: () => void }): Region {
  let removed = parts.removeName === undefined;
  return {
    kind,
    buffer,
    params,
    inheritFds: parts.inherit ? [parts.inherit.fd] : [],
    handOff: () => parts.inherit?.close(),
    unlink() {
      if (removed) return;
      removed = true;
      parts.removeName!();
    },
    close() {
      parts.inherit?.close();
      parts.hold?.close();
      this.unlink();
    },
  };
}

export interface CreateRegionOptions {
  /** posix: the name (default: SHM_PREFIX + random). xsi: the key (default IPC_PRIVATE). file: the path (default: in a new 0700 directory). */
  name?: string;
  key?: number;
  path?: string;
}

/** Makes a new region of at least `size` bytes (page-rounded), zero-filled, its memory reserved now. */
export function createRegion(kind: RegionKind, size: number, opts: CreateRegionOptions = {}): Region {
  const bytes = pageRound(size);
  switch (kind) {
    case 'anon': {
      const fd = OwnedFd.own(memfdCreate(`ipc-compare-shm-${randomBytes(4).toString('hex')}`, bytes), 'shm-anon region');
      try {
        const buffer = mapShared(fd.fd, bytes);
        const theirs = OwnedFd.own(dupCloseOnExec(fd.fd), 'shm-anon region (peer copy)', { transferable: true });
        fd.close(); // the mapping holds the memory; the peer's copy is what it inherits
        return region(kind, buffer, { kind, size: bytes, fd: theirs.fd }, { inherit: theirs });
      } catch (err) {
        fd.close();
        throw err;
      }
    }
    case 'posix': {
      const name = opts.name ?? `${SHM_PREFIX}${randomBytes(8).toString('hex')}`;
      checkShmName(name);
      const fd = shmCreate(name, bytes); // O_EXCL: an existing name is EEXIST, never reused
      try {
        return region(kind, mapShared(fd, bytes), { kind, size: bytes, name }, { removeName: () => unlinkIfThere(() => shmUnlink(name)) });
      } catch (err) {
        shmUnlink(name);
        throw err;
      } finally {
        closeSync(fd);
      }
    }
    case 'xsi': {
      const key = opts.key ?? 0;
      validateInteger(key, 'key', 0, 2 ** 31 - 1);
      const id = xsiCreate(key, bytes);
      try {
        return region(kind, xsiAttach(id, bytes), { kind, size: bytes, id }, { removeName: () => unlinkIfThere(() => xsiRemove(id)) });
      } catch (err) {
        xsiRemove(id);
        throw err;
      }
    }
    case 'file': {
      const ownDir = opts.path === undefined ? mkdtempSync(join(tmpdir(), 'ipc-compare-shm-')) : null; // 0700
      const path = opts.path ?? join(ownDir!, 'region');
      validateString(path, 'path');
      let fd: number;
      try {
        fd = openSync(path, fsc.O_RDWR | fsc.O_CREAT | fsc.O_EXCL | fsc.O_NOFOLLOW, 0o600);
      } catch (err) {
        if (ownDir) rmdirSync(ownDir);
        throw err;
      }
      const remove = () => {
        unlinkIfThere(() => unlinkSync(path));
        if (ownDir) rmdirSync(ownDir);
      };
      try {
        fileReserve(fd, bytes);
        return region(kind, mapShared(fd, bytes), { kind, size: bytes, path }, { removeName: remove });
      } catch (err) {
        remove();
        throw err;
      } finally {
        closeSync(fd);
      }
    }
  }
}

/**
 * Maps a region another process made, from its params (and, for anon, the fd this process inherited in
 * their place). Refused: a region smaller than `params.size`, a path that is a symlink or not a file.
 */
export function attachRegion(params: RegionParams, inheritedFd?: number): Region {
  const size = params.size;
  validateInteger(size, 'size', 1, 2 ** 31 - 1);
  switch (params.kind) {
    case 'anon': {
      if (inheritedFd === undefined) throw ipcError('ERR_INVALID_ARG_VALUE', 'an anonymous region is reached only through an inherited fd');
      // Held until close, like any inherited fd: EBADF if closed, ERR_FD_IN_USE if something here has it.
      const fd = OwnedFd.adopt(inheritedFd, 'shm-anon region');
      try {
        setCloseOnExec(fd.fd, true);
        return region('anon', mapShared(fd.fd, size), params, { hold: fd });
      } catch (err) {
        fd.close();
        throw err;
      }
    }
    case 'posix': {
      checkShmName(params.name);
      const fd = shmOpenExisting(params.name);
      try {
        return region('posix', mapShared(fd, size), params, {}); // mapShared refuses a shorter object
      } finally {
        closeSync(fd);
      }
    }
    case 'xsi':
      validateInteger(params.id, 'id', 0, 2 ** 31 - 1);
      // Linux lets a process attach a segment already removed (IPC_RMID) while others still have it:
      // a removed segment is gone by every other account, so refuse it as the kernel elsewhere would.
      if (xsiStat(params.id).removed) throw errnoError(os.errno.EIDRM, 'shmat');
      return region('xsi', xsiAttach(params.id, size), params, {});
    case 'file': {
      validateString(params.path, 'path');
      const fd = openSync(params.path, fsc.O_RDWR | fsc.O_NOFOLLOW);
      try {
        if (!fstatSync(fd).isFile()) throw ipcError('ERR_INVALID_ARG_VALUE', `${params.path} is not a regular file`);
        return region('file', mapShared(fd, size), params, {});
      } finally {
        closeSync(fd);
      }
    }
    default:
      throw ipcError('ERR_INVALID_ARG_VALUE', `unknown region kind ${JSON.stringify((params as { kind?: unknown }).kind)}`);
  }
}

/**
 * Removes a region's name from its params, as its creator's unlink() would (for one whose creator died
 * before it could): shm_unlink, IPC_RMID, the file — and its directory when it is one of this
 * package's private ones. Nothing to remove for anon. Already gone is not an error.
 */
export function removeRegion(params: RegionParams): void {
  switch (params.kind) {
    case 'anon':
      return;
    case 'posix':
      checkShmName(params.name);
      return unlinkIfThere(() => shmUnlink(params.name));
    case 'xsi':
      validateInteger(params.id, 'id', 0, 2 ** 31 - 1);
      return unlinkIfThere(() => xsiRemove(params.id));
    case 'file': {
      validateString(params.path, 'path');
      unlinkIfThere(() => unlinkSync(params.path));
      const dir = dirname(params.path);
      if (basename(params.path) === 'region' && basename(dir).startsWith('ipc-compare-shm-')) unlinkIfThere(() => rmdirSync(dir));
      return;
    }
  }
}

/** Removing a name someone else already removed is not an error here. */
function unlinkIfThere(remove: () => void): void {
  try {
    remove();
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code !== 'ENOENT' && code !== 'EINVAL' && code !== 'EIDRM') throw err;
  }
}

function checkShmName(name: string): void {
  validateString(name, 'name');
  if (!/^\/[^/]{1,250}$/.test(name)) throw ipcError('ERR_INVALID_ARG_VALUE', `A POSIX shm name is "/" and 1…250 characters without "/": ${JSON.stringify(name)}`);
}
