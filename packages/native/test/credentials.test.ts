// SCM_CREDENTIALS on datagrams: with SO_PASSCRED set on the receiving socket, the kernel attaches the
// sender's pid, uid and gid to every datagram (it checks them: a sender cannot lie without privilege).
// This is how sameUidOnly works for AF_UNIX SOCK_DGRAM, which has no SO_PEERCRED.
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import * as native from '../src/index.js';

const addonPath = new URL('../build/Release/ipc_native.node', import.meta.url).pathname;
const fixture = (name: string) => new URL(`./fixtures/${name}`, import.meta.url).pathname;
let seq = 0;
const fresh = () => `\0ipc-compare-cred-${process.pid}-${seq++}`;

/** Runs the sender in a child process; resolves with its pid once it has exited (the datagram is queued). */
function sendFromChild(name: string, message: string, uid?: number): Promise<number> {
  const child = spawn(process.execPath, [fixture('send-dgram.mjs'), addonPath, name.slice(1), message], {
    stdio: ['ignore', 'inherit', 'inherit'],
    ...(uid === undefined ? {} : { uid, gid: uid }),
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(child.pid!) : reject(new Error(`sender exited with ${code}`))));
  });
}

describe('recvfromCred', () => {
  it('gives the data, the sender\'s address and its pid/uid/gid (another process)', async () => {
    const name = fresh();
    const fd = native.socket('unix', 'dgram');
    try {
      native.bind(fd, { family: 'unix', path: name });
      native.setsockopt(fd, native.constants.SOL_SOCKET, native.constants.SO_PASSCRED, 1);
      const pid = await sendFromChild(name, 'from the child');
      const buf = Buffer.alloc(64);
      const r = native.recvfromCred(fd, buf, native.constants.MSG_DONTWAIT);
      expect(r).not.toBe(-1);
      const [n, from, cred] = r as Exclude<typeof r, -1>;
      expect(buf.subarray(0, n).toString()).toBe('from the child');
      expect(from).toBeNull(); // the child never bound a name: credentials are the only way to know it
      expect(cred).toEqual({ pid, uid: process.getuid!(), gid: process.getgid!() });
      expect(native.recvfromCred(fd, buf, native.constants.MSG_DONTWAIT)).toBe(-1); // nothing more: would block
    } finally {
      native.close(fd);
    }
  });

  it('reports another user\'s uid: what sameUidOnly refuses', async () => {
    if (process.getuid!() !== 0) return; // needs root to start a process as nobody
    const name = fresh();
    const fd = native.socket('unix', 'dgram');
    try {
      native.bind(fd, { family: 'unix', path: name });
      native.setsockopt(fd, native.constants.SOL_SOCKET, native.constants.SO_PASSCRED, 1);
      const pid = await sendFromChild(name, 'intruder', 65534);
      const r = native.recvfromCred(fd, Buffer.alloc(64), native.constants.MSG_DONTWAIT);
      expect(r).not.toBe(-1);
      expect((r as Exclude<typeof r, -1>)[2]).toEqual({ pid, uid: 65534, gid: 65534 });
    } finally {
      native.close(fd);
    }
  });

  it('without SO_PASSCRED there are no credentials (null), and data and address still come', () => {
    const [a, b] = native.socketpair('dgram');
    try {
      native.send(a, Buffer.from('x'));
      const r = native.recvfromCred(b, Buffer.alloc(4));
      expect(r).toEqual([1, null, null]); // a socketpair peer has no name: address null
    } finally {
      native.close(a);
      native.close(b);
    }
  });

  it('fds sent along uninvited are closed, not leaked into this process', () => {
    const [a, b] = native.socketpair('dgram');
    const [r, w] = native.pipe2();
    try {
      native.sendFds(a, Buffer.from('x'), [r]);
      const before = native.pipe2(); // the lowest free fd numbers, to see whether one appears
      native.close(before[0]);
      native.close(before[1]);
      expect(native.recvfromCred(b, Buffer.alloc(4))).toEqual([1, null, null]);
      // Had the fd been installed it would hold the lowest free number; it is still free.
      expect(() => native.fstat(before[0])).toThrow(expect.objectContaining({ code: 'EBADF' }));
    } finally {
      for (const fd of [a, b, r, w]) native.close(fd);
    }
  });
});
