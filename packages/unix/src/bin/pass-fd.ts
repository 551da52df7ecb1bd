// pass-fd — open-file passing between two programs over an AF_UNIX stream socket (SCM_RIGHTS):
//
//   pass-fd recv <socket-path>          bind, listen (printing "listening": start the sender now), accept
//                                       one connection, receive one message with its fds, print the
//                                       message, then each passed file's contents from offset 0
//   pass-fd send <socket-path> <file>   open the file, connect, send the message "fd" with its fd
//
// Plain sockets API, no handshake of this project's: any SCM_RIGHTS peer (Python's socket.send_fds /
// recv_fds, a C program) can be the other side.
import { closeSync, lstatSync, openSync, readSync, unlinkSync } from 'node:fs';
import { accept, bind, close, connect, constants, fstat, listen, recvFds, sendFds, socket, strerror } from '@ipc-compare/native';

const USAGE = 'usage: pass-fd recv <socket-path>\n       pass-fd send <socket-path> <file>\n';
const MAX_FDS = 16;

function fail(text: string): never {
  process.stderr.write(text);
  process.exit(1);
}

function sysFail(what: string, err: unknown): never {
  const e = err as { errno?: number; message?: string };
  fail(`pass-fd: ${what}: ${typeof e.errno === 'number' ? strerror(e.errno) : String(e.message ?? err)}\n`);
}

function checkName(name: string): void {
  if (Buffer.byteLength(name) > constants.UNIX_PATH_MAX - 1) fail(`pass-fd: ${name}: ${strerror(36)}\n`);
}

function recv(path: string): void {
  checkName(path);
  try {
    if (lstatSync(path).isSocket()) unlinkSync(path); // a stale socket file from an earlier run
  } catch (err) {
    if ((err as { code?: string }).code !== 'ENOENT') sysFail(path, err);
  }
  const listener = socket('unix', 'stream');
  try {
    bind(listener, { family: 'unix', path });
    listen(listener, 1);
  } catch (err) {
    sysFail(path, err);
  }
  process.stdout.write('listening\n'); // a sender may connect from now on (as py-fds.py says too)
  let conn: number;
  try {
    conn = accept(listener);
  } catch (err) {
    sysFail('accept', err);
  }
  close(listener);
  unlinkSync(path);
  const buf = Buffer.alloc(4096);
  let got;
  try {
    got = recvFds(conn, buf, MAX_FDS);
    while (got === -1) got = recvFds(conn, buf, MAX_FDS); // blocking socket: not reached
  } catch (err) {
    sysFail('recvmsg', err);
  }
  const text = buf.subarray(0, got.bytes).toString('latin1');
  process.stdout.write(`received ${got.bytes} bytes: "${text}" with ${got.fds.length} fd${got.fds.length === 1 ? '' : 's'}\n`);
  if (got.fdsTruncated) process.stderr.write(`pass-fd: more than ${MAX_FDS} fds were sent (MSG_CTRUNC); the kernel closed the rest\n`);
  got.fds.forEach((fd, i) => {
    const { type, size } = fstat(fd);
    if (type === 'file') {
      const content = Buffer.alloc(size);
      let off = 0;
      while (off < size) {
        const n = readSync(fd, content, off, size - off, off); // positional: from offset 0, whatever the sender's offset
        if (n === 0) break;
        off += n;
      }
      process.stdout.write(`--- fd ${i + 1}: file, ${off} bytes from offset 0 ---\n`);
      process.stdout.write(content.subarray(0, off));
      if (off > 0 && content[off - 1] !== 0x0a) process.stdout.write('\n');
    } else {
      process.stdout.write(`--- fd ${i + 1}: ${type} (not a file: not read) ---\n`);
    }
    closeSync(fd);
  });
  close(conn);
}

function send(path: string, file: string): void {
  checkName(path);
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    sysFail(file, err);
  }
  const s = socket('unix', 'stream');
  try {
    connect(s, { family: 'unix', path });
  } catch (err) {
    sysFail(`connect ${path}`, err);
  }
  try {
    const n = sendFds(s, Buffer.from('fd'), [fd]);
    process.stdout.write(`sent ${n} bytes and 1 fd (${file})\n`);
  } catch (err) {
    sysFail('sendmsg', err);
  }
  close(s);
  closeSync(fd);
}

const [cmd, ...rest] = process.argv.slice(2);
if (cmd === 'recv' && rest.length === 1) recv(rest[0]!);
else if (cmd === 'send' && rest.length === 2) send(rest[0]!, rest[1]!);
else fail(USAGE);
