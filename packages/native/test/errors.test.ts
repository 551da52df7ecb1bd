// The one error path (errors.cc): codes and texts come from libuv's reentrant uv_err_name_r /
// uv_strerror_r into stack buffers, so an errno libuv does not know is named as Node names it and
// costs no allocation.
import { execFileSync } from 'node:child_process';
import { getSystemErrorName } from 'node:util';
import { describe, expect, it } from 'vitest';
import * as native from '../src/index.js';

const addonPath = new URL('../build/Release/ipc_native.node', import.meta.url).pathname;
const fixture = (name: string) => new URL(`./fixtures/${name}`, import.meta.url).pathname;

describe('errnoError for errnos libuv has no name for', () => {
  it('names them as util.getSystemErrorName does (and 4095 is libuv\'s EOF, as in Node)', () => {
    for (const errno of [200, 4000, 4096, 2147483647]) {
      const name = getSystemErrorName(-errno);
      expect(name).toBe(`Unknown system error -${errno}`);
      expect(native.errnoError(errno, 'read')).toMatchObject({ code: name, errno: -errno, syscall: 'read', message: `${name}: ${name}, read` });
      expect(native.errnoError(-errno, 'read').code).toBe(name);
    }
    expect(getSystemErrorName(-4095)).toBe('EOF');
    // errnos glibc names although libuv does not (the sync primitives' errors) keep their names
    expect(getSystemErrorName(-35)).toBe('Unknown system error -35');
    expect(native.errnoError(35, 'pthread_mutex_lock')).toMatchObject({ code: 'EDEADLK', errno: -35, message: 'EDEADLK: resource deadlock avoided, pthread_mutex_lock' });
    expect(native.errnoError(130, 'pthread_mutex_lock')).toMatchObject({ code: 'EOWNERDEAD', message: 'EOWNERDEAD: owner died, pthread_mutex_lock' });
    expect(native.errnoError(131, 'x').code).toBe('ENOTRECOVERABLE');
    expect(native.errnoError(4095, 'read')).toMatchObject({ code: 'EOF', errno: -4095, message: 'EOF: end of file, read' });
  });

  it('a million of them do not grow the process (no string leaked per call)', () => {
    const calls = 1_000_000;
    const out = execFileSync(process.execPath, ['--expose-gc', fixture('errno-churn.mjs'), addonPath, String(calls)], { encoding: 'utf8' });
    const r = JSON.parse(out) as { grownBytes: number; perCall: number; last: { code: string; message: string } };
    expect(r.last.code).toBe(getSystemErrorName(-4007));
    // uv_err_name + uv_strerror leaked two malloc'd strings per unknown errno: ~96 bytes a call, ~90 MB
    // here. Without the leak the resident set stays within what the heap settles at.
    expect(r.perCall).toBeLessThan(16);
  });
});
