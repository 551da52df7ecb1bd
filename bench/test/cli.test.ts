// The built CLI, run in plain Node (not through vitest's module loader), end to end: real processes,
// the C baseline, results.json and its schema.
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RESULTS_SCHEMA, type LatencyRow, type Results, type ThroughputRow } from '../src/results.js';

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
// Made in beforeAll, not at import: a module evaluated without running its tests (seen once in a full
// run) must not leave an empty directory behind.
let out = '';
beforeAll(() => {
  out = mkdtempSync(join(tmpdir(), 'ipc-compare-cli-'));
});
afterAll(() => rmSync(out, { recursive: true, force: true }));

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [cli, ...args], { cwd: out, maxBuffer: 64 << 20 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('ipc-compare bench (built CLI, plain Node)', () => {
  it('measures pipe latency and throughput for TS async, TS blocking, Node and C, in repetitions, with ratios, spread and placement', async () => {
    const r = await run(['bench', 'all', '--mechanisms', 'pipe', '--sizes', '64', '--placement', 'same,split', '--repetitions', '3', '--duration-ms', '40', '--warmup-ms', '10', '--no-floors', '--out', out]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Latency — round trip/);
    expect(r.stdout).toMatch(/^mechanism\s+impl\s+placement\s+size\s+p50\s+spread\s+p90/m);
    expect(r.stdout).toMatch(/^mechanism\s+impl\s+placement\s+size\s+MB\/s\s+spread\s+msgs\/s/m);
    expect(r.stdout).toMatch(/pipe\s+TS blocking\s+same \(\d\/\d\)\s+64 B\s+[\d.]+ µs\s+[\d.]+–[\d.]+ µs/);
    expect(r.stdout).toMatch(/pipe\s+Node async\s+split \(0\/1\)\s+64 B/);
    const res = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as Results;
    expect(res.schema).toBe(RESULTS_SCHEMA);
    expect(res.machine).toMatchObject({ cores: expect.any(Number), kernel: expect.any(String), node: process.version });
    expect(res.machine.topology.allowed.length).toBeGreaterThan(0);
    expect(res.machine.topology.smtSiblings.flat().length).toBe(res.machine.topology.online.length);
    expect(res.settings).toMatchObject({ repetitions: 3, latencyWarmupMs: 10, throughputWarmupMs: 10, unstableSpread: 0.2 });
    expect(res.harness.cpuTimeSource).toMatch(/clock_getcpuclockid/);
    expect(res.errors).toEqual([]);
    const lat = res.rows.filter((x): x is LatencyRow => x.kind === 'latency');
    const thr = res.rows.filter((x): x is ThroughputRow => x.kind === 'throughput');
    // 4 impls × 2 placements each.
    const kinds = ['c/blocking', 'node/async', 'ts/async', 'ts/blocking'].flatMap((k) => [`${k}/same`, `${k}/split`]);
    expect(lat.map((x) => `${x.impl}/${x.path}/${x.placement}`).sort()).toEqual(kinds);
    expect(thr.map((x) => `${x.impl}/${x.path}/${x.placement}`).sort()).toEqual(kinds);
    for (const row of [...lat, ...thr]) {
      expect(row.repetitions).toBe(3);
      expect(row.reps).toHaveLength(3);
      expect(typeof row.unstable).toBe('boolean');
      expect(row.spread.min).toBeLessThanOrEqual(row.spread.max);
      expect(row.ratioToC === null).toBe(row.impl === 'c');
      expect(row.cpus.parent).not.toBeNull();
    }
    for (const row of lat) {
      expect(row.samples).toBeGreaterThan(0);
      expect(row.histogram.count).toBe(row.samples);
      expect(row.reps.reduce((n, x) => n + x.samples, 0)).toBe(row.samples);
      expect(row.p50).toBeGreaterThanOrEqual(row.spread.min);
      expect(row.p50).toBeLessThanOrEqual(row.spread.max);
      expect(row.spread.min).toBe(Math.min(...row.reps.map((x) => x.p50)));
      expect(row.p90).toBeLessThanOrEqual(row.p99);
      expect(row.cpuNsPerOp).toBeGreaterThan(0);
      if (row.impl !== 'c') for (const rep of row.reps) expect(rep.ratioToC).toEqual(expect.any(Number));
    }
    for (const row of thr) {
      expect(row.verified).toBe(true);
      expect(row.warmupMessages).toBeGreaterThan(0);
      expect(row.received).toBe(row.warmupMessages + row.messages);
      expect(row.warmupReceived).toBe(row.warmupMessages);
      expect(row.bytes).toBe(row.messages * 64);
      expect(row.mbPerSec).toBeGreaterThan(0);
      expect(row.spread.min).toBe(Math.min(...row.reps.map((x) => x.mbPerSec)));
    }
    const split = lat.find((x) => x.placement === 'split')!;
    expect(split.cpus.parent).not.toBe(split.cpus.child);
  });

  it('semantics: the matrix for pipe, FIFO and TCP is measured and agrees with the notes', async () => {
    const r = await run(['bench', 'semantics', '--mechanisms', 'pipe,fifo,tcp', '--json', '--out', out]);
    expect(r.code).toBe(0);
    const res = JSON.parse(r.stdout) as Results;
    expect(res.errors).toEqual([]);
    const byId = Object.fromEntries(res.semantics.map((s) => [s.mechanism, s]));
    const seen = (id: string) => {
      const s = byId[id]!;
      return { boundaries: s.boundaries.observed, duplex: s.duplex.observed, reliable: s.reliable.observed, reach: s.reach.observed };
    };
    expect(seen('pipe')).toEqual({ boundaries: false, duplex: 'half', reliable: true, reach: 'related' });
    expect(seen('fifo')).toEqual({ boundaries: false, duplex: 'half', reliable: true, reach: 'local' });
    expect(seen('tcp')).toEqual({ boundaries: false, duplex: 'full', reliable: true, reach: 'network' });
    for (const s of res.semantics) {
      for (const key of ['boundaries', 'duplex', 'reliable', 'reach', 'truncation', 'maxMessage', 'passesFds', 'zeroCopy'] as const) {
        expect(s[key].agrees).toBe(true);
        expect(s[key].evidence.length).toBeGreaterThan(10);
      }
      expect(s.zeroCopy.observed).toBe(false); // the receiver's copy stayed 'A' after the sender overwrote its buffer
      expect(s.persistence).toMatchObject({ observed: null, agrees: null, evidence: expect.stringMatching(/^not observed: /) });
    }
    expect(byId.pipe!.boundaries.evidence).toMatch(/^100 sends of 1…100 bytes arrived as \d+ reads?/);
    expect(byId.pipe!.duplex.evidence).toMatch(/read only \(write → EBADF\)/);
    expect(byId.tcp!.duplex.evidence).toMatch(/1 fd for the channel: socket:\[\d+\] both ways/);
    expect(byId.pipe!.passesFds).toMatchObject({ observed: false, agrees: true, evidence: expect.stringMatching(/ENOTSOCK/) });
    expect(byId.tcp!.passesFds).toMatchObject({ observed: false, agrees: true });
    // Network reach is observed, not read off the spec: a peer in another network namespace came in
    // over a veth link to a non-loopback address; FIFO has no network address, and says it was not tried.
    expect(byId.tcp!.reach.evidence).toMatch(/a peer in network namespace \S+ \(10\.\d+\.\d+\.2\) connected over a veth link to 10\.\d+\.\d+\.1 in \S+, and its message arrived/);
    expect(byId.fifo!.reach.evidence).toMatch(/network: not tried, it has no network address/);
  });

  it('semantics: shared memory — zero-copy observed in every kind of region, and what a killed creator leaves: nothing (anon), the object (posix, xsi), the file (file)', async () => {
    const r = await run(['bench', 'semantics', '--mechanisms', 'shm-anon,shm-posix,shm-xsi,shm-file', '--json', '--out', out]);
    expect(r.code).toBe(0);
    const res = JSON.parse(r.stdout) as Results;
    expect(res.errors).toEqual([]);
    for (const s of res.semantics) {
      for (const key of ['boundaries', 'duplex', 'reliable', 'reach', 'truncation', 'maxMessage', 'zeroCopy', 'persistence'] as const) expect(s[key].agrees, `${s.mechanism} ${key}: ${s[key].evidence}`).toBe(true);
      expect(s.zeroCopy.evidence).toMatch(/the receiver's bytes turned to B/);
    }
    expect(Object.fromEntries(res.semantics.map((s) => [s.mechanism, s.persistence.observed]))).toEqual({ 'shm-anon': 'none', 'shm-posix': 'kernel', 'shm-xsi': 'kernel', 'shm-file': 'file' });
    expect(res.semantics[0]!.persistence.evidence).toMatch(/\/proc\/\d+\/fd\/\d+ \(a memfd's only name\) failed with ENOENT/);
  });

  it('sync semantics: each primitive observed across threads and processes, beside the notes (and only sync ids select only sync rows)', async () => {
    const r = await run(['bench', 'semantics', '--mechanisms', 'futex-mutex,atomics-wait-mutex,robust-mutex,mutex,rwlock,cond,semaphore,futex-semaphore,named-semaphore,xsi-semaphore,eventfd', '--json', '--out', out]);
    expect(r.code).toBe(0);
    const res = JSON.parse(r.stdout) as Results;
    expect(res.errors).toEqual([]);
    expect(res.semantics).toEqual([]);
    const by = Object.fromEntries(res.syncSemantics.map((s) => [s.primitive, s]));
    expect(Object.keys(by)).toEqual(['futex-mutex', 'atomics-wait-mutex', 'robust-mutex', 'mutex', 'rwlock', 'cond', 'semaphore', 'futex-semaphore', 'named-semaphore', 'xsi-semaphore', 'eventfd']);
    for (const s of res.syncSemantics) {
      for (const [key, cell] of Object.entries(s)) {
        if (key === 'primitive') continue;
        const c = cell as { agrees: boolean | null; evidence: string };
        expect(c.agrees === null ? /^not observed: / : /\S/, `${s.primitive} ${key}: ${c.evidence}`).toSatisfy((re: RegExp) => re.test(c.evidence));
        if (c.agrees !== null) expect(c.agrees, `${s.primitive} ${key}: ${c.evidence}`).toBe(true);
      }
    }
    // The differences the matrix is for, each seen happen:
    expect(by['atomics-wait-mutex']!.wakesOtherProcess).toMatchObject({ observed: false, evidence: expect.stringMatching(/Atomics.notify woke nothing/) });
    expect(by['futex-mutex']!.wakesOtherProcess).toMatchObject({ observed: true, evidence: expect.stringMatching(/asleep in futex\(2\) .* was woken by the release/) });
    expect(by['robust-mutex']!.survivesHolderDeath).toMatchObject({ observed: true, evidence: expect.stringMatching(/EOWNERDEAD, then consistent\(\)/) });
    expect(by.mutex!.survivesHolderDeath).toMatchObject({ observed: false, evidence: expect.stringMatching(/still held/) });
    expect(by['named-semaphore']!.unrelatedProcesses).toMatchObject({ observed: true, evidence: expect.stringMatching(/opened it by its name \/ipc-compare-/) });
    expect(by.semaphore!.unrelatedProcesses).toMatchObject({ observed: false });
    // The XSI row's reason to be: SEM_UNDO gives a SIGKILLed holder's unit back; a POSIX semaphore's stays taken.
    expect(by['xsi-semaphore']!.survivesHolderDeath).toMatchObject({ observed: true, agrees: true, evidence: expect.stringMatching(/SEM_UNDO/) });
    expect(by.semaphore!.survivesHolderDeath).toMatchObject({ observed: false, agrees: true, evidence: expect.stringMatching(/still held/) });
    expect(by['xsi-semaphore']!.unrelatedProcesses).toMatchObject({ observed: true, evidence: expect.stringMatching(/opened it by its id \d+ /) });
    expect(by['xsi-semaphore']!.wakesOtherProcess).toMatchObject({ observed: true, evidence: expect.stringMatching(/asleep in semtimedop\(2\)/) });
    expect(by['futex-mutex']!.syncBlocksLoop).toMatchObject({ observed: true });
    expect(by['futex-mutex']!.asyncBlocksLoop).toMatchObject({ observed: false });
    expect(by.mutex!.asyncBlocksLoop).toMatchObject({ observed: false, agrees: true }); // lock() through a lock agent
    expect(by['atomics-wait-mutex']!.asyncBlocksLoop).toMatchObject({ observed: null, agrees: null });
    // The two that are not locks, as the locks they make: a Cond monitor wakes a process asleep in
    // pthread_cond_wait; an eventfd waiter sleeps in poll(2), and no path reaches it without inheritance.
    expect(by.cond!.wakesOtherProcess).toMatchObject({ observed: true, evidence: expect.stringMatching(/asleep in futex\(2\)/) });
    expect(by.eventfd!.wakesOtherProcess).toMatchObject({ observed: true, evidence: expect.stringMatching(/asleep in poll\(2\)/) });
    expect(by.eventfd!.unrelatedProcesses).toMatchObject({ observed: false, evidence: expect.stringMatching(/ENXIO/) });
    expect(by.eventfd!.asyncBlocksLoop).toMatchObject({ observed: false });
  });

  it('datagrams in one run: UDP loses under overload and says how much, UNIX datagrams hold the sender back and lose nothing', async () => {
    const r = await run(['bench', 'semantics', '--mechanisms', 'udp,unix-dgram,unix-seqpacket', '--json', '--out', out]);
    expect(r.code).toBe(0);
    const res = JSON.parse(r.stdout) as Results;
    expect(res.errors).toEqual([]);
    const by = Object.fromEntries(res.semantics.map((s) => [s.mechanism, s]));
    expect(by.udp!.reliable).toMatchObject({ claimed: false, observed: false, agrees: true, evidence: expect.stringMatching(/\d+ arrived, [1-9]\d* lost \([\d.]+%\)/) });
    for (const id of ['unix-dgram', 'unix-seqpacket']) {
      expect(by[id]!.reliable).toMatchObject({ observed: true, agrees: true, evidence: expect.stringMatching(/all arrived, in order, intact; the kernel made the sender wait \d+ times \(EAGAIN\)/) });
      expect(by[id]!.maxMessage).toMatchObject({ observed: 212960, agrees: true });
    }
    for (const id of ['udp', 'unix-dgram', 'unix-seqpacket']) {
      expect(by[id]!.boundaries).toMatchObject({ observed: true, agrees: true });
      expect(by[id]!.truncation).toMatchObject({ observed: true, agrees: true, evidence: expect.stringMatching(/MSG_TRUNC gave the real length/) });
    }
    expect(by.udp!.maxMessage).toMatchObject({ observed: 65507, agrees: true });
    expect(by['unix-seqpacket']!.reach.observed).toBe('local');
  });

  it('datagram rows: sizes capped at the maximum datagram, loss reported for UDP, none for UNIX', async () => {
    const r = await run(['bench', 'throughput', '--mechanisms', 'udp,unix-dgram', '--sizes', '4k,1m', '--placement', 'same', '--repetitions', '2', '--duration-ms', '80', '--json', '--out', out]);
    expect(r.code).toBe(0);
    const res = JSON.parse(r.stdout) as Results;
    expect(res.errors).toEqual([]);
    const thr = res.rows as ThroughputRow[];
    expect([...new Set(thr.filter((x) => x.mechanism === 'udp').map((x) => x.size))]).toEqual([4096, 65507]);
    expect([...new Set(thr.filter((x) => x.mechanism === 'unix-dgram').map((x) => x.size))]).toEqual([4096, 212960]);
    for (const row of thr) {
      expect(row.verified).toBe(true);
      expect(row.corrupt).toBe(0);
      if (row.mechanism === 'unix-dgram') expect(row.lost).toBe(0);
      expect(row.received + row.lost).toBeGreaterThanOrEqual(row.warmupMessages + row.messages - row.corrupt);
    }
    expect(thr.some((x) => x.mechanism === 'udp' && x.impl === 'node')).toBe(true);
  });

  it('unix-stream against node:net on a socket path, socketpair, and who passes fds', async () => {
    const r = await run(['bench', 'all', '--mechanisms', 'unix-stream,socketpair', '--sizes', '64', '--placement', 'same', '--repetitions', '2', '--duration-ms', '60', '--warmup-ms', '10', '--no-floors', '--json', '--out', out]);
    expect(r.code).toBe(0);
    const res = JSON.parse(r.stdout) as Results;
    expect(res.errors).toEqual([]);
    const lat = res.rows.filter((x): x is LatencyRow => x.kind === 'latency');
    expect(lat.filter((x) => x.mechanism === 'unix-stream').map((x) => `${x.impl}/${x.path}`).sort()).toEqual(['c/blocking', 'node/async', 'ts/async', 'ts/blocking']);
    expect(lat.filter((x) => x.mechanism === 'socketpair').map((x) => `${x.impl}/${x.path}`).sort()).toEqual(['c/blocking', 'ts/async', 'ts/blocking']);
    const by = Object.fromEntries(res.semantics.map((s) => [s.mechanism, s]));
    expect(by['unix-stream']!.passesFds).toMatchObject({ claimed: true, observed: true, agrees: true });
    expect(by.socketpair!.reach.observed).toBe('related');
    expect(by['unix-stream']!.reach.observed).toBe('local');
  });

  it('FIFO and TCP rows (TCP with its node:net baseline), and the two Nagle rows (write-write-read) measured', async () => {
    const r = await run(['bench', 'all', '--mechanisms', 'fifo,tcp,tcp-2w,tcp-nagle-2w', '--sizes', '64', '--placement', 'same', '--repetitions', '2', '--duration-ms', '60', '--warmup-ms', '10', '--no-floors', '--json', '--out', out]);
    expect(r.code).toBe(0);
    const res = JSON.parse(r.stdout) as Results;
    expect(res.errors).toEqual([]);
    const lat = res.rows.filter((x): x is LatencyRow => x.kind === 'latency');
    const impls = { fifo: ['c/blocking', 'ts/async', 'ts/blocking'], tcp: ['c/blocking', 'node/async', 'ts/async', 'ts/blocking'] };
    for (const id of ['fifo', 'tcp'] as const) {
      expect(lat.filter((x) => x.mechanism === id).map((x) => `${x.impl}/${x.path}`).sort()).toEqual(impls[id]);
      expect(res.rows.filter((x) => x.kind === 'throughput' && x.mechanism === id).every((x) => (x as ThroughputRow).verified)).toBe(true);
    }
    const p50 = (id: string, impl: string) => lat.find((x) => x.mechanism === id && x.impl === impl && x.path === 'blocking')!.p50;
    // What Nagle costs is a figure for the bench table, not a pass/fail test (timings here are noisy):
    // both rows are measured, by C and TS, and the ratio is printed.
    for (const impl of ['c', 'ts']) console.log(`tcp write-write-read, ${impl}: Nagle on ${(p50('tcp-nagle-2w', impl) / p50('tcp-2w', impl)).toFixed(0)}× the TCP_NODELAY p50`);
    expect(res.rows.some((x) => x.mechanism.startsWith('tcp-') && x.kind === 'throughput')).toBe(false);
  });

  it('prints JSON on --json and refuses bad arguments with usage (exit 2)', async () => {
    const j = await run(['bench', 'latency', '--sizes', '1', '--placement', 'none', '--repetitions', '1', '--duration-ms', '20', '--warmup-ms', '5', '--no-floors', '--json', '--out', out]);
    expect(j.code).toBe(0);
    const res = JSON.parse(j.stdout) as Results;
    expect(res.rows.every((x) => x.placement === 'none' && x.cpus.parent === null)).toBe(true);
    for (const bad of [['bench', 'sideways'], ['bench', '--sizes', '0'], ['bench', '--placement', 'left'], ['bench', '--mechanisms', 'carrier-pigeon'], ['bench', '--repetitions', '0'], ['bench', '--warmup-ms', '1.5'], ['frobnicate']]) {
      const r = await run(bad);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^ipc-compare: .+\n\nusage: ipc-compare bench/);
    }
  });

  it('checks --out before measuring: an unusable directory is one line on stderr, exit 2, nothing measured', async () => {
    const file = join(out, 'read-only-file');
    writeFileSync(file, 'not a directory\n');
    chmodSync(file, 0o444);
    for (const dir of ['/proc/nope', join(file, 'sub')]) {
      const r = await run(['bench', 'latency', '--mechanisms', 'pipe', '--sizes', '1', '--repetitions', '1', '--duration-ms', '10000', '--no-floors', '--out', dir]);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe(''); // no table: it stopped before the run
      expect(r.stderr).toMatch(new RegExp(`^ipc-compare: --out ${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: cannot create the directory: .+\n$`));
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    }
    expect(existsSync('/proc/nope')).toBe(false);
  });

  it('--out creates missing directories and leaves only results.json there', async () => {
    const dir = join(out, 'a', 'b');
    const r = await run(['bench', 'latency', '--mechanisms', 'pipe', '--sizes', '1', '--placement', 'same', '--repetitions', '1', '--duration-ms', '10', '--warmup-ms', '0', '--no-floors', '--out', dir]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`results: ${join(dir, 'results.json')}\n$`));
    expect((JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as Results).rows.length).toBe(4);
    expect(readdirSync(dir)).toEqual(['results.json']); // the write probe and the temporary file are gone
  });
});
