// UNIX stream sockets and socketpair: the kit, full duplex, fd passing between unrelated processes,
// peer credentials, and node:net on the same kind of socket.
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FdChannel, OwnedFd } from '@ipc-compare/core';
import { describeConformance, primeProcessResources } from '@ipc-compare/core/conformance';
import { assertNoFdLeaks, snapshotFds, spawnPeer } from '@ipc-compare/core/testing';
import { bind, close, connect, getsockname, listen, pipe2, read, recvFds, sendFds, socket, socketpair } from '@ipc-compare/native';
import { peerCredentials, socketpairDgramTransport, socketpairTransport, unixStreamTransport } from '../src/index.js';

describeConformance(unixStreamTransport);
describeConformance({ ...unixStreamTransport, id: 'unix-stream (abstract names)' }, { openOptions: { abstract: true } });
describeConformance(socketpairTransport);
describeConformance(socketpairDgramTransport);

const coreRoles = '@ipc-compare/core/roles';
const unixRoles = '@ipc-compare/unix/roles';
const scratch = mkdtempSync(join(tmpdir(), 'unix-stream-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('socketpair: a full-duplex pipe', () => {
  it('the child inherits one end; both sides send 8 MiB at the same time and both receive it all', async () => {
    const opened = await socketpairTransport.open();
    expect(opened.peer.inheritFds).toHaveLength(1); // one fd, both directions
    const bytes = 8 << 20;
    const peer = await spawnPeer(opened, { module: coreRoles, name: 'duplex', args: { bytes } });
    const ch = await opened.connect();
    const receiving = (async () => {
      let got = 0;
      while (got < bytes) got += (await ch.recv())!.byteLength;
      return got;
    })();
    const chunk = Buffer.alloc(64 * 1024, 7);
    for (let sent = 0; sent < bytes; sent += chunk.length) await ch.send(chunk);
    expect(await receiving).toBe(bytes);
    expect(await peer.result()).toMatchObject({ sent: bytes, received: bytes });
    await ch.close();
  });
});

describe('node:net and UNIX names', () => {
  it('node:net (Node ≥ 20.8) listens and connects on abstract names too', async () => {
    const name = `\0ipc-compare-netcheck-${process.pid}`;
    const server = net.createServer((s) => s.end('from the abstract socket'));
    await new Promise<void>((r) => server.listen(name, r));
    const got = await new Promise<string>((resolve, reject) => {
      let text = '';
      net.connect(name).on('data', (d) => (text += d)).on('end', () => resolve(text)).on('error', reject);
    });
    expect(got).toBe('from the abstract socket');
    await new Promise((r) => server.close(r));
  });
});

