// pass-fd: send an open file to another program over a UNIX socket. Against itself and against a plain
// SCM_RIGHTS peer written in Python (socket.send_fds / recv_fds), in both directions.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Lines } from './helpers.js';

const passFd = new URL('../dist/bin/pass-fd.js', import.meta.url).pathname;
const py = new URL('./fixtures/py-fds.py', import.meta.url).pathname;
const root = new URL('../../..', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'pass-fd-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = join(dir, 'secret.txt');
writeFileSync(file, 'contents of the passed file\n');

/** Starts a receiver, waits until it says it is listening, runs the sender, returns both outputs. */
async function exchange(receiver: string[], sender: string[]) {
  const r = spawn(receiver[0]!, receiver.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  const out = new Lines(r.stdout);
  let err = '';
  r.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
  const done = new Promise<number | null>((res) => r.once('close', (code) => res(code)));
  expect((await out.next(1))[0]).toBe('listening'); // both receivers say so once they listen
  const s = spawnSync(sender[0]!, sender.slice(1), { encoding: 'utf8' });
  const code = await done; // 'close': its output is all in
  return { code, out: out.text.replace(/^listening\n/, ''), err, sender: s };
}

describe('pass-fd', () => {
  it('pass-fd send → pass-fd recv: the message, then the file read from offset 0', async () => {
    const sock = join(dir, 'ts-ts.sock');
    const r = await exchange([process.execPath, passFd, 'recv', sock], [process.execPath, passFd, 'send', sock, file]);
    expect(r.sender).toMatchObject({ status: 0, stdout: `sent 2 bytes and 1 fd (${file})\n` });
    expect(r.code).toBe(0);
    expect(r.out).toBe('received 2 bytes: "fd" with 1 fd\n--- fd 1: file, 28 bytes from offset 0 ---\ncontents of the passed file\n');
    expect(existsSync(sock)).toBe(false); // the receiver removes its socket file
  });

  it('Python send_fds → pass-fd recv', async () => {
    const sock = join(dir, 'py-ts.sock');
    const r = await exchange([process.execPath, passFd, 'recv', sock], ['python3', py, 'send', sock, file]);
    expect(r.sender).toMatchObject({ status: 0, stdout: 'python sent 2 bytes and 1 fd\n' });
    expect(r.out).toBe('received 2 bytes: "fd" with 1 fd\n--- fd 1: file, 28 bytes from offset 0 ---\ncontents of the passed file\n');
  });

  it('pass-fd send → Python recv_fds', async () => {
    const sock = join(dir, 'ts-py.sock');
    const r = await exchange(['python3', py, 'recv', sock], [process.execPath, passFd, 'send', sock, file]);
    expect(r.sender.status).toBe(0);
    expect(r.code).toBe(0);
    expect(r.out).toBe("python received 2 bytes: 'fd' with 1 fd(s)\ncontents of the passed file\n");
  });

  it('errors: usage, a missing file, nobody listening, too long a name; npx finds it from the root', () => {
    const run = (...a: string[]) => spawnSync(process.execPath, [passFd, ...a], { encoding: 'utf8' });
    for (const args of [[], ['recv'], ['send', 'x'], ['move', 'a', 'b']]) expect(run(...args)).toMatchObject({ status: 1, stderr: expect.stringMatching(/^usage: pass-fd recv <socket-path>/) });
    expect(run('send', join(dir, 'none.sock'), join(dir, 'missing.txt'))).toMatchObject({ status: 1, stderr: `pass-fd: ${join(dir, 'missing.txt')}: No such file or directory\n` });
    expect(run('send', join(dir, 'none.sock'), file)).toMatchObject({ status: 1, stderr: `pass-fd: connect ${join(dir, 'none.sock')}: No such file or directory\n` });
    const long = `/tmp/${'p'.repeat(110)}`;
    expect(run('recv', long)).toMatchObject({ status: 1, stderr: `pass-fd: ${long}: File name too long\n` });
    const npx = spawnSync('npx', ['--no-install', 'pass-fd'], { cwd: root, encoding: 'utf8' });
    expect(npx.stderr).toContain('usage: pass-fd recv <socket-path>');
  });
});
