import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bind, constants, connect, getPipeSize, getsockname, isNonBlocking, pipe2, send, setsockopt, socket, socketpair } from '@ipc-compare/native';
import { FdChannel, OwnedFd } from '../src/index.js';
import { assertNoFdLeaks, snapshotFds } from '../src/testing/index.js';

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
    writer: new FdChannel({ transport: 't', readFd: null, writeFd: OwnedFd.own(w, 'w') }),
    reader: new FdChannel({ ...opts, transport: 't', readFd: OwnedFd.own(r, 'r'), writeFd: null }),
  };
}

describe('FdChannel', () => {
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
    await expect(reader.send(Buffer.from('x'))).rejects.toMatchObject({ code: 'ERR_INVALID_STATE' });
    // A pipe cannot carry fds: refused before any syscall, and the channel still works.
    await expect(writer.sendFds(Buffer.from('x'), [0])).rejects.toMatchObject({ code: 'ERR_INVALID_STATE', message: expect.stringMatching(/only AF_UNIX/) });
    await writer.send(Buffer.from('ok'));
    expect(Buffer.from((await reader.recv())!).toString()).toBe('ok');
    expect(() => new FdChannel({ transport: 't', readFd: null, writeFd: null, readSize: 0 })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => new FdChannel({ transport: 't', readFd: null, writeFd: null, readSize: NaN })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    await writer.close();
    await reader.close();
  });
});

/** A pipe pair whose writer's pipe is full: the next send stays queued in the channel. */
async function fullPipe() {
  const p = pair();
  await p.writer.send(Buffer.alloc(getPipeSize(p.w), 7));
  return p;
}

/** Reads `n` bytes (any split) from a channel. */
async function drain(reader: FdChannel, n: number): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  let got = 0;
  while (got < n) {
    const c = (await reader.recv())!;
    parts.push(c);
    got += c.length;
  }
  return Buffer.concat(parts);
}

describe('one place settles everything (close, abort, errors)', () => {
  it('close() while end() waits for queued sends: the sends and end() reject with ERR_CHANNEL_CLOSED', async () => {
    const { writer, reader } = await fullPipe();
    const queued = writer.send(Buffer.from('queued'));
    const ending = writer.end();
    await writer.close();
    await expect(queued).rejects.toMatchObject({ code: 'ERR_CHANNEL_CLOSED' });
    await expect(ending).rejects.toMatchObject({ code: 'ERR_CHANNEL_CLOSED' });
    await reader.close();
  });

  it('end() goes through once the only queued send is aborted', async () => {
    const { writer, reader, w } = await fullPipe();
    const size = getPipeSize(w);
    const ac = new AbortController();
    const queued = writer.send(Buffer.from('withdrawn'), { signal: ac.signal });
    await new Promise((r) => setImmediate(r)); // its write was tried (EAGAIN): it waits for writability
    const ending = writer.end();
    ac.abort();
    await expect(queued).rejects.toMatchObject({ code: 'ABORT_ERR' });
    await ending;
    const got = await drain(reader, size);
    expect(got.length).toBe(size);
    expect(await reader.recv()).toBeNull(); // the end, and nothing of the withdrawn send
    await writer.close();
    await reader.close();
  });

  it('end() fails with the write error when its queued sends do (the reader vanished)', async () => {
    const { writer, reader } = await fullPipe();
    const queued = writer.send(Buffer.from('x'));
    const ending = writer.end();
    await reader.close();
    await expect(queued).rejects.toMatchObject({ code: 'EPIPE' });
    await expect(ending).rejects.toMatchObject({ code: 'EPIPE' });
    await writer.close();
  });

  it('sends queued by the async path go out first, in order, when the blocking path takes over', async () => {
    const { writer, reader, w } = await fullPipe();
    const size = getPipeSize(w);
    const queued = writer.send(Buffer.from('first'));
    const room = Buffer.alloc(size);
    let n = 0;
    while (n < size) n += reader.recvSync(room.subarray(n))!; // this process reads: the pipe has room now
    writer.sendSync(Buffer.from('second')); // the queued async send goes first, blocking, then this one
    await queued;
    const into = Buffer.alloc(64);
    let got = 0;
    while (got < 11) got += reader.recvSync(into.subarray(got))!;
    expect(into.subarray(0, got).toString()).toBe('firstsecond');
    await writer.close();
    await reader.close();
  });

  it('after end() the write side is closed to the blocking path too, while end() still flushes', async () => {
    const { writer, reader, w } = await fullPipe();
    const size = getPipeSize(w);
    const queued = writer.send(Buffer.from('queued')); // the pipe is full: it waits in the channel
    const ending = writer.end();
    expect(() => writer.sendSync(Buffer.from('x'))).toThrow(expect.objectContaining({ code: 'ERR_CHANNEL_CLOSED' }));
    await drain(reader, size + 6);
    await queued;
    await ending;
    expect(await reader.recv()).toBeNull();
    await writer.close();
    await reader.close();
  });
});

