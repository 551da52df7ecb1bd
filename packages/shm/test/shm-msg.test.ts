// The course example for two terminals: shm-msg (TS, built, plain Node) and c/shm-msg.c on the same
// POSIX object (by name) and XSI segment (by key) — each writes what the other reads, a reader that
// started first sleeps until the writer wakes it, and `remove` leaves nothing behind.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';

const scratch = mkdtempSync(join(tmpdir(), 'ipc-compare-shm-msg-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const cTool = join(scratch, 'shm-msg');
execFileSync('cc', ['-O2', '-Wall', '-Werror', '-o', cTool, new URL('../c/shm-msg.c', import.meta.url).pathname]);
const tsTool = new URL('../bin/shm-msg.js', import.meta.url).pathname;
const tools = { ts: [process.execPath, tsTool], c: [cTool] } as const;

function run(tool: keyof typeof tools, ...args: string[]): string {
  const [file, ...pre] = tools[tool];
  return execFileSync(file!, [...pre, ...args], { encoding: 'utf8' });
}

/** Starts a reader; resolves once it said "waiting" (it sleeps in futex now), then with its output. */
function waitingReader(tool: keyof typeof tools, kind: string, id: string): Promise<{ output: Promise<string> }> {
  const [file, ...pre] = tools[tool];
  const p = spawn(file!, [...pre, 'read', kind, id], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  return new Promise((resolve, reject) => {
    const output = new Promise<string>((done) => p.once('close', () => done(out)));
    p.stdout!.setEncoding('utf8').on('data', (s: string) => {
      out += s;
      if (out.startsWith('waiting\n')) resolve({ output });
    });
    p.once('error', reject);
  });
}

function xsiKeyInUse(key: number): boolean {
  return readFileSync('/proc/sysvipc/shm', 'utf8').split('\n').some((l) => l.trim().split(/\s+/)[0] === String(key));
}

describe.each([
  ['ts', 'c'],
  ['c', 'ts'],
] as const)('shm-msg: %s writes, %s reads', (writer, reader) => {
  it.each(['posix', 'xsi'] as const)('%s: a reader that came first sleeps until the write wakes it; remove leaves nothing', async (kind) => {
    const key = 0x1000000 + randomBytes(3).readUIntBE(0, 3);
    const id = kind === 'posix' ? `/ipc-compare-shm-msg-${randomBytes(6).toString('hex')}` : String(key);
    run(writer, 'create', kind, id);
    try {
      expect(() => run(reader, 'create', kind, id)).toThrow(); // O_EXCL / IPC_EXCL: never reused
      const r = await waitingReader(reader, kind, id);
      run(writer, 'write', kind, id, `hello from ${writer}`);
      expect(await r.output).toBe(`waiting\nhello from ${writer}\n`);
      expect(run(reader, 'read', kind, id)).toBe(`hello from ${writer}\n`); // there now: no waiting
    } finally {
      run(reader, 'remove', kind, id);
    }
    if (kind === 'posix') expect(existsSync(`/dev/shm${id}`)).toBe(false);
    else expect(xsiKeyInUse(key)).toBe(false);
  });
});
