// Errors as a Node user expects them: code, syscall and path of the call that really failed (never a
// cleanup step's), abstract names with their "\0"; and a failed open() leaves nothing behind.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnPeer } from '@ipc-compare/core/testing';
import { bind, close, socket } from '@ipc-compare/native';
import { unixDgramTransport, unixSeqpacketTransport, unixStreamTransport } from '../src/index.js';

const roles = '@ipc-compare/core/roles';
const token = '0'.repeat(32);
const scratch = mkdtempSync(join(tmpdir(), 'unix-errors-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const nobody = { uid: 65534, gid: 65534, transportModules: ['@ipc-compare/unix'] };

describe('attach: errors name the call and the socket', () => {
  const long = `/tmp/${'L'.repeat(120)}`;

  it.each([
    ['unix-stream', unixStreamTransport],
    ['unix-seqpacket', unixSeqpacketTransport],
  ] as const)('%s: a name longer than sun_path is ENAMETOOLONG from connect; a missing one ENOENT, with its path', async (id, t) => {
    await expect(t.attach({ transport: id, params: { path: long, token } })).rejects.toMatchObject({ code: 'ENAMETOOLONG', syscall: 'connect', path: long });
    const missing = join(scratch, `${id}-nobody`);
    await expect(t.attach({ transport: id, params: { path: missing, token } })).rejects.toMatchObject({ code: 'ENOENT', syscall: 'connect', path: missing });
    const abstract = `\0ipc-compare-nobody-${id}-${process.pid}`;
    await expect(t.attach({ transport: id, params: { path: abstract, token } })).rejects.toMatchObject({ code: 'ECONNREFUSED', syscall: 'connect', path: abstract });
  });

  it('unix-dgram: the name to greet is checked for connect, the own name for bind; an abstract name keeps its "\\0"', async () => {
    const peerPath = join(scratch, 'dgram-own');
    await expect(unixDgramTransport.attach({ transport: 'unix-dgram', params: { path: long, peerPath, token } })).rejects.toMatchObject({
      code: 'ENAMETOOLONG',
      syscall: 'connect',
      path: long,
    });
    await expect(unixDgramTransport.attach({ transport: 'unix-dgram', params: { path: join(scratch, 'x'), peerPath: long, token } })).rejects.toMatchObject({
      code: 'ENAMETOOLONG',
      syscall: 'bind',
      path: long,
    });
    const abstract = `\0ipc-compare-nobody-dgram-${process.pid}`;
    await expect(unixDgramTransport.attach({ transport: 'unix-dgram', params: { path: abstract, peerPath: `${abstract}-b`, token } })).rejects.toMatchObject({
      code: 'ECONNREFUSED',
      syscall: 'connect',
      path: abstract,
    });
    // An abstract name someone holds: EADDRINUSE names it, "\0" and all.
    const held = `\0ipc-compare-held-${process.pid}`;
    const fd = socket('unix', 'dgram');
    bind(fd, { family: 'unix', path: held });
    try {
      await expect(unixDgramTransport.attach({ transport: 'unix-dgram', params: { path: abstract, peerPath: held, token } })).rejects.toMatchObject({
        code: 'EADDRINUSE',
        syscall: 'bind',
        path: held,
      });
    } finally {
      close(fd);
    }
  });
});

describe('a cleanup step never replaces the real error', () => {
  it("unix-dgram, file names: a peer of another user cannot bind its name in the creating side's 0700 directory — EACCES from bind", async () => {
    const opened = await unixDgramTransport.open({ sameUidOnly: true });
    const { peerPath } = opened.peer.params as { peerPath: string };
    try {
      // Refused by the directory's permissions before sameUidOnly even sees a greeting.
      await expect(spawnPeer(opened, { module: roles, name: 'echo' }, nobody)).rejects.toMatchObject({ code: 'EACCES', syscall: 'bind', path: peerPath });
    } finally {
      await opened.close();
    }
  });

  it('unix-dgram: a peerPath in a directory the peer may not write to — EACCES from bind, not an error of the cleanup', async () => {
    const opened = await unixDgramTransport.open({ abstract: true });
    const readOnly = mkdtempSync(join(tmpdir(), 'unix-errors-ro-'));
    chmodSync(readOnly, 0o755); // others may look, not write
    const peerPath = join(readOnly, 'b');
    try {
      const spec = { ...opened.peer, params: { ...(opened.peer.params as object), peerPath } };
      await expect(spawnPeer(spec, { module: roles, name: 'echo' }, nobody)).rejects.toMatchObject({ code: 'EACCES', syscall: 'bind', path: peerPath });
      expect(readdirSync(readOnly)).toEqual([]);
    } finally {
      rmSync(readOnly, { recursive: true, force: true });
      await opened.close();
    }
  });
});

describe('open() out of fds (EMFILE)', () => {
  it('fails with EMFILE from socket() and leaves no private directory behind, for every named kind', () => {
    const tmp = mkdtempSync(join(scratch, 'tmpdir-'));
    const script = new URL('./fixtures/open-emfile.mjs', import.meta.url).pathname;
    const r = spawnSync('sh', ['-c', 'ulimit -n 64; exec "$0" "$1"', process.execPath, script], {
      encoding: 'utf8',
      env: { ...process.env, TMPDIR: tmp },
      timeout: 60_000,
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const emfile = { code: 'EMFILE', syscall: 'socket' };
    expect(JSON.parse(r.stdout)).toEqual({ results: { 'unix-stream': emfile, 'unix-seqpacket': emfile, 'unix-dgram': emfile }, left: [] });
    expect(readdirSync(tmp)).toEqual([]);
  });
});
