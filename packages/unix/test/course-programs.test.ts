// The course's recv-unix / send-unix, ported: same arguments, output and errors as the C originals
// (the C versions are in bench/c; bench/test/course-interop.test.ts runs each against the other).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bind, close, recv, socket } from '@ipc-compare/native';
import { Lines, waitForDgramSocket } from './helpers.js';

const bin = (name: string) => new URL(`../dist/bin/${name}.js`, import.meta.url).pathname;
/** A program that should exit at once; the timeout is a hang guard (a receiver that bound runs forever). */
const run = (name: string, ...args: string[]) => spawnSync(process.execPath, [bin(name), ...args], { encoding: 'utf8', timeout: 20_000 });
const root = new URL('../../..', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'course-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function sendUnix(...args: string[]) {
  const r = run('send-unix', ...args);
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** Starts recv-unix, waits until its socket is bound, and collects its output until stopped. */
async function startRecvUnix(name: string, chars: string) {
  const child = spawn(process.execPath, [bin('recv-unix'), name, chars], { stdio: ['ignore', 'pipe', 'pipe'] });
  const out = new Lines(child.stdout);
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
  const exited = new Promise<number | null>((r) => child.once('close', (code) => r(code)));
  await Promise.race([waitForDgramSocket(name), exited.then((code) => Promise.reject(new Error(`recv-unix exited (${code}) before binding: ${err}`)))]);
  return {
    lines: (n: number) => out.next(n),
    stop: async () => {
      child.kill();
      await exited;
      return err;
    },
  };
}

describe('recv-unix / send-unix (TypeScript ports)', () => {
  it('sends num-repeat datagrams; the receiver cuts each to num-chars, as recv(2) into that buffer does', async () => {
    const name = join(dir, 'sock');
    const recv = await startRecvUnix(name, '5');
    const s = sendUnix(name, 'hello-world', '3');
    expect(s).toEqual({ code: 0, out: 'sent 11 bytes\nsent 11 bytes\nsent 11 bytes\n', err: '' });
    expect(await recv.lines(3)).toEqual(['5 bytes received: "hello"', '5 bytes received: "hello"', '5 bytes received: "hello"']);
    expect(await recv.stop()).toBe('');
  });

  it('a stale socket file of the same name is removed first', async () => {
    const name = join(dir, 'stale');
    const fd = socket('unix', 'dgram');
    bind(fd, { family: 'unix', path: name });
    close(fd); // the file stays behind
    expect(sendUnix(name, 'x', '1')).toMatchObject({ code: 1, err: 'send-unix: sendto: Connection refused\n' });
    const recv = await startRecvUnix(name, '64');
    expect(sendUnix(name, 'after the stale one', '1').code).toBe(0);
    expect(await recv.lines(1)).toEqual(['19 bytes received: "after the stale one"']);
    await recv.stop();
  });

  it('only a stale socket file is removed: a regular file or a live socket of that name stays, and the bind fails', () => {
    const file = join(dir, 'a-regular-file');
    writeFileSync(file, 'keep me');
    expect(run('recv-unix', file, '5')).toMatchObject({
      status: 1,
      stdout: '',
      stderr: `recv-unix: ${file}: Address already in use\n`,
    });
    expect(readFileSync(file, 'utf8')).toBe('keep me');

    const live = join(dir, 'live');
    const fd = socket('unix', 'dgram', true); // another program's receiver, still running
    bind(fd, { family: 'unix', path: live });
    try {
      expect(run('recv-unix', live, '5')).toMatchObject({
        status: 1,
        stderr: `recv-unix: ${live}: Address already in use\n`,
      });
      expect(sendUnix(live, 'still yours', '1')).toMatchObject({ code: 0, out: 'sent 11 bytes\n' });
      const buf = Buffer.alloc(32);
      expect(buf.subarray(0, recv(fd, buf)).toString()).toBe('still yours');
    } finally {
      close(fd);
    }
  });

  it('a count that does not fit in an int is a usage error (as strtol/INT_MAX in C), before any socket file is made', () => {
    const name = join(dir, 'r.sock');
    for (const count of ['99999999999', '2147483648']) {
      const r = run('recv-unix', name, count);
      expect({ status: r.status, stdout: r.stdout, stderr: r.stderr }).toEqual({ status: 1, stdout: '', stderr: 'usage: recv-unix <domain-sock-name> <num-chars>\n' });
      expect(existsSync(name)).toBe(false);
      const s = run('send-unix', name, 'hi', count);
      expect({ status: s.status, stdout: s.stdout, stderr: s.stderr }).toEqual({ status: 1, stdout: '', stderr: 'usage: send-unix <domain-sock-name> <msg> <num-repeat>\n' });
    }
  });

  it("errors as in the C originals: usage, name too long, nobody there", () => {
    const node = run;
    for (const args of [[], ['a'], ['a', '5', 'x'], ['a', '0'], ['a', 'x']]) {
      expect(node('recv-unix', ...args)).toMatchObject({ status: 1, stdout: '', stderr: 'usage: recv-unix <domain-sock-name> <num-chars>\n' });
    }
    for (const args of [[], ['a', 'b'], ['a', 'b', 'c', 'd'], ['a', 'b', '-1']]) {
      expect(node('send-unix', ...args)).toMatchObject({ status: 1, stdout: '', stderr: 'usage: send-unix <domain-sock-name> <msg> <num-repeat>\n' });
    }
    const long = `/tmp/${'n'.repeat(110)}`;
    expect(node('recv-unix', long, '5')).toMatchObject({ status: 1, stderr: `recv-unix: ${long}: File name too long\n` });
    expect(node('send-unix', long, 'hi', '1')).toMatchObject({ status: 1, stderr: `send-unix: ${long}: File name too long\n` });
    expect(node('send-unix', join(dir, 'nobody'), 'hi', '1')).toMatchObject({ status: 1, stdout: '', stderr: 'send-unix: sendto: No such file or directory\n' });
  });

  it('npx finds both programs from the repository root', () => {
    const r = spawnSync('npx', ['--no-install', 'send-unix'], { cwd: root, encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('usage: send-unix <domain-sock-name> <msg> <num-repeat>');
  });
});
