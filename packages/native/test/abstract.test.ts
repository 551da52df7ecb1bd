// Linux abstract unix names ("\0name") and the peers the addon has to meet on them. Node 20's libuv
// binds and connects an abstract name padded with NULs to the whole sun_path (/proc/net/unix shows
// "@name@@@@…"); C programs and Python use the exact length. Those are different names to the kernel.
// The addon binds the way Node does, connects/sends to the padded form first and the exact form on
// ECONNREFUSED, and reports names without the padding.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import * as native from '../src/index.js';

let seq = 0;
const fresh = () => `\0ipc-compare-abstract-${process.pid}-${seq++}`;
const fixture = (name: string) => new URL(`./fixtures/${name}`, import.meta.url).pathname;
const unix = (path: string) => ({ family: 'unix' as const, path });

/** The names /proc/net/unix lists for `name`, as it prints them ('@' for every NUL). */
function procNames(name: string): string[] {
  const shown = '@' + name.slice(1);
  return readFileSync('/proc/net/unix', 'utf8')
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[7])
    .filter((n): n is string => n !== undefined && n.startsWith(shown));
}

/** Reads a blocking stream socket to end of stream. */
function readAll(fd: number): string {
  const buf = Buffer.alloc(256);
  let out = '';
  for (;;) {
    const n = native.readBlocking(fd, buf);
    if (n === 0) return out;
    out += buf.subarray(0, n).toString();
  }
}