describe('passing open fds (SCM_RIGHTS) between unrelated processes', () => {
  it('a file (offset shared), a pipe end, a listening TCP socket, a /dev/shm file and one the receiver does not want, several per message; nothing leaks', async () => {
    await primeProcessResources();
    const before = snapshotFds();
    const file = join(scratch, 'passed.txt');
    writeFileSync(file, 'HEADER|the rest, read by the receiver');
    const fileFd = openSync(file, 'r');
    readSync(fileFd, Buffer.alloc(7), 0, 7, null); // move the offset past "HEADER|"
    const [pipeR, pipeW] = pipe2();
    const listener = socket('inet', 'stream');
    bind(listener, { family: 'inet', address: '127.0.0.1', port: 0 });
    listen(listener, 1);
    const { port } = getsockname(listener) as { port: number };
    const shmPath = `/dev/shm/ipc-compare-test-${process.pid}`;
    writeFileSync(shmPath, 'in shared memory', { mode: 0o600 });
    const shmFd = openSync(shmPath, 'r');
    unlinkSync(shmPath); // the open fd keeps it alive; nothing left behind

    const opened = await unixStreamTransport.open();
    const peer = await spawnPeer(opened, { module: unixRoles, name: 'fd-receiver', args: { messages: 2 } });
    const ch = await opened.connect();
    const unwanted = openSync('/dev/null', 'r'); // the receiver closes this one without using it
    await ch.sendFds!(Buffer.from(JSON.stringify(['read', 'write', 'read', 'ignore'])), [fileFd, pipeW, shmFd, unwanted]);
    closeSync(unwanted);
    const conn = net.connect(port, '127.0.0.1'); // will be accepted by the receiver, on our listener
    const greeting = new Promise<string>((resolve) => {
      let t = '';
      conn.on('data', (d) => (t += d)).on('end', () => resolve(t));
    });
    await ch.sendFds!(Buffer.from(JSON.stringify(['accept'])), [listener]);
    const r = (await peer.result()) as { items: Array<{ use: string; type: string; result: string }>; leaked: string[] };
    expect(r.items).toEqual([
      { use: 'read', type: 'file', result: 'the rest, read by the receiver' }, // from OUR offset: shared
      { use: 'write', type: 'fifo', result: 'written' },
      { use: 'read', type: 'file', result: 'in shared memory' },
      { use: 'ignore', type: 'character-device', result: 'closed unused' },
      { use: 'accept', type: 'socket', result: 'accepted' },
    ]);
    expect(r.leaked).toEqual([]);
    const buf = Buffer.alloc(100);
    const n = read(pipeR, buf);
    expect(buf.subarray(0, n).toString()).toMatch(/^written by the receiver, pid \d+$/);
    expect(await greeting).toMatch(/^accepted by the receiver, pid \d+$/);
    conn.destroy();
    // Passing shares the open file: the receiver's read moved our offset too.
    expect(readSync(fileFd, Buffer.alloc(10), 0, 10, null)).toBe(0);
    for (const fd of [fileFd, shmFd]) closeSync(fd);
    for (const fd of [pipeR, pipeW, listener]) close(fd);
    await ch.close();
    await assertNoFdLeaks(before);
  });

  it('more fds than the receiver accepts per read: MSG_CTRUNC is reported and the rest are closed', async () => {
    const opened = await unixStreamTransport.open();
    const peer = await spawnPeer(opened, { module: unixRoles, name: 'fd-receiver', args: { messages: 1 } });
    const ch = await opened.connect();
    const fds = Array.from({ length: 70 }, () => openSync('/dev/null', 'r'));
    await ch.sendFds!(Buffer.from(JSON.stringify([])), fds);
    const r = (await peer.result()) as { items: unknown[]; fdsTruncated: number; leaked: string[] };
    expect(r.fdsTruncated).toBe(1);
    expect(r.items).toHaveLength(64); // what fit; the kernel closed the other 6 for the receiver
    expect(r.leaked).toEqual([]);
    for (const fd of fds) closeSync(fd);
    await ch.close();
  });

  it('fds waiting unread when the receiving side closes are closed, not leaked; a peer that dies leaks nothing here', async () => {
    await primeProcessResources();
    const before = snapshotFds();
    const [a, b] = socketpair('stream');
    const rx = new FdChannel({ transport: 't', readFd: OwnedFd.own(b, 'rx'), writeFd: null, receiveFds: 4 });
    const f = openSync('/dev/null', 'r');
    sendFds(a, Buffer.from('x'), [f, f]);
    await rx.recv(); // data read with plain recv(): its two fds wait in the channel
    await rx.close(); // … and are closed with it
    close(a);
    closeSync(f);
    // A peer killed while holding fds we sent: its fds die with it; ours are untouched.
    const opened = await unixStreamTransport.open();
    const peer = await spawnPeer(opened, { module: coreRoles, name: 'drain' });
    const ch = await opened.connect();
    const g = openSync('/dev/null', 'r');
    await ch.sendFds!(Buffer.from('take this'), [g]);
    peer.kill();
    await peer.exited;
    closeSync(g);
    await ch.close();
    await assertNoFdLeaks(before);
  });
});

