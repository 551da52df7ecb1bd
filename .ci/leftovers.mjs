// Fails if the test run left IPC objects of this project behind: socket files, FIFOs and their private
// directories under the temp directory, /dev/shm objects (named by this project's prefixes), XSI
// semaphore sets and shm segments, or peer processes still running. argv[2]: the run's start time (ms since the epoch).
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const since = Number(process.argv[2] ?? 0);
// Named POSIX semaphores are /dev/shm/sem.NAME.
const prefixes = /^(sem\.)?(ipc-compare-|ipc-bench-)/;
const left = [];
for (const dir of [tmpdir(), '/dev/shm']) {
  let names = [];
  try {
    names = readdirSync(dir);
  } catch {
    continue;
  }
  for (const name of names) {
    if (!prefixes.test(name)) continue;
    const path = join(dir, name);
    try {
      if (statSync(path).mtimeMs >= since) left.push(path);
    } catch {
      // gone meanwhile
    }
  }
}
// XSI semaphore sets have no name to carry a prefix. Ours are what XsiSemaphore.create and bench/c/sync.c
// make — key IPC_PRIVATE (0), mode 0600, created by this uid — and were created (or last SETVAL'd:
// ctime, in whole seconds) since the run started.
try {
  const [head, ...rows] = readFileSync('/proc/sysvipc/sem', 'utf8').trim().split('\n');
  const col = Object.fromEntries(head.trim().split(/\s+/).map((k, i) => [k, i]));
  for (const r of rows) {
    const v = r.trim().split(/\s+/);
    const ours = v[col.key] === '0' && v[col.perms] === '600' && Number(v[col.cuid]) === process.getuid() && Number(v[col.ctime]) >= Math.floor(since / 1000);
    if (ours) left.push(`XSI semaphore set: id ${v[col.semid]} (ipcrm -s ${v[col.semid]})`);
  }
} catch {
  // no System V IPC in this kernel: nothing can have been left
}
// XSI shared memory segments likewise (shm-xsi regions, the shm C programs): key IPC_PRIVATE, 0600,
// this uid, created since the run started.
try {
  const [head, ...rows] = readFileSync('/proc/sysvipc/shm', 'utf8').trim().split('\n');
  const col = Object.fromEntries(head.trim().split(/\s+/).map((k, i) => [k, i]));
  for (const r of rows) {
    const v = r.trim().split(/\s+/);
    const ours = v[col.key] === '0' && v[col.perms] === '600' && Number(v[col.cuid]) === process.getuid() && Number(v[col.ctime]) >= Math.floor(since / 1000);
    if (ours) left.push(`XSI shm segment: id ${v[col.shmid]}, ${v[col.nattch]} attached (ipcrm -m ${v[col.shmid]})`);
  }
} catch {
  // no System V IPC in this kernel
}
let peers = '';
try {
  // transport peers, and the sync tests' child processes (their memfds die with them)
  peers = execFileSync('pgrep', ['-af', 'core/dist/peer-main.js|sync/test/fixtures/|shm/test/fixtures/'], { encoding: 'utf8' }).trim();
} catch {
  // pgrep exits 1 when nothing matches
}
if (peers) left.push(...peers.split('\n').map((l) => `process: ${l.slice(0, 120)}`));
// Network namespaces the reach probe makes (ipcc-*): removed after each probe.
try {
  const ns = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).split('\n').filter((l) => l.startsWith('ipcc-'));
  left.push(...ns.map((l) => `network namespace: ${l}`));
} catch {
  // no iproute2 here: the probe could not have made any
}
if (left.length) {
  console.log(`left behind by the test run (${left.length}):\n  ${left.join('\n  ')}`);
  process.exitCode = 1;
} else {
  console.log('nothing left behind (temp and /dev/shm names incl. named semaphores, XSI semaphore sets and shm segments, peer and fixture processes, network namespaces)');
}
