// The TCP transport against the shared kit, then the course notes' claims about TCP, observed.
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { OwnedFd, type Channel, type FdChannel } from '@ipc-compare/core';
import { describeConformance } from '@ipc-compare/core/conformance';
import { spawnPeer } from '@ipc-compare/core/testing';
import { connect, constants, fstat, getsockopt, poll, socket } from '@ipc-compare/native';
import { tcpTransport } from '../src/index.js';

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
    const ch = await opened.connect();
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
    const mine = (await tcpTransport.attach(opened.peer)) as FdChannel; // connect to ourselves
    const theirs = await opened.connect();
    const [fd] = mine.fds();
    expect(fstat(fd!).type).toBe('socket');
    expect(getsockopt(fd!, constants.IPPROTO_TCP, constants.TCP_NODELAY)).toBe(1);
    await mine.send(Buffer.from('ping'));
    expect(Buffer.from((await theirs.recv())!).toString()).toBe('ping');
    await theirs.send(Buffer.from('pong'));
    expect(Buffer.from((await mine.recv())!).toString()).toBe('pong');
    await mine.close();
    await theirs.close();
  });
});

describe('TCP is a byte stream: message boundaries are not preserved', () => {
  it('100 small sends of distinct sizes arrive coalesced into fewer reads', async () => {
    const sizes = Array.from({ length: 100 }, (_, i) => i + 1);
    const total = sizes.reduce((a, b) => a + b, 0);
    const opened = await tcpTransport.open();
    const peer = await spawnPeer(opened, { module: roles, name: 'burst', args: { sizes } });
    const ch = await opened.connect();
    await peer.nextControl(); // all 100 sends are in the kernel: one at a time would take 100 reads
    const buf = Buffer.alloc(total);
    const reads: number[] = [];
    for (let got = 0; got < total; ) {
      const n = ch.recvSync!(buf.subarray(got))!;
      reads.push(n);
      got += n;
    }
    console.log(`tcp: 100 sends of 1..100 bytes arrived as ${reads.length} read(s): ${reads.slice(0, 8).join(', ')}${reads.length > 8 ? ', …' : ''}`);
    expect(reads.length).toBeLessThan(100);
    await ch.close();
    await peer.result();
  });

  it('one send larger than the receive window arrives split, even when each read could take all of it', async () => {
    // 16 MiB is more than TCP will ever hold for a reader (net.ipv4.tcp_rmem max is 6 MiB here), so
    // the split comes from TCP, not from the size of our reads: each read offers a 32 MiB buffer.
    const size = 16 << 20;
    const opened = await tcpTransport.open();
    const peer = await spawnPeer(opened, { module: roles, name: 'burst', args: { sizes: [size] } });
    const ch = await opened.connect();
    const buf = Buffer.alloc(2 * size);
    const reads: number[] = [];
    for (let got = 0; got < size; ) {
      const n = ch.recvSync!(buf.subarray(got))!;
      reads.push(n);
      got += n;
    }
    console.log(`tcp: one 16 MiB send arrived as ${reads.length} reads (largest ${Math.max(...reads)} bytes)`);
    expect(reads.length).toBeGreaterThan(1);
    expect(Math.max(...reads)).toBeLessThan(size);
    await ch.close();
    await peer.result();
  });
});

describe('the blocking and async paths', () => {
  it('alternate on one connection, in order, in both directions', async () => {
    const opened = await tcpTransport.open();
    const peer = await spawnPeer(opened, { module: roles, name: 'echo' });
    const ch = await opened.connect();
    const buf = Buffer.alloc(16);
    ch.sendSync!(Buffer.from('sync'));
    expect(ch.recvSync!(buf)).toBe(4);
    await ch.send(Buffer.from('async'));
    expect(Buffer.from((await ch.recv())!).toString()).toBe('async');
    ch.sendSync!(Buffer.from('again'));
    expect(buf.subarray(0, ch.recvSync!(buf)!).toString()).toBe('again');
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
    const ch = await opened.connect();
    await ch.send(Buffer.from('hi'));
    expect(Buffer.from((await ch.recv())!).toString()).toBe('hi');
    await ch.close();
    await peer.result();
  });

  it('two connections that never send their token do not hold up the real peer', async () => {
    // Strangers get a whole minute each to present a token; the peer must not wait for that.
    const opened = await tcpTransport.open({ handshakeTimeoutMs: 60_000 });
    const { host, port } = opened.peer.params as { host: string; port: number };
    const strangers = [0, 1].map(() => {
      const fd = OwnedFd.own(socket('inet', 'stream', true), 'silent stranger');
      connect(fd.fd, { family: 'inet', address: host, port });
      return fd;
    });
    // They are in the accept queue before the peer process even starts, so they are accepted first.
    const peer = await spawnPeer(opened, { module: roles, name: 'echo' });
    const ch = await Promise.race([
      opened.connect(),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('the peer was held up by the strangers (hang guard)')), 20_000)),
    ]);
    await ch.send(Buffer.from('through'));
    expect(Buffer.from((await ch.recv())!).toString()).toBe('through');
    // Once the peer is in, the strangers are turned away.
    for (const s of strangers) expect(poll(s.fd, constants.POLLIN | constants.POLLRDHUP, 20_000) & constants.POLLRDHUP).toBeTruthy();
    for (const s of strangers) s.close();
    await ch.close();
    await peer.result();
  });

  it('a spec naming a host that is not a loopback address is refused unless allowRemote is given', async () => {
    const opened = await tcpTransport.open();
    const remote = { ...opened.peer, params: { ...(opened.peer.params as object), host: '192.0.2.1' } };
    await expect(tcpTransport.attach(remote)).rejects.toMatchObject({ code: 'ERR_REMOTE_NOT_ALLOWED', host: '192.0.2.1' });
    await opened.close();
  });
});

describe('bad input', () => {
  it('connection refused, port in use, not an IP address: coded errors', async () => {
    const opened = await tcpTransport.open();
    const spec = opened.peer;
    const { port } = spec.params as { port: number };
    await expect(tcpTransport.open({ port })).rejects.toMatchObject({ code: 'EADDRINUSE', syscall: 'bind' });
    await opened.close(); // the listener is gone now
    // As node:net's errors do, it says where: address and port, in the message too.
    await expect(tcpTransport.attach(spec)).rejects.toMatchObject({ code: 'ECONNREFUSED', syscall: 'connect', address: '127.0.0.1', port, message: expect.stringMatching(new RegExp(`connect 127\\.0\\.0\\.1:${port}$`)) });
    await expect(tcpTransport.open({ host: 'localhost' })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_VALUE' });
    await expect(tcpTransport.open({ port: 70000 })).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    await expect(tcpTransport.open({ noDelay: 'yes' } as never)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    await expect(tcpTransport.attach({ ...spec, params: { ...(spec.params as object), token: 'short' } })).rejects.toMatchObject({ code: 'ERR_INVALID_PEER_SPEC' });
  });
});