describe('peer credentials (SO_PEERCRED)', () => {
  it("tell the peer's pid, uid and gid", async () => {
    const opened = await unixStreamTransport.open();
    const peer = await spawnPeer(opened, { module: coreRoles, name: 'echo' });
    const ch = await opened.connect();
    await ch.send(Buffer.from('x'));
    await ch.recv();
    expect(peerCredentials(ch)).toEqual({ pid: peer.pid, uid: process.getuid!(), gid: process.getgid!() });
    await ch.close();
    await peer.result();
  });

  it('sameUidOnly: a peer running as another user (nobody) is disconnected; one of ours gets in', async () => {
    // Abstract names have no file permissions, so only the uid check can keep `nobody` out.
    const opened = await unixStreamTransport.open({ abstract: true, sameUidOnly: true });
    const intruder = spawnPeer(opened, { module: coreRoles, name: 'echo' }, { uid: 65534, gid: 65534 });
    await expect(intruder).rejects.toMatchObject({ code: 'ERR_PEER_REFUSED', message: expect.stringMatching(/refused/) });
    const peer = await spawnPeer(opened, { module: coreRoles, name: 'echo' });
    const ch = await opened.connect();
    await ch.send(Buffer.from('same uid'));
    expect(Buffer.from((await ch.recv())!).toString()).toBe('same uid');
    expect(peerCredentials(ch).uid).toBe(process.getuid!());
    await ch.close();
    await peer.result();
  });
});

describe('bad input', () => {
  it('a closed fd, too many fds, no data: clear errors before or from sendmsg', async () => {
    const [a, b] = socketpair('stream');
    const tx = new FdChannel({ transport: 't', readFd: null, writeFd: OwnedFd.own(a, 'tx') });
    await expect(tx.sendFds(Buffer.from('x'), [987_654])).rejects.toMatchObject({ code: 'EBADF', syscall: 'sendmsg' });
    const tx2 = new FdChannel({ transport: 't', readFd: null, writeFd: OwnedFd.own(b, 'tx2') });
    await expect(tx2.sendFds(Buffer.from('x'), Array(254).fill(0))).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE', message: expect.stringMatching(/at most 253/) });
    await expect(tx2.sendFds(Buffer.alloc(0), [0])).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_VALUE' });
    await tx.close();
    await tx2.close();
  });

  it('a receiver that does not expect ancillary data gets the bytes; the kernel drops the fds (nothing appears)', async () => {
    const [a, b] = socketpair('stream');
    const f = openSync('/dev/null', 'r');
    const before = snapshotFds();
    sendFds(a, Buffer.from('data'), [f, f, f]);
    const buf = Buffer.alloc(16);
    expect(read(b, buf)).toBe(4); // plain read(2)
    expect([...snapshotFds().keys()].filter((fd) => !before.has(fd))).toEqual([]);
    // With recvmsg they would have arrived: prove the contrast on a fresh message.
    sendFds(a, Buffer.from('more'), [f]);
    const r = recvFds(b, buf, 4);
    expect(r !== -1 && r.fds.length).toBe(1);
    if (r !== -1) for (const fd of r.fds) close(fd);
    for (const fd of [a, b]) close(fd);
    closeSync(f);
  });

  it('no listener behind a socket file: ECONNREFUSED; a name longer than sun_path: ENAMETOOLONG', async () => {
    const path = join(scratch, 'dead.sock');
    const s = socket('unix', 'stream');
    bind(s, { family: 'unix', path });
    close(s); // the file stays, nobody listens
    await expect(unixStreamTransport.attach({ transport: 'unix-stream', params: { path, token: '0'.repeat(32) } })).rejects.toMatchObject({
      code: 'ECONNREFUSED',
      syscall: 'connect',
    });
    await expect(unixStreamTransport.open({ dir: join(scratch, 'd'.repeat(120)) })).rejects.toMatchObject({ code: 'ENAMETOOLONG' });
    const c = socket('unix', 'stream');
    expect(() => connect(c, { family: 'unix', path: `/tmp/${'z'.repeat(150)}` })).toThrow(expect.objectContaining({ code: 'ENAMETOOLONG' }));
    close(c);
  });
});

describe('the example', () => {
  it('socketpair.js: both sides send first, the child also gets an open file', async () => {
    const r = spawnSync(process.execPath, [new URL('../dist/examples/socketpair.js', import.meta.url).pathname], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('parent: received "hello from the child"');
    expect(r.stdout).toContain('child:  received "hello from the parent" and 1 fd');
    expect(r.stdout).toContain('child:  the passed file says "written by the parent"');
  });
});
