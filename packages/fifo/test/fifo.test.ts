// The FIFO transport against the shared kit, then the course notes' claims about FIFOs, observed.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { FdChannel, OwnedFd } from '@ipc-compare/core';
import { assertNoFdLeaks, snapshotFds } from '@ipc-compare/core/testing';
import { describeConformance, primeProcessResources } from '@ipc-compare/core/conformance';
import { close, mkfifo, write } from '@ipc-compare/native';
import { fifoTransport, openFifo, openFifoNow } from '../src/index.js';

describeConformance(fifoTransport);

const scratch = mkdtempSync(join(tmpdir(), 'fifo-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const fixture = (name: string) => new URL(`./fixtures/${name}`, import.meta.url).pathname;
const pkgDir = new URL('..', import.meta.url).pathname;

function run(args: string[], opts: { uid?: number; setsid?: boolean } = {}) {
  const [cmd, argv] = opts.setsid ? ['setsid', [process.execPath, ...args]] : [process.execPath, args];
  const child = spawn(cmd, argv, {
    stdio: ['ignore', 'pipe', 'pipe'],
    cwd: pkgDir,
    ...(opts.uid === undefined ? {} : { uid: opts.uid, gid: opts.uid }),
  });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
  return { child, done: new Promise<{ code: number | null; out: string; err: string }>((r) => child.once('close', (code) => r({ code, out, err }))) };
}

let n = 0;
const fresh = () => join(scratch, `f${n++}`);

describe('a FIFO is a file: unrelated processes meet by name', () => {
  it('is visible as a file of type FIFO, owner-only, in a private directory', async () => {
    const opened = await fifoTransport.open();
    const { toPeer, fromPeer } = opened.peer.params as { toPeer: string; fromPeer: string };
    for (const p of [toPeer, fromPeer]) {
      const st = statSync(p);
      expect(st.isFIFO()).toBe(true);
      expect(st.mode & 0o777).toBe(0o600);
    }
    const dir = join(toPeer, '..');
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(opened.peer.inheritFds).toBeUndefined(); // nothing is inherited: only paths
    await opened.close();
    expect(existsSync(dir)).toBe(false); // removed on close
  });

  it('a process that inherits nothing and knows only the two paths talks to us; the names go once both ends are open', async () => {
    await primeProcessResources();
    const before = snapshotFds();
    const opened = await fifoTransport.open();
    const { toPeer, fromPeer } = opened.peer.params as { toPeer: string; fromPeer: string };
    const peer = run([fixture('unrelated-peer.mjs'), toPeer, fromPeer], { setsid: true });
    const channel = await opened.connect();
    // Connected: the names are gone, so no third process can join.
    expect(existsSync(toPeer) || existsSync(fromPeer)).toBe(false);
    await channel.send(Buffer.from('who are you?'));
    expect(Buffer.from((await channel.recv())!).toString()).toBe('WHO ARE YOU?');
    await channel.close();
    await opened.close();
    expect((await peer.done).code).toBe(0);
    await assertNoFdLeaks(before);
  });
});

describe('open semantics', () => {
  it('opening for read blocks until a writer appears (a child doing a blocking open(2))', async () => {
    const path = fresh();
    mkfifo(path);
    const child = run(['-e', `process.stdout.write('waiting '); require('fs').openSync(${JSON.stringify(path)}, 'r'); process.stdout.write('opened')`]);
    // Wait until the child's main thread sits in openat(2) (/proc/<pid>/syscall names the syscall a
    // blocked thread is in: 257 on x86_64) — it is blocked there, not merely slow.
    const inOpen = () => readFileSync(`/proc/${child.child.pid}/syscall`, 'utf8').split(' ')[0] === '257';
    for (let i = 0; i < 2000 && !inOpen(); i++) await new Promise((r) => setTimeout(r, 5));
    expect(inOpen()).toBe(true);
    const fd = await openFifo(path, 'write'); // the child's open can return now
    const { out } = await child.done;
    expect(out).toBe('waiting opened');
    close(fd);
  });

  it('openFifo waits without blocking the event loop; the waits do not use the threadpool (fs.open does)', async () => {
    // Six waiting opens: on the threadpool (4 threads) they would leave no thread for fs.readFile.
    const paths = Array.from({ length: 6 }, fresh);
    for (const p of paths) mkfifo(p);
    const opens = paths.map((p) => openFifo(p, 'read'));
    await new Promise((r) => setTimeout(r, 0)); // a timer still fires
    await import('node:fs/promises').then((fs) => fs.readFile(fixture('unrelated-peer.mjs'))); // and the threadpool is free
    // Writers appear: every waiting open completes. (They wait too: a non-blocking write open would
    // need each reader's thread to be inside open(2) already, which a loaded machine does not promise.)
    const writers = await Promise.all(paths.map((p) => openFifo(p, 'write')));
    const fds = await Promise.all(opens);
    for (const fd of [...fds, ...writers]) close(fd);

    // The contrast, in a separate process with the default 4 threads: fs.promises.open starves readFile
    // (it never completes: the fixture gives up after 2 s), the addon's opens do not.
    const [viaFs, viaAddon] = await Promise.all(
      ['fs', 'addon'].map(async (how) => {
        const dir = mkdtempSync(join(scratch, `${how}-`));
        const { out } = await run([fixture('threadpool-starvation.mjs'), dir, how]).done;
        return JSON.parse(out) as { result: string; ms: number };
      }),
    );
    expect(viaFs!.result).toBe('stuck');
    expect(viaAddon!.result).toBe('read');
  });

  it('a pending open can be abandoned (AbortSignal) without leaking anything', async () => {
    await primeProcessResources();
    const before = snapshotFds();
    const path = fresh();
    mkfifo(path);
    const ac = new AbortController();
    const p = openFifo(path, 'write', { signal: ac.signal });
    setImmediate(() => ac.abort());
    await expect(p).rejects.toMatchObject({ name: 'AbortError' });
    await assertNoFdLeaks(before);
  });

  it('a non-blocking write open with no reader fails with ENXIO and says why; a non-blocking read open succeeds', () => {
    const path = fresh();
    mkfifo(path);
    expect(() => openFifoNow(path, 'write')).toThrow(
      expect.objectContaining({ code: 'ENXIO', syscall: 'open', path, message: expect.stringMatching(/no process has the FIFO open for reading/) }),
    );
    const r = openFifoNow(path, 'read');
    const w = openFifoNow(path, 'write'); // a reader exists now
    close(w);
    close(r);
  });

  it('the reader sees end of file only when the last writer closes', async () => {
    const path = fresh();
    mkfifo(path);
    const readFd = openFifoNow(path, 'read');
    const reader = new FdChannel({ transport: 'fifo', readFd: OwnedFd.own(readFd, 'r'), writeFd: null });
    const w1 = openFifoNow(path, 'write');
    const w2 = openFifoNow(path, 'write');
    write(w1, Buffer.from('one'));
    close(w1);
    expect(Buffer.from((await reader.recv())!).toString()).toBe('one');
    write(w2, Buffer.from('two')); // still open: no EOF yet
    expect(Buffer.from((await reader.recv())!).toString()).toBe('two');
    close(w2);
    expect(await reader.recv()).toBeNull();
    await reader.close();
  });

  it('is still half duplex: each fd goes one way (EBADF the other way)', () => {
    const path = fresh();
    mkfifo(path);
    const r = openFifoNow(path, 'read');
    expect(() => write(r, Buffer.from('x'))).toThrow(expect.objectContaining({ code: 'EBADF' }));
    close(r);
  });
});

describe('bad input', () => {
  it('a missing path, a path that is not a FIFO, a path taken already: coded errors, nothing left behind', async () => {
    const missing = { transport: 'fifo', params: { toPeer: join(scratch, 'nope'), fromPeer: join(scratch, 'nope2') } };
    await expect(fifoTransport.attach(missing)).rejects.toMatchObject({ code: 'ENOENT', syscall: 'open' });
    const file = join(scratch, 'regular');
    writeFileSync(file, 'x');
    await expect(fifoTransport.attach({ ...missing, params: { toPeer: file, fromPeer: file } })).rejects.toMatchObject({ code: 'ERR_NOT_FIFO' });
    expect(() => openFifoNow(file, 'read')).toThrow(expect.objectContaining({ code: 'ERR_NOT_FIFO' }));
    const dir = mkdtempSync(join(scratch, 'taken-'));
    const first = await fifoTransport.open({ dir });
    await expect(fifoTransport.open({ dir })).rejects.toMatchObject({ code: 'EEXIST', syscall: 'mkfifo' });
    await first.close();
    expect(readdirSync(dir)).toEqual([]); // FIFOs removed; the caller's directory stays
    await expect(fifoTransport.open({ mode: 0o1777 })).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
  });

  it('another user cannot open the FIFOs: permission denied (EACCES)', async () => {
    const opened = await fifoTransport.open();
    const { toPeer, fromPeer } = opened.peer.params as { toPeer: string; fromPeer: string };
    const intruder = run([fixture('unrelated-peer.mjs'), toPeer, fromPeer], { uid: 65534 });
    const { code, err } = await intruder.done;
    expect(code).not.toBe(0);
    expect(err).toMatch(/EACCES: permission denied, open/);
    await opened.close();
  });
});
