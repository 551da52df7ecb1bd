// lost-updates [none|futex|mutex|sem] [COUNT] — the classic demo: two processes share one counter in
// a memfd and each adds 1 to it COUNT times (a plain read, then a write). Without a lock their
// updates overwrite each other and the total comes out short; under any of the locks it is exact.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { FutexMutex } from '../futex-mutex.js';
import { Mutex } from '../mutex.js';
import { SharedRegion } from '../region.js';
import { Semaphore } from '../semaphore.js';

const LOCKS = ['none', 'futex', 'mutex', 'sem'] as const;
type Lock = (typeof LOCKS)[number];
// The region: [0] start line, [1] counter, futex word at 8, mutex at 64, semaphore at 128.
const FUTEX = 8;
const MUTEX = 64;
const SEM = 128;

function party(lock: Lock, count: number): void {
  const { buffer } = SharedRegion.inherit(3);
  const i32 = new Int32Array(buffer);
  const [acquire, release] =
    lock === 'futex'
      ? ((m) => [() => m.lockSync(), () => m.unlock()])(new FutexMutex(buffer, FUTEX))
      : lock === 'mutex'
        ? ((m) => [() => m.lockSync(), () => m.unlock()])(Mutex.at(buffer, MUTEX))
        : lock === 'sem'
          ? ((s) => [() => s.waitSync(), () => s.post()])(Semaphore.at(buffer, SEM))
          : [() => {}, () => {}];
  Atomics.add(i32, 0, 1);
  while (Atomics.load(i32, 0) < 2); // both start at once
  for (let i = 0; i < count; i++) {
    acquire();
    i32[1] = i32[1]! + 1; // read, add, write: not atomic
    release();
  }
}

const [a, b, c] = process.argv.slice(2);
if (a === '--party') {
  party(b as Lock, Number(c));
} else {
  const lock = (a ?? 'none') as Lock;
  const count = Number(b ?? 1_000_000);
  if (!LOCKS.includes(lock) || !Number.isInteger(count) || count < 1 || (c !== undefined)) {
    process.stderr.write(`usage: lost-updates [${LOCKS.join('|')}] [COUNT]\n`);
    process.exit(2);
  }
  const region = SharedRegion.create(4096);
  Mutex.create(region.buffer, MUTEX);
  Semaphore.create(region.buffer, SEM, 1);
  const self = fileURLToPath(import.meta.url);
  const started = Date.now();
  await Promise.all(
    [0, 1].map(
      () =>
        new Promise<void>((resolve, reject) => {
          const p = spawn(process.execPath, [self, '--party', lock, String(count)], { stdio: ['ignore', 'inherit', 'inherit', region.fd] });
          p.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`a party exited with ${code}`))));
        }),
    ),
  );
  const got = new Int32Array(region.buffer)[1]!;
  const expected = 2 * count;
  region.close();
  process.stdout.write(`2 processes × ${count} increments under ${lock === 'none' ? 'no lock' : `the ${lock} lock`}: expected ${expected}, got ${got}` +
      (got === expected ? ' — none lost' : ` — ${expected - got} lost (${(((expected - got) / expected) * 100).toFixed(1)} %)`) + ` in ${Date.now() - started} ms\n`);
}
