// The native FifoOpener under pressure, each case in a child process of its own that loads the built
// addon (packages/native/dist): a full fd table (cancel still works: the opener holds a reserve fd),
// a partner open the kernel refuses (cancel says so), and many openers collected while their threads
// finish (no use after free).
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, chownSync, closeSync, constants as fsConstants, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { mkfifo } from '@ipc-compare/native';
import { fifoTransport } from '../src/index.js';

const scratch = mkdtempSync(join(tmpdir(), 'fifo-opener-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const fixture = (name: string) => new URL(`./fixtures/${name}`, import.meta.url).pathname;
let n = 0;
const fresh = () => join(scratch, `f${n++}`);

/** A hung child is a failed test, not a hung suite: it is killed after this long (never reached when it works). */
const HANG_MS = 45_000; // below vitest's 60 s, so the child's stderr is still reported

function child(cmd: string, args: string[], opts: { uid?: number; env?: NodeJS.ProcessEnv } = {}) {
  const proc = spawn(cmd, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(opts.uid === undefined ? {} : { uid: opts.uid, gid: opts.uid }),
    ...(opts.env === undefined ? {} : { env: opts.env }),
  });
  let err = '';
  proc.stderr!.setEncoding('utf8').on('data', (s: string) => (err += s));
  const lines = createInterface({ input: proc.stdout! })[Symbol.asyncIterator]();
  const watchdog = setTimeout(() => proc.kill('SIGKILL'), HANG_MS);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) =>
    proc.once('exit', (code, signal) => {
      clearTimeout(watchdog);
      resolve({ code, signal, stderr: err });
    }),
  );
  return {
    /** The next JSON line the child prints; null if it exited (or was killed) first. */
    next: async (): Promise<Record<string, unknown> | null> => {
      const l = await lines.next();
      return l.done ? null : (JSON.parse(l.value as string) as Record<string, unknown>);
    },
    exited,
    kill: () => proc.kill('SIGKILL'),
  };
}

describe('FifoOpener', () => {
  it('cancel() works with the fd table full (EMFILE): the open settles with ECANCELED and every fd is released', async () => {
    const path = fresh();
    mkfifo(path);
    const c = child('sh', ['-c', `ulimit -n 64; exec "${process.execPath}" "${fixture('opener-emfile.mjs')}" "${path}"`]);
    try {
      const r = await c.next();
      const { code, signal, stderr } = await c.exited;
      expect(r, `the cancelled open never settled (killed: ${signal}); stderr: ${stderr}`).not.toBeNull();
      expect(r).toMatchObject({ cancelled: true, code: 'ECANCELED', fd: -1, leftOver: 0 });
      expect(r!.filled as number).toBeGreaterThan(0); // the table really was full
      expect(code).toBe(0);
    } finally {
      c.kill();
    }
  });

  it('cancel() that cannot open the partner throws a Node-style error instead of failing silently', async () => {
    if (process.getuid!() !== 0) return; // needs root to run the child as another user
    const dir = mkdtempSync(join(tmpdir(), 'fifo-opener-ro-')); // the scratch directory is 0700: nobody could not reach it
    chmodSync(dir, 0o755);
    const path = join(dir, 'fifo');
    mkfifo(path, 0o444); // the child (nobody) may open it for reading only, so it cannot be the partner
    chownSync(path, 0, 0);
    const c = child(process.execPath, [fixture('opener-cancel-refused.mjs'), path], { uid: 65534 });
    let writer = -1;
    try {
      const first = await c.next();
      // Let the child's pending open complete either way: this process becomes the writer.
      writer = openSync(path, fsConstants.O_WRONLY | fsConstants.O_NONBLOCK);
      const second = await c.next();
      const { code, stderr } = await c.exited;
      expect(first, stderr).toEqual({
        cancelled: { code: 'EACCES', errno: -13, syscall: 'open', path, message: `EACCES: permission denied, open '${path}'` },
      });
      // Not cancelled, so the open completed normally once a writer came.
      expect(second).toMatchObject({ code: null });
      expect(second!.fd as number).toBeGreaterThanOrEqual(0);
      expect(code).toBe(0);
    } finally {
      if (writer >= 0) closeSync(writer);
      c.kill();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('many openers started, cancelled and garbage-collected while their threads finish never crash', async () => {
    const path = fresh();
    mkfifo(path);
    // The window between an opener thread queuing its result and its next step is held open by an
    // LD_PRELOAD shim until the child has run the callback and collected the opener (see the .c file),
    // so every opener meets it: 100 are plenty (each costs four full GCs, slow on a loaded machine).
    const shim = join(scratch, 'stall-after-callback.so');
    execFileSync('gcc', ['-shared', '-fPIC', '-O2', '-o', shim, fixture('stall-after-callback.c'), '-ldl']);
    const go = fresh();
    mkfifo(go);
    const c = child(process.execPath, ['--expose-gc', fixture('opener-churn.mjs'), path, '10', '10'], {
      env: {
        ...process.env,
        LD_PRELOAD: shim,
        IPC_TEST_STALL_FIFO: go,
        // Freed memory filled with garbage (and no per-thread cache that skips the filling): a use
        // after free becomes a crash, not luck.
        MALLOC_PERTURB_: '165',
        GLIBC_TUNABLES: 'glibc.malloc.tcache_count=0',
      },
    });
    try {
      const r = await c.next();
      const { code, signal, stderr } = await c.exited;
      expect({ code, signal }, stderr).toEqual({ code: 0, signal: null });
      expect(r).toEqual({ settled: 100 });
    } finally {
      c.kill();
    }
  });
});

