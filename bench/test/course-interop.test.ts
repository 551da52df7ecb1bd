// The course's recv-unix / send-unix: the TypeScript ports (packages/unix) and the C versions
// (bench/c) must interoperate both ways and print the same bytes for the same scenario.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { bind, close, recv, socket } from '@ipc-compare/native';
import { Lines, waitForDgramSocket } from '../../packages/unix/test/helpers.js';

type Impl = 'c' | 'ts';
const dir = mkdtempSync(join(tmpdir(), 'interop-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function command(impl: Impl, program: 'recv-unix' | 'send-unix'): [string, string[]] {
  if (impl === 'c') return [fileURLToPath(new URL(`../c/build/${program}`, import.meta.url)), []];
  return [process.execPath, [fileURLToPath(new URL(`../../packages/unix/dist/bin/${program}.js`, import.meta.url))]];
}

function send(impl: Impl, ...args: string[]) {
  return runSync(impl, 'send-unix', ...args);
}

/** Runs `impl`'s recv-unix, lets `sender` send `n` datagrams once it is bound, returns its exact output. */
async function scenario(receiver: Impl, sender: Impl, name: string, chars: string, msg: string, n: number): Promise<{ recv: string; send: string }> {
  const [cmd, pre] = command(receiver, 'recv-unix');
  const child = spawn(cmd, [...pre, name, chars], { stdio: ['ignore', 'pipe', 'inherit'] });
  const out = new Lines(child.stdout, 'latin1');
  const closed = new Promise((r) => child.once('close', r));
  try {
    await waitForDgramSocket(name); // bound: the directory's inotify events, then a connect() that sends nothing
    const s = send(sender, name, msg, String(n));
    await out.next(n);
    return { recv: out.text, send: s.out };
  } finally {
    child.kill();
    await closed;
  }
}

/** Runs a program that must exit at once (the timeout is only a hang guard: a bound receiver runs forever). */
function runSync(impl: Impl, program: 'recv-unix' | 'send-unix', ...args: string[]) {
  const [cmd, pre] = command(impl, program);
  const r = spawnSync(cmd, [...pre, ...args], { encoding: 'utf8', timeout: 20_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('recv-unix / send-unix: C and TypeScript, each against the other', () => {
  const cases: Array<[Impl, Impl]> = [
    ['ts', 'c'],
    ['c', 'ts'],
    ['c', 'c'],
    ['ts', 'ts'],
  ];
  it.each(cases)('receiver %s, sender %s: truncation to num-chars, byte-identical output', async (receiver, sender) => {
    const name = join(dir, `${receiver}-${sender}`);
    const r = await scenario(receiver, sender, name, '5', 'hello-world', 3);
    expect(r.send).toBe('sent 11 bytes\nsent 11 bytes\nsent 11 bytes\n');
    expect(r.recv).toBe('5 bytes received: "hello"\n5 bytes received: "hello"\n5 bytes received: "hello"\n');
  });

  it.each(['c', 'ts'] as Impl[])('%s recv-unix removes a stale socket file left by a crashed run', async (receiver) => {
    const name = join(dir, `stale-${receiver}`);
    const fd = socket('unix', 'dgram');
    bind(fd, { family: 'unix', path: name });
    close(fd);
    const r = await scenario(receiver, receiver === 'c' ? 'ts' : 'c', name, '100', 'still works', 1);
    expect(r.recv).toBe('11 bytes received: "still works"\n');
  });

  it.each(['c', 'ts'] as Impl[])('%s recv-unix removes only a stale socket: a regular file or a live socket of that name stays (EADDRINUSE)', (impl) => {
    const file = join(dir, `file-${impl}`);
    writeFileSync(file, 'keep me');
    expect(runSync(impl, 'recv-unix', file, '5')).toEqual({ code: 1, out: '', err: `recv-unix: ${file}: Address already in use\n` });
    expect(readFileSync(file, 'utf8')).toBe('keep me');
    const live = join(dir, `live-${impl}`);
    const fd = socket('unix', 'dgram', true); // another receiver, still running
    bind(fd, { family: 'unix', path: live });
    try {
      expect(runSync(impl, 'recv-unix', live, '5')).toEqual({ code: 1, out: '', err: `recv-unix: ${live}: Address already in use\n` });
      expect(send(impl, live, 'mine', '1').code).toBe(0);
      const buf = Buffer.alloc(16);
      expect(buf.subarray(0, recv(fd, buf)).toString()).toBe('mine');
    } finally {
      close(fd);
    }
  });

  it('counts that do not fit in an int: the same usage error from both, and no socket file', () => {
    const name = join(dir, 'r.sock');
    for (const count of ['99999999999', '2147483648']) {
      const c = runSync('c', 'recv-unix', name, count);
      expect(runSync('ts', 'recv-unix', name, count)).toEqual(c);
      expect(c).toEqual({ code: 1, out: '', err: 'usage: recv-unix <domain-sock-name> <num-chars>\n' });
      expect(existsSync(name)).toBe(false);
      const cs = send('c', name, 'hi', count);
      expect(send('ts', name, 'hi', count)).toEqual(cs);
      expect(cs).toMatchObject({ code: 1, err: 'usage: send-unix <domain-sock-name> <msg> <num-repeat>\n' });
    }
  });

  it('the two implementations fail alike: usage, too long a name, nobody listening', () => {
    const long = `/tmp/${'q'.repeat(110)}`;
    for (const args of [[], ['only-a-name'], [long, 'hi', '1'], [join(dir, 'nobody'), 'hi', '1']]) {
      const c = send('c', ...args);
      const ts = send('ts', ...args);
      expect(ts).toEqual(c);
      expect(c.code).toBe(1);
    }
    const [cCmd] = command('c', 'recv-unix');
    const [tsCmd, tsPre] = command('ts', 'recv-unix');
    for (const args of [[], ['x'], [long, '5'], ['x', '0']]) {
      const c = spawnSync(cCmd, args, { encoding: 'utf8' });
      const ts = spawnSync(tsCmd, [...tsPre, ...args], { encoding: 'utf8' });
      expect({ code: ts.status, out: ts.stdout, err: ts.stderr }).toEqual({ code: c.status, out: c.stdout, err: c.stderr });
    }
  });
});
