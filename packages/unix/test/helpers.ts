// Test helpers: waiting on signals (a file system event, a line of output, a promise), never on sleeps.
import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { Readable } from 'node:stream';
import { connect, socket, close } from '@ipc-compare/native';

/** Rejects if `p` has not settled after `ms` (a hang guard: no test passes or fails on time otherwise). */
export async function hangGuard<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const guard = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`hang guard: ${what} did not happen within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, guard]);
  } finally {
    clearTimeout(timer);
  }
}

/** Can a datagram be sent to `path` now? (connect(2) on a datagram socket sends nothing.) */
function dgramBound(path: string): 'bound' | 'absent' | 'refused' {
  const fd = socket('unix', 'dgram');
  try {
    connect(fd, { family: 'unix', path });
    return 'bound';
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ENOENT') return 'absent';
    if (code === 'ECONNREFUSED') return 'refused'; // a stale file, or bind(2) between creating the file and taking the name
    throw err;
  } finally {
    close(fd);
  }
}

/**
 * Resolves once a datagram socket is bound to `path` (by another process), woken by the directory's
 * inotify events. bind(2) creates the file and then registers the name in the same syscall, so a file
 * that was just created may still refuse for a moment: only then is it checked again on the next turn.
 */
export function waitForDgramSocket(path: string, guardMs = 20_000): Promise<void> {
  let watcher: FSWatcher | undefined;
  const ready = new Promise<void>((resolve, reject) => {
    let created = false;
    const check = () => {
      try {
        const state = dgramBound(path);
        if (state === 'bound') return resolve();
        if (state === 'refused' && created) setImmediate(check); // inside the binder's bind(2)
      } catch (err) {
        reject(err as Error);
      }
    };
    watcher = watch(dirname(path), (_event, file) => {
      if (file === null || file === basename(path)) {
        created = true; // an event for the name: whatever was there before (a stale file) has changed
        check();
      }
    });
    check();
  });
  return hangGuard(ready, guardMs, `a socket bound to ${path}`).finally(() => watcher?.close());
}

/** Collects a child's output by lines; `next(n)` resolves once n lines (in all) have come. */
export class Lines {
  readonly #lines: string[] = [];
  #text = '';
  #partial = '';
  #waiters: Array<{ n: number; resolve: () => void }> = [];
  #ended = false;

  constructor(stream: Readable, encoding: BufferEncoding = 'utf8') {
    stream.setEncoding(encoding);
    stream.on('data', (s: string) => {
      this.#text += s;
      const parts = (this.#partial + s).split('\n');
      this.#partial = parts.pop()!;
      this.#lines.push(...parts);
      this.#wake();
    });
    stream.on('end', () => {
      this.#ended = true;
      this.#wake();
    });
  }

  /** Complete lines so far. */
  get all(): string[] {
    return [...this.#lines];
  }

  /** Everything so far, as it came. */
  get text(): string {
    return this.#text;
  }

  /** All lines once `n` have come (or the stream ended first: then what there is). */
  async next(n: number, guardMs = 20_000): Promise<string[]> {
    if (this.#lines.length < n && !this.#ended) {
      await hangGuard(new Promise<void>((resolve) => this.#waiters.push({ n, resolve })), guardMs, `${n} lines of output`);
    }
    return this.all;
  }

  #wake(): void {
    this.#waiters = this.#waiters.filter((w) => {
      if (this.#lines.length < w.n && !this.#ended) return true;
      w.resolve();
      return false;
    });
  }
}
