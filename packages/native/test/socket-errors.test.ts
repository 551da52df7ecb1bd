// Socket errors name what the call was aimed at, as node:net's do: `address` and `port` for inet
// (message "... connect 127.0.0.1:9"), `path` for unix sockets (an abstract name shows as '@name' in
// the message and keeps its "\0" in `path`). errnoError builds the same Error for a failure seen
// later (a non-blocking connect's SO_ERROR).
import { describe, expect, it } from 'vitest';
import * as native from '../src/index.js';

/** A TCP port on 127.0.0.1 that refuses connections: bound (so nobody else takes it) but not listening. */
function refusingPort(): { fd: number; port: number } {
  const fd = native.socket('inet', 'stream');
  native.bind(fd, { family: 'inet', address: '127.0.0.1', port: 0 });
  return { fd, port: (native.getsockname(fd) as { port: number }).port };
}

function thrown(f: () => unknown): Record<string, unknown> {
  try {
    f();
  } catch (e) {
    return e as Record<string, unknown>;
  }
  throw new Error('did not throw');
}

describe('inet: address and port', () => {
  it('a refused connect says where, with address and port properties', () => {
    const { fd: holder, port } = refusingPort();
    const fd = native.socket('inet', 'stream');
    try {
      const err = thrown(() => native.connect(fd, { family: 'inet', address: '127.0.0.1', port }));
      expect(err).toMatchObject({ code: 'ECONNREFUSED', errno: -111, syscall: 'connect', address: '127.0.0.1', port, message: `ECONNREFUSED: connection refused, connect 127.0.0.1:${port}` });
      expect(err).not.toHaveProperty('path');
    } finally {
      native.close(fd);
      native.close(holder);
    }
  });

  it('a bind to a taken port says which', () => {
    const { fd: holder, port } = refusingPort();
    const fd = native.socket('inet', 'stream');
    try {
      expect(thrown(() => native.bind(fd, { family: 'inet', address: '127.0.0.1', port }))).toMatchObject({
        code: 'EADDRINUSE',
        syscall: 'bind',
        address: '127.0.0.1',
        port,
        message: `EADDRINUSE: address already in use, bind 127.0.0.1:${port}`,
      });
    } finally {
      native.close(fd);
      native.close(holder);
    }
  });

  it('a failed sendto says where (a datagram larger than UDP allows)', () => {
    const fd = native.socket('inet', 'dgram');
    try {
      expect(thrown(() => native.sendto(fd, Buffer.alloc(70_000), { family: 'inet', address: '127.0.0.1', port: 9 }))).toMatchObject({
        code: 'EMSGSIZE',
        syscall: 'sendto',
        address: '127.0.0.1',
        port: 9,
        message: 'EMSGSIZE: message too long, sendto 127.0.0.1:9',
      });
    } finally {
      native.close(fd);
    }
  });
});

describe('unix: path, abstract names shown with @', () => {
  it('a missing socket file gives path, as fs does', () => {
    const fd = native.socket('unix', 'stream');
    try {
      expect(thrown(() => native.connect(fd, { family: 'unix', path: '/nonexistent/sock' }))).toMatchObject({
        code: 'ENOENT',
        path: '/nonexistent/sock',
        message: "ENOENT: no such file or directory, connect '/nonexistent/sock'",
      });
    } finally {
      native.close(fd);
    }
  });

  it('an abstract name nobody listens on: "@name" in the message, the real name in path', () => {
    const name = `\0ipc-compare-nobody-${process.pid}`;
    const fd = native.socket('unix', 'stream');
    const dg = native.socket('unix', 'dgram');
    try {
      const err = thrown(() => native.connect(fd, { family: 'unix', path: name }));
      expect(err).toMatchObject({ code: 'ECONNREFUSED', syscall: 'connect', path: name, message: `ECONNREFUSED: connection refused, connect '@${name.slice(1)}'` });
      expect(err).not.toHaveProperty('address');
      expect(thrown(() => native.sendto(dg, Buffer.from('x'), { family: 'unix', path: name }))).toMatchObject({
        code: 'ECONNREFUSED',
        syscall: 'sendto',
        path: name,
        message: `ECONNREFUSED: connection refused, sendto '@${name.slice(1)}'`,
      });
    } finally {
      native.close(fd);
      native.close(dg);
    }
  });
});

describe('errnoError(errno, syscall, target?)', () => {
  it('takes an inet address object: the Error a failed non-blocking connect (SO_ERROR) reports', () => {
    expect(native.errnoError(111, 'connect', { family: 'inet', address: '127.0.0.1', port: 9 })).toMatchObject({
      code: 'ECONNREFUSED',
      errno: -111,
      syscall: 'connect',
      address: '127.0.0.1',
      port: 9,
      message: 'ECONNREFUSED: connection refused, connect 127.0.0.1:9',
    });
    expect(native.errnoError(111, 'connect', { address: '::1', port: 9 }).message).toBe('ECONNREFUSED: connection refused, connect ::1:9');
    // Port 0 is left out, as node:net leaves it out.
    const noPort = native.errnoError(99, 'bind', { address: '10.0.0.1', port: 0 });
    expect(noPort.message).toBe('EADDRNOTAVAIL: address not available, bind 10.0.0.1');
    expect(noPort).not.toHaveProperty('port');
  });

  it('takes a unix address object or a path string, abstract names shown with @', () => {
    expect(native.errnoError(111, 'connect', { family: 'unix', path: '\0abc' })).toMatchObject({ path: '\0abc', message: "ECONNREFUSED: connection refused, connect '@abc'" });
    expect(native.errnoError(2, 'connect', '/tmp/x')).toMatchObject({ path: '/tmp/x', message: "ENOENT: no such file or directory, connect '/tmp/x'" });
    expect(native.errnoError(111, 'connect', '\0abc').message).toBe("ECONNREFUSED: connection refused, connect '@abc'");
    expect(native.errnoError(111, 'connect', { family: 'unspec' }).message).toBe('ECONNREFUSED: connection refused, connect');
  });

  it('refuses a target that is neither', () => {
    expect(() => native.errnoError(111, 'connect', 5 as unknown as string)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => native.errnoError(111, 'connect', { address: '127.0.0.1', port: NaN })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
  });
});