/** Starts the exact-length Python peer and resolves once it is bound (it prints "ready"). */
function exactPeer(kind: 'stream' | 'dgram', name: string) {
  const child = spawn('python3', [fixture('exact-abstract.py'), kind, name.slice(1)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  return {
    ready: lines.next().then((l) => expect(l.value).toBe('ready')),
    nextLine: async () => (await lines.next()).value as string,
    exited,
  };
}

describe('abstract names: the addon binds them as Node 20 does (padded to the whole sun_path)', () => {
  it('the kernel sees the same name for the addon listener as for a node:net one', async () => {
    const mine = fresh();
    const fd = native.socket('unix', 'stream');
    native.bind(fd, unix(mine));
    const theirs = fresh();
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(theirs, resolve));
    try {
      const pad = (n: string) => '@' + n.slice(1) + '@'.repeat(native.constants.UNIX_PATH_MAX - n.length);
      expect(procNames(theirs)).toEqual([pad(theirs)]);
      expect(procNames(mine)).toEqual([pad(mine)]);
      // …and reports it without the padding.
      expect(native.getsockname(fd)).toEqual(unix(mine));
    } finally {
      native.close(fd);
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('node:net connects to an addon listener (SOCK_STREAM)', async () => {
    const name = fresh();
    const fd = native.socket('unix', 'stream');
    native.bind(fd, unix(name));
    native.listen(fd);
    const client = net.connect(name);
    const connected = new Promise<void>((resolve, reject) => {
      client.once('connect', resolve);
      client.once('error', reject);
    });
    try {
      await connected;
      const c = native.accept(fd);
      native.writeAll(c, Buffer.from('from the addon'));
      native.close(c);
      let got = '';
      for await (const chunk of client) got += chunk;
      expect(got).toBe('from the addon');
    } finally {
      client.destroy();
      native.close(fd);
    }
  });

  it('the addon connects to a node:net listener, and getpeername reports the name unpadded', async () => {
    const name = fresh();
    const server = net.createServer((s) => s.end('from node:net'));
    await new Promise<void>((resolve) => server.listen(name, resolve));
    const fd = native.socket('unix', 'stream');
    try {
      expect(native.connect(fd, unix(name))).toBe(0);
      expect(native.getpeername(fd)).toEqual(unix(name));
      // Read on a worker-free path: node:net writes from this event loop, so wait for it there.
      native.setNonBlocking(fd, true);
      const chunks: string[] = [];
      await new Promise<void>((resolve, reject) => {
        const p = new native.Poller(fd, (status) => {
          if (status < 0) return reject(native.errnoError(status, 'poll'));
          const buf = Buffer.alloc(64);
          for (;;) {
            const n = native.read(fd, buf);
            if (n === -1) return;
            if (n === 0) {
              p.close();
              return resolve();
            }
            chunks.push(buf.subarray(0, n).toString());
          }
        });
        p.start(native.constants.UV_READABLE);
      });
      expect(chunks.join('')).toBe('from node:net');
    } finally {
      native.close(fd);
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('an exact-length listener (Python, C) is still reachable: connect falls back on ECONNREFUSED', async () => {
    const name = fresh();
    const peer = exactPeer('stream', name);
    await peer.ready;
    const fd = native.socket('unix', 'stream');
    try {
      expect(native.connect(fd, unix(name))).toBe(0);
      expect(native.getpeername(fd)).toEqual(unix(name));
      expect(readAll(fd)).toBe('exact');
    } finally {
      native.close(fd);
    }
    expect(await peer.exited).toBe(0);
  });

  it('an exact-length datagram peer is reached by sendto, and replies to the addon\'s padded name', async () => {
    const name = fresh();
    const peer = exactPeer('dgram', name);
    await peer.ready;
    const mine = fresh();
    const fd = native.socket('unix', 'dgram');
    try {
      native.bind(fd, unix(mine));
      expect(native.sendto(fd, Buffer.from('hello'), unix(name))).toBe(5);
      const buf = Buffer.alloc(16);
      native.setNonBlocking(fd, false);
      const r = native.recvfrom(fd, buf);
      expect(r).not.toBe(-1);
      const [n, from] = r as [number, native.SockAddr];
      expect(buf.subarray(0, n).toString()).toBe('HELLO');
      expect(from).toEqual(unix(name)); // Python's exact name, as it is
      // Python saw our name padded to the full sun_path: the name we bound.
      const theirView = Buffer.from(await peer.nextLine(), 'hex');
      expect(theirView.length).toBe(native.constants.UNIX_PATH_MAX);
      expect(theirView.toString('latin1')).toBe(mine + '\0'.repeat(native.constants.UNIX_PATH_MAX - mine.length));
    } finally {
      native.close(fd);
    }
    expect(await peer.exited).toBe(0);
  });

  it('addon to addon: datagrams both ways on abstract names, connect() too, recvfrom names unpadded', () => {
    const a = native.socket('unix', 'dgram');
    const b = native.socket('unix', 'dgram');
    const nameA = fresh();
    const nameB = fresh();
    try {
      native.bind(a, unix(nameA));
      native.bind(b, unix(nameB));
      const buf = Buffer.alloc(16);
      expect(native.sendto(a, Buffer.from('ping'), unix(nameB))).toBe(4);
      const [n, from] = native.recvfrom(b, buf) as [number, native.SockAddr];
      expect([buf.subarray(0, n).toString(), from]).toEqual(['ping', unix(nameA)]);
      native.connect(b, from);
      expect(native.send(b, Buffer.from('pong'))).toBe(4);
      const [m, from2] = native.recvfrom(a, buf) as [number, native.SockAddr];
      expect([buf.subarray(0, m).toString(), from2]).toEqual(['pong', unix(nameB)]);
      expect(native.getpeername(b)).toEqual(unix(nameA));
    } finally {
      native.close(a);
      native.close(b);
    }
  });

  it('an abstract name nobody has bound, in either form, is still ECONNREFUSED', () => {
    const fd = native.socket('unix', 'dgram');
    try {
      expect(() => native.sendto(fd, Buffer.from('x'), unix(fresh()))).toThrow(expect.objectContaining({ code: 'ECONNREFUSED', syscall: 'sendto' }));
      expect(() => native.connect(fd, unix(fresh()))).toThrow(expect.objectContaining({ code: 'ECONNREFUSED', syscall: 'connect' }));
    } finally {
      native.close(fd);
    }
  });
});
