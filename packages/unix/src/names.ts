// Socket names: file-system paths in a private directory (0700, each socket file 0600, removed as soon
// as the two ends are connected and again on close), or Linux abstract names (a leading "\0": no file,
// no permissions, gone with the last socket — anyone who knows the name can connect, so the token
// handshake is the only gate).
import { randomBytes } from 'node:crypto';
import { chmodSync, lstatSync, mkdtempSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OwnedFd, ipcError, validateBoolean, validateOptions, validateString } from '@ipc-compare/core';
import { bind, connect, constants, errnoError, socket, type SockAddr, type SocketType } from '@ipc-compare/native';

export interface NameOptions {
  /** Use Linux abstract names instead of files (no permissions: only the token protects them). */
  abstract?: boolean;
  /** Directory for the socket files (must exist and stays). Default: a new private 0700 directory. */
  dir?: string;
}

/**
 * Where one channel's sockets live, and how to clean up after them. Only files this side made are
 * removed: the ones it bound itself, and a name it gave the peer once the peer is known to hold it;
 * anything else found under those names (another program's socket, a regular file) stays, unless it
 * is a stale socket file.
 */
export class SocketNames {
  readonly abstract: boolean;
  readonly #type: SocketType;
  readonly #dir: string | null;
  readonly #ownDir: boolean;
  readonly #prefix: string;
  readonly #bound: string[] = [];
  readonly #forPeer: string[] = [];
  #removed = false;

  constructor(type: SocketType, options?: NameOptions) {
    const o = validateOptions<NameOptions>(options);
    if (o.abstract !== undefined) validateBoolean(o.abstract, 'abstract');
    if (o.dir !== undefined) validateString(o.dir, 'dir');
    this.abstract = o.abstract ?? false;
    if (this.abstract && o.dir !== undefined) throw ipcError('ERR_INVALID_ARG_VALUE', 'abstract names have no directory: give abstract or dir, not both');
    this.#type = type;
    this.#ownDir = !this.abstract && o.dir === undefined;
    this.#dir = this.abstract ? null : (o.dir ?? mkdtempSync(join(tmpdir(), `ipc-compare-${type}-`)));
    this.#prefix = this.abstract ? `\0ipc-compare-${type}-${randomBytes(8).toString('hex')}-` : '';
  }

  /** The name for `role` ("listen", "a", "b"…): a path, or an abstract name. */
  name(role: string): string {
    return this.abstract ? this.#prefix + role : join(this.#dir!, role);
  }

  /** Binds `fd` to the name for `role` (bindName); the file is this side's to remove from then on. */
  bind(fd: number, role: string): string {
    const name = this.name(role);
    bindName(fd, name, this.#type);
    this.#bound.push(name);
    return name;
  }

  /** The name the peer is to bind for `role`. remove() takes it away only if the peer held it, or if stale. */
  forPeer(role: string): string {
    const name = this.name(role);
    this.#forPeer.push(name);
    return name;
  }

  /**
   * Removes the socket files this side bound and (if it made it) the directory, and the names given
   * to the peer that are in `heldByPeer` (the peer has shown that its socket has them) or stale.
   * Idempotent; abstract names need nothing.
   */
  remove(heldByPeer: readonly string[] = []): void {
    if (this.#removed || this.abstract) return;
    this.#removed = true;
    if (this.#ownDir) return rmSync(this.#dir!, { recursive: true, force: true }); // private: files and all, in one go
    for (const n of this.#bound) unlinkName(n);
    for (const n of this.#forPeer) {
      if (heldByPeer.includes(n)) unlinkName(n);
      else removeStaleSocket(n, this.#type);
    }
  }
}

/** Fits in sun_path? (107 bytes and a NUL for a path; 108 for an abstract name.) ENAMETOOLONG names `syscall`. */
export function checkName(name: string, syscall: 'bind' | 'connect' = 'bind'): void {
  const max = name.startsWith('\0') ? constants.UNIX_PATH_MAX : constants.UNIX_PATH_MAX - 1;
  if (Buffer.byteLength(name) > max) {
    const err = errnoError(36, syscall, name);
    err.message = `ENAMETOOLONG: name too long (${Buffer.byteLength(name)} bytes, at most ${max}), ${syscall} '${name}'`;
    throw err;
  }
}

/**
 * Removes `name` if it is the file of a socket nobody listens on any more (a connect to it is
 * refused): what a bind after a crash needs. A live socket, or anything that is not a socket, stays —
 * the bind then fails with EADDRINUSE. A name it cannot look at is left to the bind to report. Returns
 * true if it removed the file; throws if it cannot make its probe socket or remove a stale file.
 */
export function removeStaleSocket(name: string, type: SocketType): boolean {
  if (name.startsWith('\0')) return false; // abstract names have no file
  try {
    if (!lstatSync(name).isSocket()) return false;
  } catch {
    // Nothing there, or nothing this process may look at (EACCES, ENOTDIR…): not a stale file to
    // remove. The bind that follows fails for the same reason and says so as itself.
    return false;
  }
  const probe = OwnedFd.own(socket('unix', type, true), 'stale-socket probe');
  try {
    connect(probe.fd, { family: 'unix', path: name });
    return false; // somebody is there
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code !== 'ECONNREFUSED') return false; // live (EAGAIN: backlog full; EPROTOTYPE: another kind) or not ours to judge
  } finally {
    probe.close();
  }
  unlinkName(name);
  return true;
}

/**
 * Binds `fd` (a socket of `type`) to `name`: a stale socket file of that name is removed first (what
 * the course's C programs do), never a live socket or another kind of file; the new file is made 0600.
 */
export function bindName(fd: number, name: string, type: SocketType): void {
  checkName(name);
  removeStaleSocket(name, type);
  try {
    bind(fd, { family: 'unix', path: name } satisfies SockAddr);
  } catch (err) {
    if ((err as { code?: string }).code === 'EADDRINUSE') (err as Error).message += ': a live socket or another file has this name (only a stale socket is removed)';
    throw err;
  }
  if (!name.startsWith('\0')) chmodSync(name, 0o600);
}

/** Removes one socket file; nothing if it is gone already or abstract. */
export function unlinkName(name: string): void {
  if (name.startsWith('\0')) return;
  try {
    unlinkSync(name);
  } catch (err) {
    if ((err as { code?: string }).code !== 'ENOENT') throw err;
  }
}