describe('datagram kinds', () => {
  function dgramPair(maxMessage = 212_960) {
    const [a, b] = socketpair('dgram');
    return {
      a: new FdChannel({ transport: 'd', readFd: OwnedFd.own(a, 'a'), writeFd: null, kind: 'datagram', maxMessage }),
      bFd: b,
      b: new FdChannel({ transport: 'd', readFd: null, writeFd: OwnedFd.own(b, 'b'), kind: 'datagram', maxMessage }),
    };
  }

  it('an abort withdraws a datagram send still queued (the receiver is full)', async () => {
    const { a, b } = dgramPair();
    let sent = 0;
    let pending: Promise<void> | null = null;
    const ac = new AbortController();
    while (!pending) {
      let done = false;
      const p = b.send(Buffer.alloc(1024, 1), { signal: ac.signal });
      p.then(() => (done = true), () => {});
      await new Promise((r) => setImmediate(r));
      if (done) sent++;
      else pending = p;
    }
    ac.abort();
    await expect(pending).rejects.toMatchObject({ code: 'ABORT_ERR' });
    for (let i = 0; i < sent; i++) expect((await a.recv())!.byteLength).toBe(1024);
    await b.close();
    await a.close();
  });

  it('a datagram larger than the read buffer fails its recv() with ERR_MESSAGE_TRUNCATED, and the next one arrives', async () => {
    const { a, b, bFd } = dgramPair();
    setsockopt(bFd, constants.SOL_SOCKET, constants.SO_SNDBUF, 1 << 20); // a raw sender can send more than maxMessage
    send(bFd, Buffer.alloc(300_000, 5)); // past the channel's own size check, straight to the kernel
    await b.send(Buffer.from('after'));
    await expect(a.recv()).rejects.toMatchObject({ code: 'ERR_MESSAGE_TRUNCATED', length: 300_000, received: 212_960 });
    expect(Buffer.from((await a.recv())!).toString()).toBe('after');
    await b.close();
    await a.close();
  });

  it('recvSync reports truncation; recvFdsSync refuses an empty buffer and loses nothing', async () => {
    const [x, y] = socketpair('dgram');
    const rx = new FdChannel({ transport: 'd', readFd: OwnedFd.own(x, 'x'), writeFd: null, kind: 'datagram', maxMessage: 1000, receiveFds: 4 });
    const tx = new FdChannel({ transport: 'd', readFd: null, writeFd: OwnedFd.own(y, 'y'), kind: 'datagram', maxMessage: 1000 });
    tx.sendSync(Buffer.from('0123456789'));
    expect(() => rx.recvFdsSync(new Uint8Array(0))).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    const small = Buffer.alloc(4);
    expect(rx.recvSync(small)).toBe(4);
    expect(rx.lastTruncation).toEqual({ length: 10, received: 4 });
    tx.sendSync(Buffer.from('ok'));
    const r = rx.recvFdsSync(Buffer.alloc(16))!;
    expect(r.bytes).toBe(2);
    expect(rx.lastTruncation).toBeNull();
    await tx.close();
    await rx.close();
  });

  it('a tight send loop to a UDP receiver that never reads still lets a 0 ms timer run', async () => {
    const rfd = socket('inet', 'dgram', true);
    bind(rfd, { family: 'inet', address: '127.0.0.1', port: 0 });
    const sfd = socket('inet', 'dgram', true);
    connect(sfd, getsockname(rfd));
    const rx = OwnedFd.own(rfd, 'receiver');
    const tx = new FdChannel({ transport: 'udp', readFd: null, writeFd: OwnedFd.own(sfd, 's'), kind: 'datagram', maxMessage: 65507 });
    // The kernel takes every datagram (and drops what does not fit): no send ever waits for the kernel.
    let fired = false;
    const timer = setTimeout(() => (fired = true), 0);
    let sent = 0;
    while (!fired && sent < 200_000) {
      await tx.send(Buffer.alloc(64));
      sent++;
    }
    clearTimeout(timer);
    expect(fired).toBe(true);
    await tx.close();
    rx.close();
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
