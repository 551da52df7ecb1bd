// Waiting once for an fd to become readable or writable, on the event loop (an accept, a connect in
// progress, a handshake): a one-shot use of the addon's Poller, with abort and timeout.
import { Poller, constants, errnoError } from '@ipc-compare/native';
import { abortError, ipcError } from './errors.js';

export interface WaitFdOptions {
  signal?: AbortSignal;
  /** Reject with ERR_PEER_TIMEOUT after this many ms. */
  timeoutMs?: number;
}

export function waitFd(fd: number, want: 'read' | 'write', opts: WaitFdOptions = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    if (opts.signal?.aborted) return reject(abortError(opts.signal));
    let timer: NodeJS.Timeout | undefined;
    // The poller is closed synchronously on every outcome, so the caller may close or reuse the fd
    // right after the promise settles (or right after aborting).
    const finish = (err: Error | null) => {
      poller.close();
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      if (err) reject(err);
      else resolve();
    };
    const onAbort = () => finish(abortError(opts.signal!));
    const poller = new Poller(fd, (status) => {
      // libuv reports POLLERR as "EBADF": readiness of a different kind; the caller's next syscall
      // (accept, SO_ERROR, read) says what really happened.
      if (status < 0 && status !== -9) return finish(errnoError(status, 'poll'));
      finish(null);
    });
    poller.start(want === 'read' ? constants.UV_READABLE : constants.UV_WRITABLE);
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    if (opts.timeoutMs !== undefined) {
      timer = setTimeout(() => finish(ipcError('ERR_PEER_TIMEOUT', `no ${want} readiness within ${opts.timeoutMs} ms`)), opts.timeoutMs);
    }
  });
}
