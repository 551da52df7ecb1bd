// The UDP transport against the shared kit (datagram variant), then the course notes' claims, observed.
import dgram from 'node:dgram';
import { describe, expect, it } from 'vitest';
import { describeConformance } from '@ipc-compare/core/conformance';
import { makeTestMessage, spawnPeer, testMessageSize } from '@ipc-compare/core/testing';
import { close, connect, send, socket } from '@ipc-compare/native';
import { UDP_MAX_DATAGRAM, udpTransport } from '../src/index.js';

describeConformance(udpTransport);

const roles = '@ipc-compare/core/roles';

/** How many of 0..count-1 the sink's bitmap says arrived. */
function arrived(seen: string, count: number): number {
  const bits = Buffer.from(seen, 'base64');
  let n = 0;
  for (let i = 0; i < count; i++) if (bits[i >> 3]! & (1 << (i & 7))) n++;
  return n;
}

describe('UDP keeps message boundaries', () => {
  it('100 sends of 1…100 bytes arrive as 100 datagrams of exactly those sizes (50 read async, 50 blocking)', async () => {
    const sizes = Array.from({ length: 100 }, (_, i) => i + 1);
    const opened = await udpTransport.open();
    const peer = await spawnPeer(opened, { module: roles, name: 'burst', args: { sizes } });
    const ch = await opened.connect();
    await peer.nextControl(); // all 100 datagrams are queued before the first read
    const got: number[] = [];
    for (let i = 0; i < 50; i++) got.push((await ch.recv())!.byteLength);
    const buf = Buffer.alloc(65536);
    for (let i = 0; i < 50; i++) got.push(ch.recvSync!(buf)!);
    expect(got).toEqual(sizes);
    await ch.close();
    await peer.result();
  });
});

describe('UDP is unreliable', () => {
  it('a flood faster than the receiver drains loses datagrams; the sender counts the loss from what the receiver saw', async () => {
    const count = 20_000;
    const opened = await udpTransport.open();
    const peer = await spawnPeer(opened, { module: roles, name: 'sink', args: { count, maxMessage: UDP_MAX_DATAGRAM, idleMs: 1000, pauseEvery: 200, pauseMs: 5 } });
    const ch = await opened.connect();
    for (let i = 0; i < count; i++) await ch.send(makeTestMessage(i, testMessageSize(i, UDP_MAX_DATAGRAM)));
    const r = (await peer.result({ timeoutMs: 60_000 })) as { received: number; duplicates: number; errors: string[]; seen: string };
    const got = arrived(r.seen, count);
    console.log(`udp: ${count} datagrams (4 B … 64 KiB) sent back to back to a receiver that pauses: ${got} arrived, ${count - got} lost`);
    expect(got).toBeLessThan(count); // some were dropped by the kernel
    expect(got).toBeGreaterThan(0);
    expect(r.received).toBe(got + r.duplicates); // everything that arrived is accounted for
    expect(r.duplicates).toBe(0);
    expect(r.errors.filter((e) => /corrupted|bytes, expected/.test(e))).toEqual([]);
    await ch.close();
  });
});

describe('size limits', () => {
  it(`a datagram over ${UDP_MAX_DATAGRAM} bytes fails with a clear error before any syscall; the kernel says EMSGSIZE`, async () => {
    const opened = await udpTransport.open();
    const mine = await udpTransport.attach(opened.peer); // both ends here: only the size check matters
    const theirs = await opened.connect();
    await expect(mine.send(Buffer.alloc(UDP_MAX_DATAGRAM + 1))).rejects.toMatchObject({ code: 'ERR_MESSAGE_TOO_LARGE', maxSize: UDP_MAX_DATAGRAM });
    await mine.close();
    await theirs.close();
    const fd = socket('inet', 'dgram');
    connect(fd, { family: 'inet', address: '127.0.0.1', port: 9 });
    expect(() => send(fd, Buffer.alloc(UDP_MAX_DATAGRAM + 1))).toThrow(expect.objectContaining({ code: 'EMSGSIZE', syscall: 'send' }));
    expect(send(fd, Buffer.alloc(UDP_MAX_DATAGRAM))).toBe(UDP_MAX_DATAGRAM);
    close(fd);
  });

  it('a datagram received into a smaller buffer is truncated, and recvSync says so', async () => {
    const opened = await udpTransport.open();
    const peer = await spawnPeer(opened, { module: roles, name: 'burst', args: { sizes: [2000, 10] } });
    const ch = await opened.connect();
    const small = Buffer.alloc(100);
    expect(ch.recvSync!(small)).toBe(100);
    expect(ch.lastTruncation).toEqual({ length: 2000, received: 100 });
    expect(ch.recvSync!(small)).toBe(10); // the rest of the 2000 is gone: next read is the next datagram
    expect(ch.lastTruncation).toBeNull();
    await ch.close();
    await peer.result();
  });
});

describe('who may talk', () => {
  it("binds 127.0.0.1; a stranger's datagram before the peer is ignored, and after it the kernel drops them", async () => {
    const opened = await udpTransport.open();
    const { host, port } = opened.peer.params as { host: string; port: number };
    expect(host).toBe('127.0.0.1');
    const stranger = dgram.createSocket('udp4');
    await new Promise<void>((r) => stranger.send(Buffer.from('junk-before'), port, host, () => r()));
    const peer = await spawnPeer(opened, { module: roles, name: 'echo' });
    const ch = await opened.connect();
    await new Promise<void>((r) => stranger.send(Buffer.from('junk-after'), port, host, () => r()));
    await ch.send(Buffer.from('hello'));
    expect(Buffer.from((await ch.recv())!).toString()).toBe('hello');
    stranger.close();
    await ch.close();
    peer.kill();
    await peer.exited;
  });

  it('a greeting with the wrong token is refused at once (ERR_PEER_REFUSED), and the real peer still gets in', async () => {
    const opened = await udpTransport.open();
    const wrong = { ...opened.peer, params: { ...(opened.peer.params as object), token: '0'.repeat(32) } };
    await expect(udpTransport.attach(wrong)).rejects.toMatchObject({ code: 'ERR_PEER_REFUSED', message: expect.stringMatching(/refused the greeting/) });
    const mine = await udpTransport.attach(opened.peer);
    const theirs = await opened.connect();
    await mine.send(Buffer.from('in'));
    expect(Buffer.from((await theirs.recv())!).toString()).toBe('in');
    await mine.close();
    await theirs.close();
  });

  it('bad input: not an IP address, a spec with a bad token, a remote host, a peer that is not there', async () => {
    await expect(udpTransport.open({ host: 'localhost' })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_VALUE' });
    const opened = await udpTransport.open();
    await expect(udpTransport.attach({ ...opened.peer, params: { ...(opened.peer.params as object), token: 'x' } })).rejects.toMatchObject({ code: 'ERR_INVALID_PEER_SPEC' });
    await expect(udpTransport.attach({ ...opened.peer, params: { ...(opened.peer.params as object), host: '198.51.100.7' } })).rejects.toMatchObject({ code: 'ERR_REMOTE_NOT_ALLOWED' });
    await opened.close();
    // Nobody at that port any more: ICMP port unreachable → ECONNREFUSED on the connected socket.
    await expect(udpTransport.attach(opened.peer)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});
