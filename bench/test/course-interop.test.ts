// The course's recv-unix / send-unix: the TypeScript ports (packages/unix) and the C versions
// (bench/c) must interoperate both ways and print the same bytes for the same scenario.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { bind, close, socket } from '@ipc-compare/native';

type Impl = 'c' | 'ts';
const dir = mkdtempSync(join(tmpdir(), 'interop-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function command(impl: Impl, program: 'recv-unix' | 'send-unix'): [string, string[]] {
  if (impl === 'c') return [fileURLToPath(new URL(`../c/build/${program}`, import.meta.url)), []];
  return [process.execPath, [fileURLToPath(new URL(`../../packages/unix/dist/bin/${program}.js`, import.meta.url))]];
}

function send(impl: Impl, ...args: string[]) {
  const [cmd, pre] = command(impl, 'send-unix');
  const r = spawnSync(cmd, [...pre, ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** Runs `impl`'s recv-unix, lets `sender` send `n` datagrams once it is bound, returns its exact output. */
async function scenario(receiver: Impl, sender: Impl, name: string, chars: string, msg: string, n: number): Promise<{ recv: string; send: string }> {
  const [cmd, pre] = command(receiver, 'recv-unix');
  const child = spawn(cmd, [...pre, name, chars], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.setEncoding('latin1').on('data', (s: string) => (out += s));
  const closed = new Promise((r) => child.once('close', r));
  // Wait until bound: a zero-repeat send checks nothing, so try a 1-byte marker until it is accepted.
  let bound = false;
  for (let i = 0; i < 200 && !bound; i++) {
    bound = send(sender, name, '.', '1').code === 0;
    if (!bound) await new Promise((r) => setTimeout(r, 10));
  }
  expect(bound).toBe(true);
  const s = send(sender, name, msg, String(n));
  for (let i = 0; i < 300 && out.split('\n').length - 1 < n + 1; i++) await new Promise((r) => setTimeout(r, 10));
  child.kill();
  await closed;
  return { recv: out.split('\n').slice(1).join('\n'), send: s.out };
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
