// send-unix <domain-sock-name> <msg> <num-repeat> — the course's example sender, ported from C with the
// same arguments, output and errors: sendto(2) the message num-repeat times to an AF_UNIX datagram
// socket, printing "sent N bytes" after each.
import { constants, sendto, socket, strerror } from '@ipc-compare/native';

const USAGE = 'usage: send-unix <domain-sock-name> <msg> <num-repeat>\n';
/** C's INT_MAX: the count is an int there. */
const INT_MAX = 2_147_483_647;

function fail(text: string): never {
  process.stderr.write(text);
  process.exit(1);
}

const args = process.argv.slice(2);
if (args.length !== 3 || !/^[0-9]+$/.test(args[2]!)) fail(USAGE);
const [name, msg, repeat] = [args[0]!, Buffer.from(args[1]!), Number(args[2])];
if (repeat > INT_MAX) fail(USAGE);
if (Buffer.byteLength(name) > constants.UNIX_PATH_MAX - 1) fail(`send-unix: ${name}: ${strerror(36)}\n`);
if (name === '') fail(`send-unix: ${name}: ${strerror(2)}\n`);

let fd: number;
try {
  fd = socket('unix', 'dgram');
} catch (err) {
  fail(`send-unix: socket: ${strerror((err as { errno: number }).errno)}\n`);
}
for (let i = 0; i < repeat; i++) {
  let n: number;
  try {
    n = sendto(fd, msg, { family: 'unix', path: name });
    if (n < 0) throw Object.assign(new Error('EAGAIN'), { errno: -11 }); // a blocking socket never says this
  } catch (err) {
    fail(`send-unix: sendto: ${strerror((err as { errno: number }).errno)}\n`);
  }
  process.stdout.write(`sent ${n} bytes\n`);
}
