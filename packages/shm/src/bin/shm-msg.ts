// shm-msg — one message through a named shared memory object, from the shell, for two terminals:
//   shm-msg create posix NAME | xsi KEY     make a 4 KiB object (O_EXCL / IPC_EXCL, 0600)
//   shm-msg read   posix NAME | xsi KEY     print the message; if none yet, print "waiting" and sleep
//                                           in futex(2) until one is written
//   shm-msg write  posix NAME | xsi KEY TEXT   write TEXT, bump the sequence word, wake readers
//   shm-msg remove posix NAME | xsi KEY     shm_unlink / IPC_RMID
// The same commands, layout, output and exit codes as c/shm-msg.c: either works in either terminal.
// Layout (native byte order): 0 magic 0x4d534349 ("ICSM"), 4 seq (the futex word, 0 = no message
// yet), 8 length, 16 the text (at most 4080 bytes). The writer stores the text, then the length, then
// publishes seq with an atomic store; the reader loads seq first (sequentially consistent atomics).
import { futexWait, futexWake, shmCreate, shmOpenExisting, shmUnlink, xsiAttach, xsiCreate, xsiFind, xsiRemove, mapShared } from '@ipc-compare/native';
import { closeSync } from 'node:fs';

const SIZE = 4096;
const MAGIC = 0x4d534349;
const TEXT_AT = 16;
const USAGE = 'usage: shm-msg create|read|remove posix NAME|xsi KEY, shm-msg write posix NAME|xsi KEY TEXT\n';
const [cmd, kind, id, text, ...rest] = process.argv.slice(2);

function fail(call: string, err: unknown): never {
  const e = err as { code?: string; message?: string };
  process.stderr.write(`shm-msg: ${call} ${id}: ${e.code ?? ''} ${e.message ?? String(err)}\n`);
  process.exit(e.code?.startsWith('ERR_') ? 2 : 1);
}

const okArgs = cmd !== undefined && (kind === 'posix' || kind === 'xsi') && id !== undefined && rest.length === 0 && (cmd === 'write') === (text !== undefined);
const key = Number(id);
if (!okArgs || (kind === 'xsi' && !(Number.isInteger(key) && key > 0 && key < 2 ** 31))) {
  process.stderr.write(USAGE);
  process.exit(2);
}

function map(create: boolean): SharedArrayBuffer {
  if (kind === 'posix') {
    let fd: number;
    try {
      fd = create ? shmCreate(id!, SIZE) : shmOpenExisting(id!);
    } catch (err) {
      fail('shm_open', err);
    }
    try {
      return mapShared(fd, SIZE);
    } catch (err) {
      fail('mmap', err);
    } finally {
      closeSync(fd);
    }
  }
  let shmid: number;
  try {
    shmid = create ? xsiCreate(key, SIZE) : xsiFind(key);
  } catch (err) {
    fail('shmget', err);
  }
  try {
    return xsiAttach(shmid, SIZE);
  } catch (err) {
    fail('shmat', err);
  }
}

if (cmd === 'remove') {
  try {
    if (kind === 'posix') shmUnlink(id!);
    else xsiRemove(xsiFind(key));
  } catch (err) {
    fail(kind === 'posix' ? 'shm_unlink' : 'shmctl', err);
  }
} else if (cmd === 'create') {
  const words = new Int32Array(map(true));
  Atomics.store(words, 0, MAGIC);
} else if (cmd === 'write' || cmd === 'read') {
  const buffer = map(false);
  const words = new Int32Array(buffer);
  if (Atomics.load(words, 0) !== MAGIC) fail('read', { code: 'EINVAL', message: 'not an shm-msg object (bad magic)' });
  if (cmd === 'write') {
    const bytes = Buffer.from(text!);
    if (bytes.length > SIZE - TEXT_AT) fail('write', { code: 'EMSGSIZE', message: `at most ${SIZE - TEXT_AT} bytes` });
    new Uint8Array(buffer).set(bytes, TEXT_AT);
    Atomics.store(words, 2, bytes.length);
    Atomics.add(words, 1, 1); // publish
    futexWake(buffer, 4, 2 ** 31 - 1);
  } else {
    if (Atomics.load(words, 1) === 0) {
      process.stdout.write('waiting\n');
      while (Atomics.load(words, 1) === 0) futexWait(buffer, 4, 0);
    }
    const n = Atomics.load(words, 2);
    process.stdout.write(`${Buffer.from(new Uint8Array(buffer, TEXT_AT, n)).toString()}\n`);
  }
} else {
  process.stderr.write(USAGE);
  process.exit(2);
}
