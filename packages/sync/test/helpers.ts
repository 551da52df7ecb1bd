// Child processes and workers for the sync tests: each reports on stdout (JSON lines) or through
// postMessage, and the test waits for those reports — never for time. Everything started here is
// killed in afterEach (`stopAll`), whatever the test did.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { Worker } from 'node:worker_threads';

export const fixture = (name: string) => new URL(`./fixtures/${name}`, import.meta.url).pathname;

/** A hung child or worker is a failed test, not a hung suite (never reached when things work). */
export const HANG_MS = 45_000;

const running = new Set<{ stop(): unknown }>();

export interface Child {
  proc: ChildProcess;
  /** The next JSON line the child prints; null once it has exited. */
  next(): Promise<Record<string, unknown> | null>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
}

/** node `script` with `args`; `fds` become the child's fds 3, 4, … (SharedRegion.inherit(3)). */
export function child(script: string, args: unknown[], fds: number[] = []): Child {
  const proc = spawn(process.execPath, [script, ...args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a)))], { stdio: ['ignore', 'pipe', 'pipe', ...fds] });
  let stderr = '';
  proc.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const lines = createInterface({ input: proc.stdout! })[Symbol.asyncIterator]();
  const watchdog = setTimeout(() => proc.kill('SIGKILL'), HANG_MS);
  const handle = { stop: () => proc.exitCode === null && proc.signalCode === null && proc.kill('SIGKILL') };
  running.add(handle);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) =>
    proc.once('exit', (code, signal) => {
      clearTimeout(watchdog);
      running.delete(handle);
      resolve({ code, signal, stderr });
    }),
  );
  return {
    proc,
    next: async () => {
      const l = await lines.next();
      return l.done ? null : (JSON.parse(l.value as string) as Record<string, unknown>);
    },
    exited,
  };
}

/** A worker running `script` with `workerData`; resolves with its first message. */
export function worker(script: string, workerData: unknown): { result: Promise<unknown>; worker: Worker } {
  const w = new Worker(script, { workerData });
  const handle = { stop: () => w.terminate() };
  running.add(handle);
  const result = new Promise<unknown>((resolve, reject) => {
    w.once('message', resolve);
    w.once('error', reject);
    w.once('exit', (code) => reject(new Error(`worker exited (${code}) without a result`)));
  }).finally(() => running.delete(handle));
  return { result, worker: w };
}

export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((h) => h.stop()));
  running.clear();
}
