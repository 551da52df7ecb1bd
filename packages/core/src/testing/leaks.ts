// Leak checks: what this process holds open, compared before and after a piece of work.
import { readdirSync, readlinkSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** fd number → what it points to (e.g. "pipe:[1234]", "socket:[99]", "/dev/shm/x"). */
export function snapshotFds(): Map<number, string> {
  const out = new Map<number, string>();
  for (const name of readdirSync('/proc/self/fd')) {
    try {
      out.set(Number(name), readlinkSync(`/proc/self/fd/${name}`));
    } catch {
      // the fd used by readdir itself is gone by now
    }
  }
  return out;
}

/** Fds open now that were not open (or pointed elsewhere) in `before`. */
export function newFds(before: Map<number, string>, after = snapshotFds()): Array<{ fd: number; target: string }> {
  const leaked: Array<{ fd: number; target: string }> = [];
  for (const [fd, target] of after) {
    if (before.get(fd) !== target) leaked.push({ fd, target });
  }
  return leaked;
}

/**
 * Throws if fds opened since `before` are still open after `settleMs` (closing a child's stdio or a
 * libuv handle completes on a later turn of the event loop, so give it a moment).
 */
export async function assertNoFdLeaks(before: Map<number, string>, settleMs = 500): Promise<void> {
  const deadline = Date.now() + settleMs;
  for (;;) {
    const leaked = newFds(before);
    if (leaked.length === 0) return;
    if (Date.now() >= deadline) {
      throw new Error(`leaked ${leaked.length} fd(s): ${leaked.map((l) => `${l.fd} → ${l.target}`).join(', ')}`);
    }
    await sleep(10);
  }
}
