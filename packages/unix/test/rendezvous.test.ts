// Who gets in at a named listener: strangers that connect and say nothing cannot hold up the real peer,
// and node:net (Node 20) meets this package's sockets on abstract names, both ways.
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { OwnedFd } from '@ipc-compare/core';
import { spawnPeer } from '@ipc-compare/core/testing';
import { connect, constants, poll, socket } from '@ipc-compare/native';
import { unixSeqpacketTransport, unixStreamTransport } from '../src/index.js';
import { hangGuard } from './helpers.js';

const roles = '@ipc-compare/core/roles';
const ACK = 'ipc-compare:ack\n';
const TOKEN_BYTES = 16;

describe.each([
  ['stream', unixStreamTransport],
  ['seqpacket', unixSeqpacketTransport],
] as const)('unix-%s on an abstract name', (kind, t) => {
  it('two connections that never send their token do not hold up the real peer', async () => {
    // Strangers get a whole minute each to present a token; the peer must not wait for that.
    const opened = await t.open({ abstract: true, handshakeTimeoutMs: 60_000 });
    const { path } = opened.peer.params as { path: string };
    const strangers = [0, 1].map(() => {
      const fd = OwnedFd.own(socket('unix', kind, true), 'silent stranger');
      connect(fd.fd, { family: 'unix', path });
      return fd;
    });
    try {
      // They are in the accept queue before the peer process even starts, so they are accepted first.
      const peer = await spawnPeer(opened, { module: roles, name: 'echo' });
      const ch = await hangGuard(opened.connect(), 20_000, 'the peer getting past the strangers');
      await ch.send(Buffer.from('through'));
      expect(Buffer.from((await ch.recv())!).toString()).toBe('through');
      // Once the peer is in, the strangers are turned away (the hang guard is poll's timeout).
      for (const s of strangers) expect(poll(s.fd, constants.POLLIN | constants.POLLRDHUP, 20_000) & constants.POLLRDHUP).toBeTruthy();
      await ch.close();
      await peer.result();
    } finally {
      for (const s of strangers) s.close();
      await opened.close();
    }
  });
});

/** Reads exactly `n` bytes from a node:net socket (then leaves the rest to its other listeners). */
function readBytes(sock: net.Socket, n: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let got = Buffer.alloc(0);
    const onData = (d: Buffer) => {
      got = Buffer.concat([got, d]);
      if (got.length < n) return;
      sock.off('data', onData).off('error', reject).pause();
      if (got.length > n) sock.unshift(got.subarray(n));
      resolve(got.subarray(0, n));
    };
    sock.on('data', onData).once('error', reject).resume();
  });
}

describe('node:net and abstract names (Node 20 pads them to the whole sun_path; the addon binds the same way)', () => {
  it("a node:net client reaches unix-stream's abstract listener: token, ack, then data both ways", async () => {
    const opened = await unixStreamTransport.open({ abstract: true });
    const { path, token } = opened.peer.params as { path: string; token: string };
    const client = net.connect(path);
    try {
      await once(client, 'connect');
      client.write(Buffer.from(token, 'hex'));
      expect((await readBytes(client, ACK.length)).toString()).toBe(ACK);
      const ch = await hangGuard(opened.connect(), 20_000, 'connect() after the ack');
      client.write('from node:net');
      let text = '';
      while (text.length < 'from node:net'.length) text += Buffer.from((await ch.recv())!).toString();
      expect(text).toBe('from node:net');
      await ch.send(Buffer.from('to node:net'));
      expect((await readBytes(client, 'to node:net'.length)).toString()).toBe('to node:net');
      client.end();
      expect(await ch.recv()).toBeNull();
      await ch.close();
    } finally {
      client.destroy();
      await opened.close();
    }
  });

  it('unix-stream attaches to a node:net abstract server that speaks the handshake', async () => {
    const name = `\0ipc-compare-netserver-${randomBytes(8).toString('hex')}`;
    const token = randomBytes(TOKEN_BYTES);
    const server = net.createServer(async (sock) => {
      const got = await readBytes(sock, TOKEN_BYTES);
      if (!got.equals(token)) return void sock.destroy();
      sock.write(ACK);
      sock.on('data', (d) => sock.write(d)).on('end', () => sock.end()).resume(); // an echo from here on
    });
    await new Promise<void>((resolve) => server.listen(name, resolve));
    try {
      const ch = await unixStreamTransport.attach({ transport: 'unix-stream', params: { path: name, token: token.toString('hex') } });
      await ch.send(Buffer.from('ping over a padded name'));
      let text = '';
      while (text.length < 'ping over a padded name'.length) text += Buffer.from((await ch.recv())!).toString();
      expect(text).toBe('ping over a padded name');
      await ch.end!();
      expect(await ch.recv()).toBeNull();
      await ch.close();
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
