// Child processes for the rwlock, cond, async-lock, eventfd and XSI semaphore tests: a fixture run
// by node with the given fds inherited as 3, 4…; stdout read line by line (a child says "ready",
// results…), stdin open for commands. kill() in afterEach: whatever a test left running goes.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fixture } from './helpers.js';

export interface Child {
  proc: ChildProcess;
  /** Resolves with the next stdout line (lines that came earlier are queued). */
  line(): Promise<string>;
  /** Waits for a line equal to `text` (others are returned in `skipped`). */
  expectLine(text: string): Promise<void>;
  send(cmd: string): void;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
  kill(): void;
}

const live = new Set<Child>();

export { fixture };

/** Sends a command line to a fixture child and returns its answer line. */
export async function ask(child: Child, cmd: string): Promise<string> {
  child.send(cmd);
  return child.line();
}

/** `as`: run the child as another user (needs root), e.g. to see what mode bits keep out. */
export function spawnChild(name: string, args: string[] = [], fds: number[] = [], as?: { uid: number; gid: number }): Child {
  const proc = spawn(process.execPath, [fixture(name), ...args], { stdio: ['pipe', 'pipe', 'pipe', ...fds], ...as });
  const queued: string[] = [];
  const waiting: Array<(l: string) => void> = [];
  let stderr = '';
  proc.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) =>
    proc.once('close', (code, signal) => resolve({ code, signal, stderr })),
  );
  let closed = false;
  createInterface({ input: proc.stdout! })
    .on('line', (l) => {
      const w = waiting.shift();
      if (w) w(l);
      else queued.push(l);
    })
    .on('close', () => {
      closed = true;
      for (const w of waiting.splice(0)) w('<eof>');
    });
  const line = () => {
    if (queued.length > 0) return Promise.resolve(queued.shift()!);
    if (closed) return Promise.resolve('<eof>');
    return new Promise<string>((r) => waiting.push(r));
  };
  const child: Child = {
    proc,
    line,
    async expectLine(text) {
      for (;;) {
        const l = await line();
        if (l === text) return;
        if (l === '<eof>') {
          const { code, signal, stderr } = await exited;
          throw new Error(`child ${name} ended (code ${code}, signal ${signal}) before printing "${text}"; stderr: ${stderr}`);
        }
      }
    },
    send(cmd) {
      proc.stdin!.write(`${cmd}\n`);
    },
    exited,
    kill() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    },
  };
  live.add(child);
  void exited.then(() => live.delete(child));
  return child;
}

/** Kills every child still running (afterEach) and waits until they are gone. */
export async function killChildren(): Promise<void> {
  const all = [...live];
  for (const c of all) c.kill();
  await Promise.all(all.map((c) => c.exited));
}

/** Rejects after `ms` — a hang guard to race against, never something a test waits for. */
export function deadline(ms: number, what: string): { promise: Promise<never>; cancel(): void } {
  let timer: NodeJS.Timeout;
  const promise = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`hang guard: ${what} did not finish within ${ms} ms`)), ms);
  });
  return { promise, cancel: () => clearTimeout(timer) };
}
