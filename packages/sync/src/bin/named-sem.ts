// named-sem create NAME [VALUE] | post NAME | wait NAME | value NAME | unlink NAME — a named POSIX
// semaphore from the shell, the same commands, output and exit codes as c/named-sem.c, so either can
// be used in either terminal. `wait` prints "waiting", waits (async: off the JS thread), "acquired".
import { NamedSemaphore } from '../named-semaphore.js';

const USAGE = 'usage: named-sem create NAME [VALUE] | post NAME | wait NAME | value NAME | unlink NAME\n';
const [cmd, name, value, ...rest] = process.argv.slice(2);

function fail(call: string, err: unknown): never {
  const e = err as { code?: string; message?: string };
  process.stderr.write(`named-sem: ${call} ${name}: ${e.code ?? ''} ${e.message ?? String(err)}\n`);
  process.exit(e.code?.startsWith('ERR_') ? 2 : 1);
}

if (!cmd || !name || rest.length > 0 || (value !== undefined && (cmd !== 'create' || !/^[0-9]+$/.test(value)))) {
  process.stderr.write(USAGE);
  process.exit(2);
}

if (cmd === 'unlink') {
  try {
    NamedSemaphore.unlink(name);
  } catch (err) {
    fail('sem_unlink', err);
  }
} else if (cmd === 'create') {
  // Made here, it must outlive this process: close without the creator's unlink (open it again).
  try {
    NamedSemaphore.create({ name, value: Number(value ?? 0) });
  } catch (err) {
    fail('sem_open', err);
  }
  process.exit(0); // the handle's close() would unlink: the name is for the other terminal
} else if (['post', 'wait', 'value'].includes(cmd)) {
  let sem: NamedSemaphore;
  try {
    sem = NamedSemaphore.open(name);
  } catch (err) {
    fail('sem_open', err);
  }
  if (cmd === 'post') sem.post();
  else if (cmd === 'value') process.stdout.write(`${sem.value}\n`);
  else {
    process.stdout.write('waiting\n');
    await sem.wait();
    process.stdout.write('acquired\n');
  }
  sem.close();
} else {
  process.stderr.write(USAGE);
  process.exit(2);
}
