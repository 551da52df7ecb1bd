// AF_UNIX SOCK_DGRAM and SOCK_SEQPACKET against the shared kit, then the notes' claims, observed.
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { describeConformance } from '@ipc-compare/core/conformance';
import { makeTestMessage, spawnPeer, testMessageSize } from '@ipc-compare/core/testing';
import { socket, bind, close } from '@ipc-compare/native';
import { UNIX_MAX_DATAGRAM, unixDgramTransport, unixSeqpacketTransport } from '../src/index.js';

describeConformance(unixDgramTransport);
describeConformance({ ...unixDgramTransport, id: 'unix-dgram (abstract names)' }, { openOptions: { abstract: true } });
describeConformance({ ...unixDgramTransport, id: 'unix-dgram (abstract names, sameUidOnly)' }, { openOptions: { abstract: true, sameUidOnly: true } });
describeConformance(unixSeqpacketTransport);

const roles = '@ipc-compare/core/roles';
const unixRoles = '@ipc-compare/unix/roles';
const scratch = mkdtempSync(join(tmpdir(), 'unix-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe.each([unixDgramTransport, unixSeqpacketTransport])('$id keeps message boundaries', (t) => {
  it('100 sends of 1…100 bytes arrive as 100 messages of exactly those sizes', async () => {
    const sizes = Array.from({ length: 100 }, (_, i) => i + 1);
    const opened = await t.open();
    const peer = await spawnPeer(opened, { module: roles, name: 'burst', args: { sizes } });
    const ch = await opened.connect();
    await peer.nextControl(); // all 100 are in the kernel before the first read
    const got: number[] = [];
    for (let i = 0; i < 100; i++) got.push((await ch.recv())!.byteLength);
    expect(got).toEqual(sizes);
    await ch.close();
    await peer.result();
  });

  it('a message received into a smaller buffer is truncated (MSG_TRUNC tells the real length)', async () => {
    const opened = await t.open();
    const peer = await spawnPeer(opened, { module: roles, name: 'burst', args: { sizes: [5000, 7] } });
    const ch = await opened.connect();
    const small = Buffer.alloc(64);
    expect(ch.recvSync!(small)).toBe(64);
    expect(ch.lastTruncation).toEqual({ length: 5000, received: 64 });
    expect(ch.recvSync!(small)).toBe(7); // the rest of the 5000 is gone
    expect(ch.lastTruncation).toBeNull();
    await ch.close();
    await peer.result();
  });
});

describe('AF_UNIX datagrams are reliable', () => {
  it('a flood to a receiver that reads nothing yet: the kernel holds the sender back (EAGAIN), then every message arrives', async () => {
    const count = 20_000;
    const opened = await unixDgramTransport.open();
    const peer = await spawnPeer(opened, { module: unixRoles, name: 'held-sink', args: { count, maxMessage: UNIX_MAX_DATAGRAM } });
    const ch = await opened.connect();
    const turn = () => new Promise<void>((resolve) => setImmediate(resolve));
    let released = false;
    let last: Promise<void> = Promise.resolve();
    for (let i = 0; i < count; i++) {
      last = ch.send(makeTestMessage(i, testMessageSize(i, UNIX_MAX_DATAGRAM)));
      if (i % 256 !== 255) continue;
      if (!released) {
        // By the next turn the batch has been written, or the kernel refused part of it (EAGAIN).
        await Promise.race([last, turn()]);
        if (ch.syscalls!.wouldBlock > 0) {
          released = true; // held back, nothing dropped: now let the receiver read
          peer.send('read now');
        }
      }
      await last;
    }
    await last;
    const wouldBlock = ch.syscalls!.wouldBlock;
    if (!released) peer.send('read now');
    const r = (await peer.result({ timeoutMs: 60_000 })) as { received: number; duplicates: number; reordered: number; errors: string[] };
    console.log(`unix-dgram: ${count} datagrams to a receiver that read nothing at first: ${r.received} received; the kernel refused ${wouldBlock} sends for a while (EAGAIN) instead of dropping`);
    expect(wouldBlock).toBeGreaterThan(0);
    expect(r).toMatchObject({ received: count, duplicates: 0, reordered: 0, errors: [] });
    expect(ch.fds!()).toHaveLength(1); // one connected socket
    await ch.close();
  });
});

