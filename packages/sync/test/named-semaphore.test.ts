// Named semaphores: the third case of the notes — processes that share no memory, only a name — and
// interop with C: a program compiled here uses the same name through glibc's sem_open.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { NAME_PREFIX, NamedSemaphore } from '../src/index.js';
import { stopAll } from './helpers.js';

const scratch = mkdtempSync(join(tmpdir(), 'sync-named-test-'));
const tool = join(scratch, 'named-sem');
execFileSync('gcc', ['-O2', '-Wall', '-o', tool, new URL('../c/named-sem.c', import.meta.url).pathname, '-pthread']);
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const made: NamedSemaphore[] = [];
afterEach(async () => {
  await stopAll();
  made.splice(0).forEach((s) => s.close());
});
const fresh = (value = 0) => {
  const s = NamedSemaphore.create({ value });
  made.push(s);
  return s;
};
const file = (name: string) => `/dev/shm/sem.${name.slice(1)}`;
const c = (...args: string[]) => execFileSync(tool, args, { encoding: 'utf8' });

describe('names', () => {
  it('a new name is the prefix and a random part, made with O_EXCL, 0600, and gone after close()', () => {
    const s = fresh();
    expect(s.name).toMatch(new RegExp(`^${NAME_PREFIX}[0-9a-f]{16}$`));
    expect(statSync(file(s.name)).mode & 0o777).toBe(0o600);
    expect(() => NamedSemaphore.create({ name: s.name })).toThrow(expect.objectContaining({ code: 'EEXIST', syscall: 'sem_open', path: file(s.name) }));
    s.close();
    expect(existsSync(file(s.name))).toBe(false);
    expect(() => NamedSemaphore.open(s.name)).toThrow(expect.objectContaining({ code: 'ENOENT' }));
  });

  it('an opener closing does not unlink; a bad name is refused before any syscall', () => {
    const s = fresh(3);
    const o = NamedSemaphore.open(s.name);
    expect(o.value).toBe(3);
    o.close();
    expect(existsSync(file(s.name))).toBe(true);
    for (const bad of ['no-slash', '/a/b', '/', 'x'.repeat(300)]) expect(() => NamedSemaphore.open(bad)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
  });
});

describe('with a C program using the same name', () => {
  it('C posts, the TS async wait resolves', async () => {
    const s = fresh();
    const waiting = s.wait();
    c('post', s.name);
    await waiting;
    expect(s.value).toBe(0);
  });

  it('TS posts, the C program blocked in sem_wait wakes', async () => {
    const s = fresh();
    const proc = spawn(tool, ['wait', s.name], { stdio: ['ignore', 'pipe', 'inherit'] });
    const lines = createInterface({ input: proc.stdout })[Symbol.asyncIterator]();
    expect((await lines.next()).value).toBe('waiting');
    s.post();
    expect((await lines.next()).value).toBe('acquired');
    expect(await new Promise((r) => proc.once('exit', r))).toBe(0);
  });

  it('C creates it, TS opens it by name and sees its count; C unlinks it', () => {
    const name = `${NAME_PREFIX}c-${process.pid}`;
    c('create', name, '2');
    try {
      const o = NamedSemaphore.open(name);
      o.waitSync();
      expect(o.value).toBe(1);
      expect(c('value', name).trim()).toBe('1');
      o.close();
    } finally {
      c('unlink', name);
    }
    expect(existsSync(file(name))).toBe(false);
  });
});

describe('the named-sem tool: TS (plain Node, built) and C interchangeable', () => {
  const ts = new URL('../bin/named-sem.js', import.meta.url).pathname;
  const run = (bin: string, ...args: string[]) => {
    try {
      return { code: 0, out: execFileSync(bin === 'c' ? tool : process.execPath, bin === 'c' ? args : [ts, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }) };
    } catch (err) {
      const e = err as { status: number; stderr: string };
      return { code: e.status, out: e.stderr };
    }
  };

  it('C creates, TS waits while C posts, TS reads the value, C unlinks; the same errors', async () => {
    const name = `${NAME_PREFIX}tool-${process.pid}`;
    expect(run('c', 'create', name, '0').code).toBe(0);
    try {
      const waiter = spawn(process.execPath, [ts, 'wait', name], { stdio: ['ignore', 'pipe', 'inherit'] });
      const lines = createInterface({ input: waiter.stdout })[Symbol.asyncIterator]();
      expect((await lines.next()).value).toBe('waiting');
      expect(run('c', 'post', name).code).toBe(0);
      expect((await lines.next()).value).toBe('acquired');
      expect(await new Promise((r) => waiter.once('exit', r))).toBe(0);
      expect(run('ts', 'post', name).code).toBe(0);
      expect(run('c', 'value', name).out.trim()).toBe('1');
      expect(run('ts', 'value', name).out.trim()).toBe('1');
      expect(run('ts', 'create', name).code).toBe(1); // EEXIST, both
      expect(run('c', 'create', name).code).toBe(1);
    } finally {
      expect(run('c', 'unlink', name).code).toBe(0);
    }
    for (const bin of ['c', 'ts']) {
      const r = run(bin, 'post', name);
      expect(r.code).toBe(1);
      expect(r.out).toMatch(/named-sem: sem_open \S+: .*(No such file or directory|ENOENT)/);
      expect(run(bin, 'frobnicate').code).toBe(2);
    }
  });
});

it('lost-updates (plain Node, built): no lock loses updates, the futex lock none', () => {
  const demo = new URL('../bin/lost-updates.js', import.meta.url).pathname;
  const locked = execFileSync(process.execPath, [demo, 'futex', '200000'], { encoding: 'utf8' });
  expect(locked).toMatch(/expected 400000, got 400000 — none lost/);
  let unlocked = '';
  for (let i = 0; i < 20 && !/lost \(/.test(unlocked); i++) unlocked = execFileSync(process.execPath, [demo, 'none', '2000000'], { encoding: 'utf8' });
  expect(unlocked).toMatch(/under no lock: expected 4000000, got \d+ — \d+ lost \(/);
});
