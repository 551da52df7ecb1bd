// Every JS number the addon turns into a C int goes through one checked conversion (Node's
// validateInt32 rules): NaN, ±Infinity, fractions and values beyond the range are RangeErrors, never
// a cast (undefined behaviour in C++, and in practice a different fd, port or flag than asked for).
import { describe, expect, it } from 'vitest';
import * as native from '../src/index.js';

const outOfRange = (name: string, range: string, received: string) =>
  expect.objectContaining({
    name: 'RangeError',
    code: 'ERR_OUT_OF_RANGE',
    message: `The value of "${name}" is out of range. It must be ${range}. Received ${received}`,
  });

describe('ArgInt: numbers are checked like Node validateInt32, never cast', () => {
  it('NaN, Infinity and fractions are "not an integer", as in fs.closeSync', () => {
    expect(() => native.close(NaN)).toThrow(outOfRange('fd', 'an integer', 'NaN'));
    expect(() => native.close(Infinity)).toThrow(outOfRange('fd', 'an integer', 'Infinity'));
    expect(() => native.close(-Infinity)).toThrow(outOfRange('fd', 'an integer', '-Infinity'));
    expect(() => native.close(1.5)).toThrow(outOfRange('fd', 'an integer', '1.5'));
  });

  it('integers outside the range name the range, as in fs.closeSync', () => {
    expect(() => native.close(2 ** 31)).toThrow(outOfRange('fd', '>= 0 && <= 2147483647', '2147483648'));
    expect(() => native.close(-1)).toThrow(outOfRange('fd', '>= 0 && <= 2147483647', '-1'));
    expect(() => native.fcntl(0, 2 ** 32 + 1)).toThrow(outOfRange('cmd', '>= -2147483648 && <= 2147483647', '4294967297'));
    expect(() => native.poll(0, 1 << 20, 0)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
  });

  it('a non-number is a TypeError that says what it got', () => {
    expect(() => native.close('3' as unknown as number)).toThrow(
      expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE', message: `The "fd" argument must be of type number. Received type string ('3')` }),
    );
    expect(() => native.close(undefined as unknown as number)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE', message: 'The "fd" argument must be of type number. Received undefined' }),
    );
  });

  it('pipe2 flags: undefined means the default, NaN is refused (not pipe2(0))', () => {
    const [r, w] = native.pipe2(undefined);
    expect(native.fcntl(r, native.constants.F_GETFD) & native.constants.FD_CLOEXEC).toBe(native.constants.FD_CLOEXEC);
    native.close(r);
    native.close(w);
    expect(() => native.pipe2(NaN)).toThrow(outOfRange('flags', 'an integer', 'NaN'));
  });

  it('a port that is not an integer in 0..65535 is ERR_SOCKET_BAD_PORT (not port 0, not port % 2^32)', () => {
    const fd = native.socket('inet', 'dgram');
    try {
      for (const port of [NaN, 1.5, 65536, 2 ** 32 + 9, -1, Infinity]) {
        expect(() => native.bind(fd, { family: 'inet', address: '127.0.0.1', port })).toThrow(
          expect.objectContaining({ name: 'RangeError', code: 'ERR_SOCKET_BAD_PORT', message: `Port should be >= 0 and < 65536. Received type number (${port}).` }),
        );
      }
      // Nothing was bound by the refused calls.
      expect(native.getsockname(fd)).toMatchObject({ family: 'inet', port: 0, address: '0.0.0.0' });
    } finally {
      native.close(fd);
    }
  });

  it('sendFds checks each fd: 1.5 or 2^32+1 is refused, not sent as fd 1', () => {
    const [a, b] = native.socketpair('stream');
    try {
      expect(() => native.sendFds(a, Buffer.from('x'), [1.5])).toThrow(outOfRange('fds[0]', 'an integer', '1.5'));
      expect(() => native.sendFds(a, Buffer.from('x'), [0, 2 ** 32 + 1])).toThrow(outOfRange('fds[1]', '>= 0 && <= 2147483647', '4294967297'));
      expect(() => native.sendFds(a, Buffer.from('x'), [NaN])).toThrow(outOfRange('fds[0]', 'an integer', 'NaN'));
      // Nothing went out.
      expect(native.recv(b, Buffer.alloc(4), native.constants.MSG_DONTWAIT)).toBe(-1);
    } finally {
      native.close(a);
      native.close(b);
    }
  });

  it('recvFds maxFds and mkfifo mode are range-checked the same way', () => {
    const [a, b] = native.socketpair('stream');
    try {
      expect(() => native.recvFds(a, Buffer.alloc(1), NaN)).toThrow(outOfRange('maxFds', 'an integer', 'NaN'));
      expect(() => native.recvFds(a, Buffer.alloc(1), 254)).toThrow(outOfRange('maxFds', '>= 0 && <= 253', '254'));
    } finally {
      native.close(a);
      native.close(b);
    }
    expect(() => native.mkfifo('/nonexistent-dir/x', 0.5)).toThrow(outOfRange('mode', 'an integer', '0.5'));
  });
});
