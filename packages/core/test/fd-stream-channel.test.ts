import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { getPipeSize, isNonBlocking, pipe2 } from '@ipc-compare/native';
import { FdStreamChannel, OwnedFd, assertNoFdLeaks, snapshotFds } from '../src/index.js';

let before: Map<number, string>;
beforeEach(() => {
  before = snapshotFds();
});
afterEach(async () => {
  await assertNoFdLeaks(before);
});

function pair(opts: { readSize?: number; highWaterMark?: number } = {}) {
  const [r, w] = pipe2();
  return {
    r,
    w,
    writer: new FdStreamChannel({ transport: 't', readFd: null, writeFd: OwnedFd.own(w, 'w') }),
    reader: new FdStreamChannel({ ...opts, transport: 't', readFd: OwnedFd.own(r, 'r'), writeFd: null }),
  };
}

describe('FdStreamChannel', () => {
  it('sends more than the pipe holds without blocking the event loop, and nothing is lost', async () => {
    const { writer, reader, w } = pair();
    const big = Buffer.alloc(4 * getPipeSize(w));
    for (let i = 0; i < big.length; i++) big[i] = i % 251;
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const sent = writer.send(big);
    await Promise.resolve(); // sends go out from a microtask (gathered with any others of this turn)
    // The kernel took only one pipe's worth; the rest waits in the channel.
    expect(writer.pendingWriteBytes).toBe(big.length - getPipeSize(w));
    const parts: Uint8Array[] = [];
    let got = 0;
    while (got < big.length) {
      const c = (await reader.recv())!;
      parts.push(c);
      got += c.length;
    }
    await sent;
    clearInterval(timer);
    expect(Buffer.compare(Buffer.concat(parts), big)).toBe(0);
    expect(writer.pendingWriteBytes).toBe(0);
    await writer.close();
    expect(await reader.recv()).toBeNull();
    await reader.close();
  });

  it('gathers the sends of one turn into one writev', async () => {
    const { writer, reader } = pair();
    const before = writer.syscalls.writes;
    const sends = Array.from({ length: 100 }, (_, i) => writer.send(Buffer.from([i])));
    await Promise.all(sends);
    expect(writer.syscalls.writes - before).toBe(1);
    const got = Buffer.from((await reader.recv())!);
    expect([...got]).toEqual(Array.from({ length: 100 }, (_, i) => i));
    await writer.close();
    await reader.close();
  });

  it('batches queued sends into one writev once the kernel has room', async () => {
    const { writer, reader, w } = pair();
    const fill = Buffer.alloc(getPipeSize(w));
    await writer.send(fill); // pipe now full
    const small = Array.from({ length: 50 }, (_, i) => Buffer.from([i]));
    const writesBefore = writer.syscalls.writes;
    const sends = small.map((b) => writer.send(b));
    expect(writer.pendingWriteBytes).toBe(50);
    let got = 0;
    const all: number[] = [];
    while (got < fill.length + 50) {
      const c = (await reader.recv())!;
      got += c.length;
      if (got > fill.length) all.push(...c.subarray(Math.max(0, c.length - (got - fill.length))));
    }
    await Promise.all(sends);
    expect(all).toEqual(small.map((b) => b[0]));
    // One write(2) that said EAGAIN for the first, then a single writev(2) for all fifty.
    expect(writer.syscalls.writes - writesBefore).toBe(2);
    await writer.close();
    await reader.close();
  });

  it('sendv gathers chunks into one writev, async and blocking, and resumes after a partial write', async () => {
    const { writer, reader, w } = pair();
    const chunks = Array.from({ length: 100 }, (_, i) => Buffer.from([i, i]));
    let before = writer.syscalls.writes;
    await writer.sendv(chunks);
    expect(writer.syscalls.writes - before).toBe(1);
    before = writer.syscalls.writes;
    writer.sendvSync(chunks);
    expect(writer.syscalls.writes - before).toBe(1);
    const want = Buffer.concat([...chunks, ...chunks]);
    const into = Buffer.alloc(want.length);
    let got = 0;
    while (got < want.length) got += reader.recvSync(into.subarray(got))!;
    expect(Buffer.compare(into, want)).toBe(0);
    // Larger than the pipe: the kernel takes a part, the rest waits for the reader, order kept.
    const big = [Buffer.alloc(getPipeSize(w), 1), Buffer.alloc(1000, 2), Buffer.alloc(10, 3)];
    const sent = writer.sendv(big);
    const parts: Uint8Array[] = [];
    let n = 0;
    while (n < getPipeSize(w) + 1010) {
      const c = (await reader.recv())!;
      parts.push(c);
      n += c.length;
    }
    await sent;
    expect(Buffer.compare(Buffer.concat(parts), Buffer.concat(big))).toBe(0);
    await writer.close();
    await reader.close();
  });

  it('an aborted send that never reached the kernel is withdrawn whole', async () => {
    const { writer, reader, w } = pair();
    await writer.send(Buffer.alloc(getPipeSize(w), 9)); // full
    const ac = new AbortController();
    const withdrawn = writer.sendv([Buffer.from('never'), Buffer.from('sent')], { signal: ac.signal });
    const kept = writer.send(Buffer.from('kept'));
    ac.abort();
    await expect(withdrawn).rejects.toMatchObject({ code: 'ABORT_ERR' });
    let tail = Buffer.alloc(0);
    let n = 0;
    while (n < getPipeSize(w) + 4) {
      const c = Buffer.from((await reader.recv())!);
      n += c.length;
      tail = Buffer.concat([tail, c]).subarray(-4);
    }
    await kept;
    expect(tail.toString()).toBe('kept');
    await writer.close();
    await reader.close();
  });

  it('recv honours AbortSignal and close rejects what is pending', async () => {
    const { writer, reader } = pair();
    const ac = new AbortController();
    const p = reader.recv({ signal: ac.signal });
    ac.abort(new Error('enough'));
    await expect(p).rejects.toMatchObject({ name: 'AbortError', code: 'ABORT_ERR' });
    const pending = reader.recv();
    await reader.close();
    await expect(pending).rejects.toMatchObject({ code: 'ERR_CHANNEL_CLOSED' });
    await expect(reader.recv()).rejects.toMatchObject({ code: 'ERR_CHANNEL_CLOSED' });
    await reader.close(); // idempotent
    await writer.close();
  });

  it('switches between the async and the blocking path, keeping order and read-ahead data', async () => {
    const { writer, reader, r, w } = pair();
    await writer.send(Buffer.from('async-1'));
    expect(isNonBlocking(w)).toBe(true);
    expect(Buffer.from((await reader.recv())!).toString()).toBe('async-1');
    expect(isNonBlocking(r)).toBe(true);
    writer.sendSync(Buffer.from('sync-2'));
    expect(isNonBlocking(w)).toBe(false);
    const into = Buffer.alloc(64);
    const n = reader.recvSync(into)!;
    expect(isNonBlocking(r)).toBe(false);
    expect(into.subarray(0, n).toString()).toBe('sync-2');
    await writer.send(Buffer.from('async-3'));
    expect(Buffer.from((await reader.recv())!).toString()).toBe('async-3');
    await writer.close();
    expect(reader.recvSync(into)).toBeNull();
    await reader.close();
  });

  it('reports EPIPE as a coded error when the reader is gone', async () => {
    const { writer, reader } = pair();
    await reader.close();
    await expect(writer.send(Buffer.from('x'))).rejects.toMatchObject({ code: 'EPIPE', syscall: 'write', errno: -32 });
    // The failure is sticky: a broken stream never silently accepts more data.
    await expect(writer.send(Buffer.from('y'))).rejects.toMatchObject({ code: 'EPIPE' });
    expect(() => writer.sendSync(Buffer.from('z'))).toThrow(expect.objectContaining({ code: 'EPIPE' }));
    await writer.close();
  });

  it('a queued send learns of the vanished reader as EPIPE (libuv says POLLERR as "EBADF"; the syscall says why)', async () => {
    const { writer, reader, w } = pair();
    await writer.send(Buffer.alloc(getPipeSize(w))); // full
    const queued = writer.send(Buffer.from('waiting'));
    expect(writer.pendingWriteBytes).toBe(7);
    await reader.close();
    await expect(queued).rejects.toMatchObject({ code: 'EPIPE', syscall: 'write' });
    await writer.close();
  });

  it('rejects bad arguments with coded errors', async () => {
    const { writer, reader } = pair();
    await expect(writer.send('nope' as unknown as Uint8Array)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    expect(() => reader.recvSync(new Uint8Array(0))).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    await expect(reader.send(Buffer.from('x'))).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_VALUE' });
    expect(() => new FdStreamChannel({ transport: 't', readFd: null, writeFd: null, readSize: 0 })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }),
    );
    await writer.close();
    await reader.close();
  });
});

describe('OwnedFd', () => {
  it('refuses a second owner and a closed fd', () => {
    const [r, w] = pipe2();
    const a = OwnedFd.own(r, 'first');
    expect(() => OwnedFd.own(r, 'second')).toThrow(expect.objectContaining({ code: 'ERR_FD_IN_USE' }));
    expect(() => OwnedFd.adopt(r, 'second')).toThrow(expect.objectContaining({ code: 'ERR_FD_IN_USE' }));
    a.close();
    a.close(); // idempotent: never closes a reused number
    expect(() => a.fd).toThrow(expect.objectContaining({ code: 'ERR_CHANNEL_CLOSED' }));
    expect(() => OwnedFd.adopt(r, 'stale')).toThrow(expect.objectContaining({ code: 'EBADF', syscall: 'fstat' }));
    const t = OwnedFd.own(w, 'handoff', { transferable: true });
    const taken = OwnedFd.adopt(w, 'taker');
    t.close(); // released by the adoption: must not close the taker's fd
    expect(taken.closed).toBe(false);
    taken.close();
  });
});
