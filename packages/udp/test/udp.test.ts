// The UDP transport against the shared kit (datagram variant), then the course notes' claims, observed.
import { setTimeout as sleep } from 'node:timers/promises';
import dgram from 'node:dgram';
import { describe, expect, it } from 'vitest';
import { makeTestMessage, spawnPeer, testMessageSize } from '@ipc-compare/core';
import { describeConformance } from '@ipc-compare/core/conformance';
import { socket, send, close } from '@ipc-compare/native';
import { UDP_MAX_DATAGRAM, udpTransport } from '../src/index.js';

describeConformance(udpTransport);

const roles = '@ipc-compare/core/roles';

describe('UDP keeps message boundaries', () => {
  it('100 sends of 1…100 bytes arrive as 100 datagrams of exactly those sizes (async and blocking)', async () => {
    const sizes = Array.from({ length: 100 }, (_, i) => i + 1);
    const opened = await udpTransport.open();
    const peer = await spawnPeer(opened, { module: roles, name: 'burst', args: { sizes } });
    await sleep(200); // all 100 datagrams are queued before the first read
    const got: number[] = [];
    for (let i = 0; i < 50; i++) got.push((await opened.channel.recv())!.byteLength);
    expect(got).toEqual(sizes.slice(0, 50));
    await opened.channel.close();
    await peer.result();
  });
});

describe('UDP is unreliable', () => {
  it('a flood faster than the receiver drains loses datagrams, and the loss is counted', async () => {
    const count = 20_000;
    const opened = await udpTransport.open();
    const peer = await spawnPeer(opened, { module: roles, name: 'sink', args: { count, maxMessage: UDP_MAX_DATAGRAM, idleMs: 500, pauseEvery: 200, pauseMs: 5 } });
    for (let i = 0; i < count; i++) await opened.channel.send(makeTestMessage(i, testMessageSize(i, UDP_MAX_DATAGRAM)));
    const r = (await peer.result({ timeoutMs: 60_000 })) as { received: number; lost: number; reordered: number; errors: string[] };
    console.log(`udp: ${count} datagrams (4 B … 64 KiB) sent back to back to a receiver that pauses: ${r.received} received, ${r.lost} lost, ${r.reordered} out of order`);
    expect(r.lost).toBeGreaterThan(0);
    expect(r.received + r.lost - r.reordered).toBe(count);
    expect(r.errors.filter((e) => /corrupted/.test(e))).toEqual([]);
    await opened.channel.close();
  });
});

describe('size limits', () => {
  it(`a datagram over ${UDP_MAX_DATAGRAM} bytes fails with a clear error before any syscall; the kernel says EMSGSIZE`, async () => {
    const opened = await udpTransport.open();
    await expect(opened.channel.send(Buffer.alloc(UDP_MAX_DATAGRAM + 1))).rejects.toMatchObject({
      code: 'ERR_MESSAGE_TOO_LARGE',
      maxSize: UDP_MAX_DATAGRAM,
    });
    await opened.channel.close();
    const fd = socket('inet', 'dgram');
    const { connect } = await import('@ipc-compare/native');
    connect(fd, { family: 'inet', address: '127.0.0.1', port: 9 });
    expect(() => send(fd, Buffer.alloc(UDP_MAX_DATAGRAM + 1))).toThrow(expect.objectContaining({ code: 'EMSGSIZE', syscall: 'send' }));
    expect(send(fd, Buffer.alloc(UDP_MAX_DATAGRAM))).toBe(UDP_MAX_DATAGRAM);
    close(fd);
  });

  it('a datagram received into a smaller buffer is truncated, and recvSync says so', async () => {
    const opened = await udpTransport.open();
    const peer = await spawnPeer(opened, { module: roles, name: 'burst', args: { sizes: [2000, 10] } });
    const ch = opened.channel;
    const small = Buffer.alloc(100);
    expect(ch.recvSync!(small)).toBe(100);
    expect(ch.lastTruncation).toEqual({ length: 2000, received: 100 });
    expect(ch.recvSync!(small)).toBe(10); // the rest of the 2000 is gone: next read is the next datagram
    expect(ch.lastTruncation).toBeNull();
    await opened.channel.close();
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
    await new Promise<void>((r) => stranger.send(Buffer.from('junk-after'), port, host, () => r()));
    await opened.channel.send(Buffer.from('hello'));
    expect(Buffer.from((await opened.channel.recv())!).toString()).toBe('hello');
    stranger.close();
    await opened.channel.close();
    peer.kill();
    await peer.exited;
  });

  it('bad input: not an IP address, a spec with a bad token, a peer that is not there', async () => {
    await expect(udpTransport.open({ host: 'localhost' })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_VALUE' });
    const opened = await udpTransport.open();
    await expect(udpTransport.attach({ ...opened.peer, params: { ...(opened.peer.params as object), token: 'x' } })).rejects.toMatchObject({ code: 'ERR_INVALID_PEER_SPEC' });
    await opened.channel.close();
    // Nobody at that port any more: ICMP port unreachable → ECONNREFUSED on the connected socket.
    await expect(udpTransport.attach(opened.peer)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});
