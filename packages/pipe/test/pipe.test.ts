// The pipe transport against the shared kit, then the course notes' claims about pipes, observed.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readlinkSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FdChannel, OwnedFd } from '@ipc-compare/core';
import { spawnPeer } from '@ipc-compare/core/testing';
import { describeConformance } from '@ipc-compare/core/conformance';
import { close, constants, getPipeSize, pipe2, write } from '@ipc-compare/native';
import { pipeTransport } from '../src/index.js';

describeConformance(pipeTransport);

const fixture = (name: string) => new URL(`./fixtures/${name}`, import.meta.url).pathname;

/** Runs a node program with extra fds; resolves with its exit code and stderr. */
function run(args: string[], opts: { stdio?: Array<'ignore' | 'pipe' | number>; uid?: number; gid?: number } = {}) {
  const child = spawn(process.execPath, args, {
    stdio: opts.stdio ?? ['ignore', 'ignore', 'pipe'],
    cwd: new URL('..', import.meta.url).pathname,
    ...(opts.uid === undefined ? {} : { uid: opts.uid, gid: opts.gid }),
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  return {
    child,
    done: new Promise<{ code: number | null; stderr: string }>((resolve) => child.once('close', (code) => resolve({ code, stderr }))),
  };
}

describe('a pipe is half duplex', () => {
  it('each end works one way only: writing to the read end is EBADF, in the child as in the parent', async () => {
    const [r, w] = pipe2();
    expect(() => write(r, Buffer.from('x'))).toThrow(expect.objectContaining({ code: 'EBADF', syscall: 'write' }));
    close(r);
    close(w);

    const opened = await pipeTransport.open();
    const peer = await spawnPeer(opened, { module: '@ipc-compare/pipe/roles', name: 'probe' });
    await opened.close(); // the channel was never taken: closing the rendezvous closes it
    const fds = (await peer.result()) as Array<{ type: string; mode: string; writeResult: string; readResult: string }>;
    expect(fds).toEqual([
      expect.objectContaining({ type: 'fifo', mode: 'read', writeResult: 'EBADF' }),
      expect.objectContaining({ type: 'fifo', mode: 'write', readResult: 'EBADF' }),
    ]);
  });
});

describe('a pipe needs a related process', () => {
  it('nothing is named in the file system: the peer gets fds by inheritance, and they are anonymous', async () => {
    const opened = await pipeTransport.open();
    expect(opened.peer.params).toEqual({ fds: { read: 0, write: 1 } });
    expect(opened.peer.inheritFds).toHaveLength(2);
    for (const fd of opened.peer.inheritFds!) expect(readlinkSync(`/proc/self/fd/${fd}`)).toMatch(/^pipe:\[\d+\]$/);
    const peer = await spawnPeer(opened, { module: '@ipc-compare/pipe/roles', name: 'probe' });
    await opened.close(); // the channel was never taken: closing the rendezvous closes it
    const fds = (await peer.result()) as Array<{ fd: number; target: string }>;
    expect(fds.map((f) => f.fd)).toEqual([4, 5]); // extra stdio slots after 0-2 and the IPC channel
    for (const f of fds) expect(f.target).toMatch(/^pipe:\[\d+\]$/);
  });

  it("the one back door, /proc/<pid>/fd/<n>, opens only for the owner's uid (not for nobody)", async () => {
    const [r, w] = pipe2();
    const reader = new FdChannel({ transport: 'pipe', readFd: OwnedFd.own(r, 'r'), writeFd: null });
    const opener = (text: string) =>
      `const fs = require('fs'); try { const fd = fs.openSync('/proc/${process.pid}/fd/${r}', fs.constants.O_WRONLY);` +
      ` fs.writeSync(fd, ${JSON.stringify(text)}); process.stderr.write('ok') } catch (e) { process.stderr.write(e.code) }`;
    const same = await run(['-e', opener('via /proc')]).done;
    expect(same.stderr).toBe('ok');
    expect(Buffer.from((await reader.recv())!).toString()).toBe('via /proc');
    const other = await run(['-e', opener('denied')], { uid: 65534, gid: 65534 }).done;
    expect(other.stderr).toBe('EACCES');
    await reader.close();
    close(w);
  });
});

describe('PIPE_BUF atomicity', () => {
  it(`writes of at most PIPE_BUF (${constants.PIPE_BUF}) bytes from 4 processes at once never interleave`, async () => {
    const [r, w] = pipe2();
    const reader = new FdChannel({ transport: 'pipe', readFd: OwnedFd.own(r, 'r'), writeFd: null });
    const size = constants.PIPE_BUF;
    const count = 400;
    const writers = [1, 2, 3, 4].map((id) => run([fixture('record-writer.mjs'), String(id), String(count), String(size)], { stdio: ['ignore', 'ignore', 'pipe', w] }));
    close(w); // only the writers hold the write end now: EOF when the last one exits
    const records = new Map<number, number>();
    let pending = Buffer.alloc(0);
    let mixed = 0;
    for (;;) {
      const chunk = await reader.recv();
      if (chunk === null) break;
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= size) {
        const rec = pending.subarray(0, size);
        const id = rec[0]!;
        if (rec.some((b) => b !== id)) mixed++;
        records.set(id, (records.get(id) ?? 0) + 1);
        pending = pending.subarray(size);
      }
    }
    for (const wr of writers) expect((await wr.done).code).toBe(0);
    expect(pending.length).toBe(0);
    expect(mixed).toBe(0);
    expect([...records.entries()].sort()).toEqual([1, 2, 3, 4].map((id) => [id, count]));
    await reader.close();
  });

  it('the kernel rule behind it: a small write is all or nothing, a large one may be split', () => {
    const [r, w] = pipe2(constants.O_CLOEXEC | constants.O_NONBLOCK);
    const capacity = getPipeSize(w);
    expect(write(w, Buffer.alloc(capacity - 100))).toBe(capacity - 100); // 100 bytes of room left
    // ≤ PIPE_BUF: not enough room for all of it, so none of it (EAGAIN, reported as -1).
    expect(write(w, Buffer.alloc(constants.PIPE_BUF))).toBe(-1);
    // > PIPE_BUF: the kernel takes what fits and returns a short count.
    expect(write(w, Buffer.alloc(constants.PIPE_BUF + 100))).toBe(100);
    close(r);
    close(w);
  });
});

describe('pipe capacity', () => {
  function fill(w: number): number {
    let total = 0;
    for (;;) {
      const n = write(w, Buffer.alloc(4096));
      if (n < 0) return total;
      total += n;
    }
  }

  it('a non-blocking writer fills exactly what F_GETPIPE_SZ says, by default and after F_SETPIPE_SZ', async () => {
    const opened = await pipeTransport.open();
    const fd = opened.peer.inheritFds![0]!; // the read end the peer would get; its write end is ours
    const [r, w] = pipe2(constants.O_CLOEXEC | constants.O_NONBLOCK);
    expect(fill(w)).toBe(getPipeSize(w));
    expect(getPipeSize(w)).toBe(65536);
    close(r);
    close(w);
    await opened.close();
    expect(() => getPipeSize(fd)).toThrow(expect.objectContaining({ code: 'EBADF' })); // close released the peer's ends too

    const big = await pipeTransport.open({ capacity: 1 << 20 });
    const [bigR, bigW] = pipe2(constants.O_CLOEXEC | constants.O_NONBLOCK);
    (await big.connect()).sendSync!(Buffer.alloc(0));
    expect(getPipeSize(big.peer.inheritFds![0]!)).toBe(1 << 20);
    close(bigR);
    close(bigW);
    await big.close();
  });

  it('the capacity option is applied and checked', async () => {
    await expect(pipeTransport.open({ capacity: 0 })).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    await expect(pipeTransport.open({ readSize: 1.5 })).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    await expect(pipeTransport.open({ capacity: '64k' } as never)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    await expect(pipeTransport.open(42 as never)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
  });
});

describe("node's own child_process 'pipe' is not a pipe", () => {
  it("stdio 'pipe' is a socketpair on Linux (fstat says socket); this package's pipe is a FIFO-type fd", async () => {
    const [r, w] = pipe2();
    const { done } = run([fixture('fd-types.mjs'), '0', '1', '3'], { stdio: ['pipe', 'pipe', 'pipe', r] });
    const { code, stderr } = await done;
    close(r);
    close(w);
    expect(code).toBe(0);
    expect(JSON.parse(stderr)).toEqual({ 0: 'socket', 1: 'socket', 3: 'fifo' });
  });
});

describe('bad input', () => {
  it('a spec whose fds are not pipe ends is refused with a clear error, and nothing leaks', async () => {
    const opened = await pipeTransport.open();
    const [r, w] = opened.peer.inheritFds!;
    // Read and write ends swapped.
    await expect(pipeTransport.attach({ ...opened.peer, params: { fds: { read: 1, write: 0 } } })).rejects.toMatchObject({
      code: 'ERR_INVALID_PEER_SPEC',
      message: expect.stringMatching(/expected the read end of a pipe/),
    });
    // Not a pipe at all.
    const devNull = openSync('/dev/null', 'w');
    await expect(pipeTransport.attach({ ...opened.peer, inheritFds: [r!, devNull] })).rejects.toMatchObject({
      code: 'ERR_INVALID_PEER_SPEC',
      message: expect.stringMatching(/fd \d+ is a character-device/),
    });
    closeSync(devNull);
    // Refused specs leave the fds alone: the real spec still attaches.
    expect(getPipeSize(w!)).toBeGreaterThan(0);
    const ok = await pipeTransport.attach(opened.peer);
    await ok.close();
    await opened.close();
  });
});

describe('the example', () => {
  it('ping-pong.js runs in plain Node: parent and child exchange words over two pipes', async () => {
    const example = new URL('../dist/examples/ping-pong.js', import.meta.url).pathname;
    const child = spawn(process.execPath, [example], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
    const [code] = (await new Promise((resolve) => child.once('exit', (...a) => resolve(a)))) as [number];
    expect(code).toBe(0);
    expect(out).toContain('parent: sent 5 bytes');
    expect(out).toContain('child:  5 bytes received: "hello"');
    expect(out).toContain('parent: 5 bytes received: "HELLO"');
    expect(out).toContain('parent: child exited with code 0');
  });
});
