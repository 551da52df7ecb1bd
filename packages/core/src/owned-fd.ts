// Ownership of file descriptors. An fd number is reused by the kernel as soon as it is closed, so
// closing one twice can close somebody else's file: every fd this project holds has exactly one
// owner object, and the registry below refuses a second one.
import { close as closeFd, fstat } from '@ipc-compare/native';
import { ipcError } from './errors.js';
import { validateInteger } from './validate.js';

const owners = new Map<number, OwnedFd>();

export class OwnedFd {
  #fd: number;
  /** Held only until the peer process inherits it; `adopt` may take it over (in-process attach). */
  readonly transferable: boolean;
  readonly label: string;

  private constructor(fd: number, label: string, transferable: boolean) {
    this.#fd = fd;
    this.label = label;
    this.transferable = transferable;
    owners.set(fd, this);
  }

  /** Takes ownership of an fd this process just created. */
  static own(fd: number, label: string, opts: { transferable?: boolean } = {}): OwnedFd {
    const current = owners.get(fd);
    if (current) throw inUse(fd, current);
    return new OwnedFd(fd, label, opts.transferable ?? false);
  }

  /**
   * Takes ownership of an fd received from elsewhere (inherited, or named in a PeerSpec). Fails with
   * EBADF if it is not open, ERR_FD_IN_USE if a channel of this process already owns it.
   */
  static adopt(fd: number, label: string): OwnedFd {
    validateInteger(fd, 'fd', 0, 0x7fffffff);
    const current = owners.get(fd);
    if (current && !current.transferable) throw inUse(fd, current);
    if (current) current.#release();
    fstat(fd); // throws EBADF for a closed fd
    return new OwnedFd(fd, label, false);
  }

  /** The fd number; throws ERR_CHANNEL_CLOSED once closed, so a stale number is never used. */
  get fd(): number {
    if (this.#fd < 0) throw ipcError('ERR_CHANNEL_CLOSED', `${this.label} is closed`);
    return this.#fd;
  }

  get closed(): boolean {
    return this.#fd < 0;
  }

  /**
   * Lends the fd to an owner that will close it itself (a net.Socket's libuv handle). The number stays
   * marked in use here until that owner reports it closed with `released()`, so nothing else in this
   * process can claim it meanwhile. Returns the fd number.
   */
  handOver(): number {
    const fd = this.fd;
    this.#handedOver = true;
    return fd;
  }

  /** Gives up ownership without closing, for a new owner to `own()` the returned number at once. */
  transfer(): number {
    const fd = this.fd;
    this.#release();
    return fd;
  }

  /** The owner that got the fd through handOver() has closed it: forget it (does not close). */
  released(): void {
    this.#release();
  }

  #handedOver = false;

  /** Closes the fd once; later calls do nothing. */
  close(): void {
    if (this.#handedOver) return; // its new owner closes it
    const fd = this.#release();
    if (fd >= 0) closeFd(fd);
  }

  #release(): number {
    const fd = this.#fd;
    if (fd >= 0) {
      owners.delete(fd);
      this.#fd = -1;
    }
    return fd;
  }
}

/** Fds currently owned in this process (for leak checks and diagnostics). */
export function ownedFds(): Array<{ fd: number; label: string }> {
  return [...owners.entries()].map(([fd, o]) => ({ fd, label: o.label }));
}

function inUse(fd: number, owner: OwnedFd) {
  return ipcError('ERR_FD_IN_USE', `fd ${fd} is already owned by ${owner.label} in this process`, { fd });
}