describe('unix-dgram sameUidOnly: the greeting carries its sender\'s credentials (SO_PASSCRED)', () => {
  it('a peer running as another user (nobody) is refused at once (ERR_PEER_REFUSED); one of ours gets in and the data path is plain', async () => {
    // Abstract names have no file permissions, so only the uid check can keep `nobody` out.
    const opened = await unixDgramTransport.open({ abstract: true, sameUidOnly: true });
    try {
      const intruder = spawnPeer(opened, { module: roles, name: 'echo' }, { uid: 65534, gid: 65534 });
      await expect(intruder).rejects.toMatchObject({ code: 'ERR_PEER_REFUSED', message: expect.stringMatching(/refused the greeting/) });
      const peer = await spawnPeer(opened, { module: roles, name: 'echo' });
      const ch = await opened.connect();
      for (const text of ['same uid', 'and again']) {
        await ch.send(Buffer.from(text));
        expect(Buffer.from((await ch.recv())!).toString()).toBe(text);
      }
      await ch.close();
      await peer[Symbol.asyncDispose](); // a datagram peer never sees an end: stop it
    } finally {
      await opened.close();
    }
  });

  it('without sameUidOnly the same stranger gets in (what the option is for)', async () => {
    const opened = await unixDgramTransport.open({ abstract: true });
    const peer = await spawnPeer(opened, { module: roles, name: 'echo' }, { uid: 65534, gid: 65534 });
    const ch = await opened.connect();
    await ch.send(Buffer.from('anyone'));
    expect(Buffer.from((await ch.recv())!).toString()).toBe('anyone');
    await ch.close();
    await peer[Symbol.asyncDispose]();
  });

  it('sameUidOnly must be a boolean', async () => {
    await expect(unixDgramTransport.open({ sameUidOnly: 'yes' } as never)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
  });
});

describe('SOCK_SEQPACKET is connection-oriented', () => {
  it('the peer closing is end of stream, after every message it sent', async () => {
    const opened = await unixSeqpacketTransport.open();
    const peer = await spawnPeer(opened, { module: roles, name: 'source', args: { count: 3, maxMessage: UNIX_MAX_DATAGRAM } });
    const ch = await opened.connect();
    for (let i = 0; i < 3; i++) expect((await ch.recv())!.byteLength).toBe(testMessageSize(i));
    expect(await ch.recv()).toBeNull();
    await peer.result();
    await ch.close();
  });
});

describe('names', () => {
  it('a private 0700 directory, socket files 0600, removed once connected; abstract names leave nothing', async () => {
    const opened = await unixDgramTransport.open();
    const { path } = opened.peer.params as { path: string };
    expect(statSync(join(path, '..')).mode & 0o777).toBe(0o700);
    expect(statSync(path).isSocket()).toBe(true);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const peer = await spawnPeer(opened, { module: roles, name: 'echo' });
    const ch = await opened.connect();
    await ch.send(Buffer.from('x'));
    await ch.recv();
    expect(existsSync(join(path, '..'))).toBe(false);
    await ch.close();
    await peer[Symbol.asyncDispose](); // a datagram peer never sees an end: stop it

    const abs = await unixSeqpacketTransport.open({ abstract: true });
    expect((abs.peer.params as { path: string }).path.startsWith('\0ipc-compare-seqpacket-')).toBe(true);
    await abs.close();
  });

  it('a stale socket file in a given directory is replaced; the files go on close, the directory stays', async () => {
    const dir = mkdtempSync(join(scratch, 'given-'));
    const stale = socket('unix', 'dgram');
    bind(stale, { family: 'unix', path: join(dir, 'a') });
    close(stale); // the file stays behind, as after a crash
    const opened = await unixDgramTransport.open({ dir });
    const peer = await spawnPeer(opened, { module: roles, name: 'echo' });
    const ch = await opened.connect();
    await ch.send(Buffer.from('hi'));
    expect(Buffer.from((await ch.recv())!).toString()).toBe('hi');
    await ch.close();
    await peer[Symbol.asyncDispose]();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a name longer than sun_path is refused with ENAMETOOLONG before any syscall', async () => {
    const deep = join(scratch, 'x'.repeat(120));
    await expect(unixDgramTransport.open({ dir: deep })).rejects.toMatchObject({ code: 'ENAMETOOLONG', syscall: 'bind' });
    const opened = await unixDgramTransport.open();
    await expect(unixDgramTransport.attach({ ...opened.peer, params: { ...(opened.peer.params as object), path: `/tmp/${'y'.repeat(200)}` } })).rejects.toMatchObject({
      code: 'ENAMETOOLONG',
    });
    await opened.close();
    await expect(unixSeqpacketTransport.attach({ transport: 'unix-seqpacket', params: { path: join(scratch, 'nobody-listens'), token: '0'.repeat(32) } })).rejects.toMatchObject({
      code: 'ENOENT',
    });
  });
});
