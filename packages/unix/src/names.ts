// Socket names: file-system paths in a private directory (0700, each socket file 0600, removed as soon
// as the two ends are connected and again on close), or Linux abstract names (a leading "\0": no file,
// no permissions, gone with the last socket — anyone who knows the name can connect, so the token
// handshake is the only gate).
import { randomBytes } from 'node:crypto';
import { chmodSync, lstatSync, mkdtempSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ipcError } from '@ipc-compare/core';
import { bind, constants, type SockAddr } from '@ipc-compare/native';

export interface NameOptions {
  /** Use Linux abstract names instead of files (no permissions: only the token protects them). */
  abstract?: boolean;
  /** Directory for the socket files (must exist and stays). Default: a new private 0700 directory. */
  dir?: string;
}

/** Where one channel's sockets live, and how to clean up after them. */
export class SocketNames {
  readonly abstract: boolean;
  readonly #dir: string | null;
  readonly #ownDir: boolean;
  readonly #prefix: string;
  readonly #issued: string[] = [];
  #removed = false;

  constructor(kind: string, o: NameOptions = {}) {
    this.abstract = o.abstract ?? false;
    if (this.abstract && o.dir !== undefined) throw ipcError('ERR_INVALID_ARG_VALUE', 'abstract names have no directory: give abstract or dir, not both');
    this.#ownDir = !this.abstract && o.dir === undefined;
    this.#dir = this.abstract ? null : (o.dir ?? mkdtempSync(join(tmpdir(), `ipc-compare-${kind}-`)));
    this.#prefix = this.abstract ? `\0ipc-compare-${kind}-${randomBytes(8).toString('hex')}-` : '';
  }

  /** The name for `role` ("listen", "a", "b"…): a path, or an abstract name. */
  name(role: string): string {
    const name = this.abstract ? this.#prefix + role : join(this.#dir!, role);
    this.#issued.push(name);
    return name;
  }

  /** Removes the socket files and (if it made it) the directory. Idempotent; abstract names need nothing. */
  remove(): void {
    if (this.#removed || this.abstract) return;
    this.#removed = true;
    if (this.#ownDir) rmSync(this.#dir!, { recursive: true, force: true }); // files and all, in one go
    else for (const n of this.#issued) unlinkName(n);
  }
}

/** Fits in sun_path? (107 bytes and a NUL for a path; 108 for an abstract name.) */
export function checkName(name: string): void {
  const max = name.startsWith('\0') ? constants.UNIX_PATH_MAX : constants.UNIX_PATH_MAX - 1;
  if (Buffer.byteLength(name) > max) {
    throw Object.assign(new Error(`ENAMETOOLONG: name too long (${Buffer.byteLength(name)} bytes, at most ${max}), bind '${name}'`), {
      code: 'ENAMETOOLONG',
      errno: -36,
      syscall: 'bind',
      path: name,
    });
  }
}

/**
 * Binds `fd` to `name`: a stale socket file of that name is removed first (what the course's C
 * programs do; anything else in the way is an error, not deleted), and the new file is made 0600.
 */
export function bindName(fd: number, name: string): void {
  checkName(name);
  if (!name.startsWith('\0')) {
    try {
      if (lstatSync(name).isSocket()) unlinkSync(name);
    } catch (err) {
      if ((err as { code?: string }).code !== 'ENOENT') throw err;
    }
  }
  bind(fd, { family: 'unix', path: name } satisfies SockAddr);
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
