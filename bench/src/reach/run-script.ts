// Runs a node script for a probe (under a prefix such as setsid or `ip netns exec`): its stdout lines
// as they come, and its exit. Its stderr goes to ours.
import { spawn } from 'node:child_process';

export function runScript(prefix: string[], script: string, args: string[], env?: NodeJS.ProcessEnv) {
  const [cmd, ...rest] = [...prefix, process.execPath, script, ...args];
  const child = spawn(cmd!, rest, { stdio: ['ignore', 'pipe', 'inherit'], ...(env ? { env } : {}) });
  const lines: string[] = [];
  const waiters: Array<() => void> = [];
  let partial = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => {
    partial += s;
    for (let i = partial.indexOf('\n'); i >= 0; i = partial.indexOf('\n')) {
      lines.push(partial.slice(0, i));
      partial = partial.slice(i + 1);
      waiters.splice(0).forEach((w) => w());
    }
  });
  const closed = new Promise<void>((r) =>
    child.once('close', () => {
      if (partial) lines.push(partial);
      waiters.splice(0).forEach((w) => w());
      r();
    }),
  );
  let read = 0;
  const nextLine = async (): Promise<string | null> => {
    while (read >= lines.length && child.exitCode === null && child.signalCode === null) await new Promise<void>((r) => waiters.push(r));
    return read < lines.length ? lines[read++]! : null;
  };
  return { child, nextLine, closed };
}
