// recv-unix <domain-sock-name> <num-chars> — the course's example receiver, ported from C with the
// same arguments, output and errors, step for step: allocates the num-chars buffer, removes the name
// if it is a stale socket file (nothing else: a live socket or a regular file makes the bind fail with
// EADDRINUSE), binds an AF_UNIX SOCK_DGRAM socket and prints every datagram (cut to num-chars bytes,
// as recv(2) into a num-chars buffer does).
import { bind, constants, recvBlocking, socket, strerror } from '@ipc-compare/native';
import { removeStaleSocket } from '../names.js';

const USAGE = 'usage: recv-unix <domain-sock-name> <num-chars>\n';
/** C's INT_MAX: the count is an int there (printf's %.*s takes one). */
const INT_MAX = 2_147_483_647;
const ENOENT = 2;
const ENOMEM = 12;
const ENAMETOOLONG = 36;

function fail(text: string): never {
  process.stderr.write(text);
  process.exit(1);
}

/** The errno of a failed syscall, positive (the addon's and node:fs's errors carry it negative). */
function errnoOf(err: unknown): number {
  return Math.abs((err as { errno?: number }).errno ?? 0);
}

const args = process.argv.slice(2);
if (args.length !== 2 || !/^[0-9]+$/.test(args[1]!)) fail(USAGE);
const [name, numChars] = [args[0]!, Number(args[1])];
if (numChars < 1 || numChars > INT_MAX) fail(USAGE);
if (name === '') fail(`recv-unix: ${name}: ${strerror(ENOENT)}\n`);
if (Buffer.byteLength(name) > constants.UNIX_PATH_MAX - 1) fail(`recv-unix: ${name}: ${strerror(ENAMETOOLONG)}\n`);

let buf: Buffer;
try {
  buf = Buffer.allocUnsafe(numChars); // malloc(3): pages are touched only as datagrams fill them
} catch {
  fail(`recv-unix: malloc: ${strerror(ENOMEM)}\n`);
}
try {
  removeStaleSocket(name, 'dgram'); // a socket file nobody is bound to any more (an earlier run's)
} catch (err) {
  fail(`recv-unix: ${name}: ${strerror(errnoOf(err))}\n`);
}
let fd: number;
try {
  fd = socket('unix', 'dgram');
} catch (err) {
  fail(`recv-unix: socket: ${strerror(errnoOf(err))}\n`);
}
try {
  bind(fd, { family: 'unix', path: name });
} catch (err) {
  fail(`recv-unix: ${name}: ${strerror(errnoOf(err))}\n`);
}

for (;;) {
  let n: number;
  try {
    n = recvBlocking(fd, buf);
  } catch (err) {
    fail(`recv-unix: recv: ${strerror(errnoOf(err))}\n`);
  }
  // printf("%d bytes received: \"%.*s\"\n", n, n, buf): %.*s stops at a NUL byte.
  const data = buf.subarray(0, n);
  const nul = data.indexOf(0);
  process.stdout.write(Buffer.concat([Buffer.from(`${n} bytes received: "`), nul < 0 ? data : data.subarray(0, nul), Buffer.from('"\n')]));
}
