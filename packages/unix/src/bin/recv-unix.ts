// recv-unix <domain-sock-name> <num-chars> — the course's example receiver, ported from C with the
// same arguments, output and errors: removes a stale socket file, binds an AF_UNIX SOCK_DGRAM socket
// and prints every datagram (cut to num-chars bytes, as recv(2) into a num-chars buffer does).
import { unlinkSync } from 'node:fs';
import { bind, constants, recvBlocking, socket, strerror } from '@ipc-compare/native';

const USAGE = 'usage: recv-unix <domain-sock-name> <num-chars>\n';

function fail(text: string): never {
  process.stderr.write(text);
  process.exit(1);
}

const args = process.argv.slice(2);
if (args.length !== 2 || !/^[0-9]+$/.test(args[1]!) || Number(args[1]) < 1) fail(USAGE);
const [name, numChars] = [args[0]!, Number(args[1])];
if (Buffer.byteLength(name) > constants.UNIX_PATH_MAX - 1) fail(`recv-unix: ${name}: ${strerror(36)}\n`);
if (name === '') fail(`recv-unix: ${name}: ${strerror(2)}\n`);

try {
  unlinkSync(name); // a stale socket file from an earlier run would make bind fail with EADDRINUSE
} catch (err) {
  if ((err as { code?: string }).code !== 'ENOENT') fail(`recv-unix: ${name}: ${strerror(-(err as { errno: number }).errno)}\n`);
}
let fd: number;
try {
  fd = socket('unix', 'dgram');
} catch (err) {
  fail(`recv-unix: socket: ${strerror((err as { errno: number }).errno)}\n`);
}
try {
  bind(fd, { family: 'unix', path: name });
} catch (err) {
  fail(`recv-unix: ${name}: ${strerror((err as { errno: number }).errno)}\n`);
}

const buf = Buffer.alloc(numChars);
for (;;) {
  let n: number;
  try {
    n = recvBlocking(fd, buf);
  } catch (err) {
    fail(`recv-unix: recv: ${strerror((err as { errno: number }).errno)}\n`);
  }
  // printf("%d bytes received: \"%.*s\"\n", n, n, buf): %.*s stops at a NUL byte.
  const data = buf.subarray(0, n);
  const nul = data.indexOf(0);
  process.stdout.write(Buffer.concat([Buffer.from(`${n} bytes received: "`), nul < 0 ? data : data.subarray(0, nul), Buffer.from('"\n')]));
}
