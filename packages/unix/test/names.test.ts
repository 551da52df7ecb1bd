// Socket files: a bind removes a stale socket file of its name (as after a crash), never a live
// socket of another program and never a file that is not a socket — also not while cleaning up after
// a failed open or attach, and not when the rendezvous closes.
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnPeer } from '@ipc-compare/core/testing';
import { bind, close, recv, sendto, socket, type SocketType } from '@ipc-compare/native';
import { unixDgramTransport, unixSeqpacketTransport, unixStreamTransport } from '../src/index.js';

const roles = '@ipc-compare/core/roles';
const scratch = mkdtempSync(join(tmpdir(), 'unix-names-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const freshDir = () => mkdtempSync(join(scratch, 'given-'));

/** Another program's datagram socket, bound to `path`: it still works if a datagram sent by name arrives. */
function liveDgram(path: string) {
  const fd = socket('unix', 'dgram', true);
  bind(fd, { family: 'unix', path });
  return {
    works(): boolean {
      const tx = socket('unix', 'dgram');
      try {
        sendto(tx, Buffer.from('still mine'), { family: 'unix', path });
      } finally {
        close(tx);
      }
      const buf = Buffer.alloc(32);
      const n = recv(fd, buf); // the datagram is in its queue as soon as sendto returns
      return n > 0 && buf.subarray(0, n).toString() === 'still mine';
    },
    close: () => close(fd),
  };
}

/** Another program's node:net listener on `path`: it still works if a client gets its greeting. */
async function liveNetServer(path: string) {
  // Clients that hang up at once (the transport's liveness probe) make the greeting fail with EPIPE.
  const server = net.createServer((s) => s.on('error', () => {}).end('still here'));
  await new Promise<void>((resolve) => server.listen(path, resolve));
  return {
    works: () =>
      new Promise<string>((resolve, reject) => {
        let got = '';
        net.connect(path).on('data', (d) => (got += d)).on('end', () => resolve(got)).on('error', reject);
      }),
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

/** A stale socket file: bound, then its socket closed (the file stays, as after a crash). */
function staleSocket(path: string, type: SocketType): void {
  const fd = socket('unix', type);
  bind(fd, { family: 'unix', path });
  close(fd);
}

describe('open({ dir }): the name is taken', () => {
  it.each([
    ['unix-stream', unixStreamTransport],
    ['unix-seqpacket', unixSeqpacketTransport],
  ] as const)('%s: a live node:net listener named "listen" → EADDRINUSE, and the listener still works', async (_id, t) => {
    const dir = freshDir();
    const path = join(dir, 'listen');
    const other = await liveNetServer(path);
    try {
      await expect(t.open({ dir })).rejects.toMatchObject({ code: 'EADDRINUSE', syscall: 'bind', path });
      expect(await other.works()).toBe('still here');
    } finally {
      await other.close();
    }
  });

  it('unix-dgram: a live datagram socket named "a" → EADDRINUSE, and it still receives', async () => {
    const dir = freshDir();
    const other = liveDgram(join(dir, 'a'));
    try {
      await expect(unixDgramTransport.open({ dir })).rejects.toMatchObject({ code: 'EADDRINUSE', syscall: 'bind', path: join(dir, 'a') });
      expect(other.works()).toBe(true);
    } finally {
      other.close();
    }
  });

  it.each([
    ['unix-stream', unixStreamTransport, 'listen'],
    ['unix-seqpacket', unixSeqpacketTransport, 'listen'],
    ['unix-dgram', unixDgramTransport, 'a'],
  ] as const)('%s: a regular file of that name → EADDRINUSE, and the file is untouched', async (_id, t, role) => {
    const dir = freshDir();
    const path = join(dir, role);
    writeFileSync(path, 'not a socket');
    await expect(t.open({ dir })).rejects.toMatchObject({ code: 'EADDRINUSE', path });
    expect(readFileSync(path, 'utf8')).toBe('not a socket');
  });

  it.each([
    ['unix-stream', unixStreamTransport, 'stream', 'listen'],
    ['unix-seqpacket', unixSeqpacketTransport, 'seqpacket', 'listen'],
    ['unix-dgram', unixDgramTransport, 'dgram', 'a'],
  ] as const)('%s: a stale socket file of that name is removed and bound; the peer gets in; nothing is left on close', async (_id, t, type, role) => {
    const dir = freshDir();
    staleSocket(join(dir, role), type);
    const opened = await t.open({ dir });
    const peer = await spawnPeer(opened, { module: roles, name: 'echo' });
    const ch = await opened.connect();
    await ch.send(Buffer.from('over the stale name'));
    expect(Buffer.from((await ch.recv())!).toString()).toBe('over the stale name');
    await ch.close();
    await peer[Symbol.asyncDispose]();
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe("unix-dgram attach: the spec's peerPath is taken", () => {
  it("another program's live socket at peerPath: the attach fails (EADDRINUSE), the socket keeps its name and works — also after the rendezvous closes", async () => {
    const dir = freshDir();
    const opened = await unixDgramTransport.open({ dir });
    const { peerPath } = opened.peer.params as { peerPath: string };
    const other = liveDgram(peerPath);
    try {
      await expect(unixDgramTransport.attach(opened.peer)).rejects.toMatchObject({ code: 'EADDRINUSE', syscall: 'bind', path: peerPath });
      expect(other.works()).toBe(true);
      await opened.close(); // removes this side's names, not the other program's
      expect(existsSync(peerPath)).toBe(true);
      expect(other.works()).toBe(true);
    } finally {
      other.close();
    }
  });

  it('a spec whose peerPath names a live socket elsewhere (not in the rendezvous directory) leaves it alone', async () => {
    const opened = await unixDgramTransport.open({ abstract: true });
    const path = join(freshDir(), 'someone-else.sock');
    const other = liveDgram(path);
    try {
      const spec = { ...opened.peer, params: { ...(opened.peer.params as object), peerPath: path } };
      await expect(unixDgramTransport.attach(spec)).rejects.toMatchObject({ code: 'EADDRINUSE', path });
      expect(other.works()).toBe(true);
    } finally {
      other.close();
      await opened.close();
    }
  });

  it('a regular file at peerPath: the attach fails (EADDRINUSE), the file is untouched, also after close', async () => {
    const dir = freshDir();
    const opened = await unixDgramTransport.open({ dir });
    const { peerPath } = opened.peer.params as { peerPath: string };
    writeFileSync(peerPath, 'not a socket');
    await expect(unixDgramTransport.attach(opened.peer)).rejects.toMatchObject({ code: 'EADDRINUSE', path: peerPath });
    await opened.close();
    expect(readFileSync(peerPath, 'utf8')).toBe('not a socket');
  });

  it('a stale socket file at peerPath is removed and bound: the attach works', async () => {
    const dir = freshDir();
    const opened = await unixDgramTransport.open({ dir });
    const { peerPath } = opened.peer.params as { peerPath: string };
    staleSocket(peerPath, 'dgram');
    const mine = await unixDgramTransport.attach(opened.peer); // both ends here
    const theirs = await opened.connect();
    await mine.send(Buffer.from('through'));
    expect(Buffer.from((await theirs.recv())!).toString()).toBe('through');
    await mine.close();
    await theirs.close();
    expect(readdirSync(dir)).toEqual([]);
  });
});
