// The TCP transport against the shared kit, then the course notes' claims about TCP, observed.
import { setTimeout as sleep } from 'node:timers/promises';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { spawnPeer, type Channel } from '@ipc-compare/core';
import { describeConformance } from '@ipc-compare/core/conformance';
import { constants, fstat, getsockopt } from '@ipc-compare/native';
import { tcpTransport } from '../src/index.js';
import type { HandOverChannel } from '@ipc-compare/core';

describeConformance(tcpTransport);

const roles = '@ipc-compare/core/roles';

/** Reads until `total` bytes have arrived; returns the size of every recv(). */
async function readSizes(ch: Channel, total: number): Promise<number[]> {
  const sizes: number[] = [];
  let got = 0;
  while (got < total) {
    const c = await ch.recv();
    if (c === null) throw new Error(`end of stream after ${got} of ${total} bytes`);
    sizes.push(c.byteLength);
    got += c.byteLength;
  }
  return sizes;
}

describe('TCP is full duplex', () => {
  it('both sides send 8 MiB at the same time over the one socket, and both receive all of it', async () => {
    const opened = await tcpTransport.open();
    const bytes = 8 << 20;
    const peer = await spawnPeer(opened, { module: roles, name: 'duplex', args: { bytes } });
    const ch = opened.channel;
    const chunk = Buffer.alloc(64 * 1024, 0x41);
    const receiving = readSizes(ch, bytes);
    // Far more than the socket buffers hold: if the two directions could not move at once, both sides
    // would be stuck in send() with full buffers.
    for (let sent = 0; sent < bytes; sent += chunk.length) await ch.send(chunk);
    expect((await receiving).reduce((a, b) => a + b, 0)).toBe(bytes);
    expect(await peer.result()).toMatchObject({ sent: bytes, received: bytes });
    await ch.close();
  });

  it('one fd carries both directions: the connected fd is a socket', async () => {
    const opened = await tcpTransport.open();
    const mine = (await tcpTransport.attach(opened.peer)) as HandOverChannel; // connect to ourselves
    const [fd] = mine.fds();
    expect(fstat(fd!).type).toBe('socket');
    expect(getsockopt(fd!, constants.IPPROTO_TCP, constants.TCP_NODELAY)).toBe(1);
    await mine.send(Buffer.from('ping'));
    expect(Buffer.from((await opened.channel.recv())!).toString()).toBe('ping');
    await opened.channel.send(Buffer.from('pong'));
    expect(Buffer.from((await mine.recv())!).toString()).toBe('pong');
    await mine.close();
    await opened.channel.close();
  });
});

describe('TCP is a byte stream: message boundaries are not preserved', () => {
  it('100 small sends of distinct sizes arrive coalesced into fewer reads', async () => {
    const sizes = Array.from({ length: 100 }, (_, i) => i + 1);
    const total = sizes.reduce((a, b) => a + b, 0);
    const opened = await tcpTransport.open();
    const peer = await spawnPeer(opened, { module: roles, name: 'burst', args: { sizes } });
    await sleep(300); // let all 100 sends land in our receive buffer
    const reads = await readSizes(opened.channel, total);
    console.log(`tcp: 100 sends of 1..100 bytes arrived as ${reads.length} read(s): ${reads.slice(0, 8).join(', ')}${reads.length > 8 ? ', …' : ''}`);
    expect(reads.length).toBeLessThan(100);
    await opened.channel.close();
    await peer.result();
  });

  it('one large send arrives split into several reads', async () => {
    const opened = await tcpTransport.open();
    const peer = await spawnPeer(opened, { module: roles, name: 'burst', args: { sizes: [4 << 20] } });
    const reads = await readSizes(opened.channel, 4 << 20);
    console.log(`tcp: one 4 MiB send arrived as ${reads.length} reads (largest ${Math.max(...reads)} bytes)`);
    expect(reads.length).toBeGreaterThan(1);
    await opened.channel.close();
    await peer.result();
  });
});

describe('the blocking path and node:net', () => {
  it('blocking first, async later works; after node:net owns the socket, blocking calls are refused', async () => {
    const opened = await tcpTransport.open();
    const peer = await spawnPeer(opened, { module: roles, name: 'echo' });
    const ch = opened.channel;
    ch.sendSync!(Buffer.from('sync'));
    const buf = Buffer.alloc(16);
    expect(ch.recvSync!(buf)).toBe(4);
    await ch.send(Buffer.from('async'));
    expect(Buffer.from((await ch.recv())!).toString()).toBe('async');
    expect(() => ch.sendSync!(Buffer.from('x'))).toThrow(expect.objectContaining({ code: 'ERR_CHANNEL_MODE' }));
    await ch.close();
    await peer.result();
  });
});

describe('who may connect', () => {
  it('listens on 127.0.0.1 by default; a connection without the token is dropped and the real peer still gets in', async () => {
    const opened = await tcpTransport.open();
    const { host, port } = opened.peer.params as { host: string; port: number };
    expect(host).toBe('127.0.0.1');
    const intruder = net.connect(port, host);
    intruder.write(Buffer.alloc(16, 0xee)); // a wrong token
    const dropped = new Promise<string>((resolve) => {
      intruder.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
      intruder.on('end', () => resolve('eof'));
      intruder.resume();
    });
    expect(['eof', 'ECONNRESET']).toContain(await dropped);
    intruder.destroy();
    const peer = await spawnPeer(opened, { module: roles, name: 'echo' });
    await opened.channel.send(Buffer.from('hi'));
    expect(Buffer.from((await opened.channel.recv())!).toString()).toBe('hi');
    await opened.channel.close();
    await peer.result();
  });
});

describe('bad input', () => {
  it('connection refused, port in use, not an IP address: coded errors', async () => {
    const opened = await tcpTransport.open();
    const spec = opened.peer;
    const { port } = spec.params as { port: number };
    await expect(tcpTransport.open({ port })).rejects.toMatchObject({ code: 'EADDRINUSE', syscall: 'bind' });
    await opened.channel.close(); // the listener is gone now
    await expect(tcpTransport.attach(spec)).rejects.toMatchObject({ code: 'ECONNREFUSED', syscall: 'connect' });
    await expect(tcpTransport.open({ host: 'localhost' })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_VALUE' });
    await expect(tcpTransport.open({ port: 70000 })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_VALUE' });
    await expect(tcpTransport.attach({ ...spec, params: { ...(spec.params as object), token: 'short' } })).rejects.toMatchObject({ code: 'ERR_INVALID_PEER_SPEC' });
  });
});
