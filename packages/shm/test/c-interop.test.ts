// A C process as the peer of the TypeScript channel: c/ring-peer.c, built on bench/c/shm-ring.h (the
// ring the C baseline measures), maps a channel this process made — by its POSIX name, by its XSI id —
// claims it as attach() does and echoes every message. Byte-exact echoes at sizes that make one padded
// record, a whole quarter-ring fragment and many fragments (the ring wrapping several times) mean both
// sides lay records out alike: a wrong header bit, length, padding or offset in the C code fails here.
// Zero-copy sends (claimSync) that leave padding records at the ring's end must be skipped there too.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Channel, Transport } from '@ipc-compare/core';
import { xsiStat } from '@ipc-compare/native';
import { attachRegion, shmPosixTransport, shmXsiTransport, type RegionParams, type ShmOpenOptions } from '../src/index.js';

const SOURCE = fileURLToPath(new URL('../c/ring-peer.c', import.meta.url));
const CC = process.env.CC || 'cc';
const haveCc = spawnSync(CC, ['--version'], { stdio: 'ignore' }).status === 0;
if (!haveCc) console.warn(`c-interop.test.ts: skipped — no C compiler ("${CC}") to build c/ring-peer.c`);

/** 1 B (one record padded to 8), 100 B, 64 KiB (exactly one quarter-ring fragment at the default capacity), 1 MiB (fragmented). */
const SIZES = [1, 100, 64 * 1024, 1024 * 1024];
/** Zero-copy sends: enough 20000-byte records to pass the end of a 256 KiB ring (and a 1 MiB one) several times. */
const CLAIMS = 160;
const CLAIM_BYTES = 20000;

let dir = '';
let peerBin = '';
beforeAll(() => {
  if (!haveCc) return;
  dir = mkdtempSync(join(tmpdir(), 'ipc-compare-shm-c-interop-'));
  peerBin = join(dir, 'ring-peer');
  // The flags the file's header gives; a warning in the shared ring code fails here too.
  execFileSync(CC, ['-O2', '-Wall', '-Werror', '-o', peerBin, SOURCE], { stdio: ['ignore', 'pipe', 'pipe'] });
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface PeerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  out: string;
  err: string;
}

function startPeer(args: string[]): { child: ChildProcess; exited: Promise<PeerExit> } {
  const child = spawn(peerBin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (out += s));
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (err += s));
  const exited = new Promise<PeerExit>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, out, err }));
  });
  return { child, exited };
}

/** A C side that misreads the records can wait for ever: fail with a reason instead. */
function within<T>(ms: number, p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms (does the C side read the records as this side writes them?)`)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/** The peer's exit; a peer still there after `ms` is killed (and its exit returned all the same). */
function exitOrKill(peer: { child: ChildProcess; exited: Promise<PeerExit> }, ms: number): Promise<PeerExit> {
  const timer = setTimeout(() => peer.child.kill('SIGKILL'), ms);
  return peer.exited.finally(() => clearTimeout(timer));
}

/** -1 when equal, else the first index where they differ (a length difference counts at the shorter end). */
function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  if (Buffer.from(a.buffer, a.byteOffset, n).equals(Buffer.from(b.buffer, b.byteOffset, n))) return a.length === b.length ? -1 : n;
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return n;
}

function expectEcho(echo: Uint8Array | null, sent: Uint8Array): void {
  expect(echo, 'an echo, not the end of stream').not.toBeNull();
  expect(echo!.length, 'echo length').toBe(sent.length);
  expect(firstDifference(echo!, sent), `first differing byte of the ${sent.length}-byte echo`).toBe(-1);
}

/** The XSI segment's state, or null once it is gone (removed and detached by everyone). */
function xsiState(id: number): { removed: boolean; attached: number } | null {
  try {
    return xsiStat(id);
  } catch {
    return null;
  }
}

const cases: Array<[string, Transport<ShmOpenOptions>, ShmOpenOptions, number]> = [
  // Default 256 KiB rings: fragments of 64 KiB, so 1 MiB is 16 fragments and 64 KiB exactly one.
  ['shm-posix', shmPosixTransport, {}, 16],
  // 1 MiB rings: fragments of 256 KiB, so 1 MiB is 4 (and the C side must take the capacity from the header).
  ['shm-xsi', shmXsiTransport, { capacity: 1 << 20 }, 4],
];

describe.skipIf(!haveCc)(`c/ring-peer.c echoes through the TypeScript channel${haveCc ? '' : ' (skipped: no C compiler)'}`, () => {
  it.each(cases)('%s: messages of 1 B, 100 B, 64 KiB and 1 MiB come back byte for byte (async, then blocking); the C side ends cleanly; nothing is left', async (_id, transport, options, fragments) => {
    const capacity = options.capacity ?? 256 * 1024;
    expect(Math.ceil(SIZES.at(-1)! / (capacity / 4))).toBe(fragments);
    const opened = await transport.open(options);
    const region = (opened.peer.params as { region: RegionParams }).region;
    // --timeout: the peer's own watchdog, for the blocking calls below (no timer fires while they block).
    const peer = startPeer([...(region.kind === 'posix' ? ['posix', region.name] : ['xsi', String(region.kind === 'xsi' ? region.id : -1)]), '--timeout', '30']);
    let ch: Channel | null = null;
    let e: PeerExit;
    try {
      // A peer that fails before it attaches would leave connect() waiting: its exit ends the race.
      ch = await Promise.race([
        opened.connect(),
        peer.exited.then((e) => {
          throw new Error(`ring-peer exited (${e.code ?? e.signal}) before attaching: ${e.err.trim()}`);
        }),
      ]);
      // Both have it mapped: the name is gone (a crash now leaves nothing).
      if (region.kind === 'posix') expect(existsSync(`/dev/shm${region.name}`)).toBe(false);
      if (region.kind === 'xsi') expect(xsiState(region.id)).toMatchObject({ removed: true, attached: 2 });

      for (const size of SIZES) {
        const msg = new Uint8Array(randomBytes(size));
        const [, echo] = await within(10_000, Promise.all([ch.send(msg), ch.recv()]), `the ${size}-byte echo`);
        expectEcho(echo, msg);
      }

      const big = new Uint8Array(randomBytes(SIZES.at(-1)!));
      ch.sendSync!(big);
      const into = new Uint8Array(big.length + 1); // one byte more: a longer echo would show
      const n = ch.recvSync!(into);
      expect(n).toBe(big.length);
      expectEcho(into.subarray(0, n!), big);

      // Zero-copy sends (claimSync): 160 records of 20000 B do not divide the ring, so claims meet its
      // end and leave padding records — which the C side must skip (SHM_PAD), not take for data.
      for (let i = 0; i < CLAIMS; i++) {
        const view = ch.claimSync!(CLAIM_BYTES);
        view.set(randomBytes(CLAIM_BYTES));
        const sent = Uint8Array.from(view); // the ring's bytes may be reused once the peer has read them
        ch.commitClaim!();
        expectEcho(ch.recvViewSync!(), sent);
      }
    } finally {
      if (ch) await ch.close();
      else await opened.close();
      // Our close is the C side's end of stream (or, after a failure here, its EPIPE): it exits.
      e = await exitOrKill(peer, 20_000);
    }

    // It stopped at the end of stream, ended its direction and exited 0.
    expect(e.err).toBe('');
    expect(e).toMatchObject({ code: 0, signal: null });
    const bytes = SIZES.reduce((a, b) => a + b, 0) + SIZES.at(-1)! + CLAIMS * CLAIM_BYTES;
    expect(e.out).toBe(`echoed ${SIZES.length + 1 + CLAIMS} messages, ${bytes} bytes\n`);

    if (region.kind === 'posix') expect(existsSync(`/dev/shm${region.name}`)).toBe(false);
    // Removed, and the C process detached: at most this process's own mapping holds it (until its
    // SharedArrayBuffer is collected), so it is gone from ipcs -m once this process exits.
    if (region.kind === 'xsi') expect(xsiState(region.id) ?? { removed: true, attached: 0 }).toMatchObject({ removed: true, attached: expect.toBeOneOf([0, 1]) });
  });

  it('a channel of another layout version is refused before the claim (the creator is not woken, the attacher slot stays free)', async () => {
    const opened = await shmPosixTransport.open();
    const region = (opened.peer.params as { region: RegionParams }).region;
    if (region.kind !== 'posix') throw new Error('kind');
    try {
      // Doctor the header the way a creator of another version would write it (this process has the
      // region mapped: the transport's own region object is not reachable, so map it again by name).
      const r = attachRegion(region);
      const h = new Int32Array(r.buffer, 0, 8);
      Atomics.store(h, 1, 99);
      const e = await exitOrKill(startPeer(['posix', region.name]), 20_000);
      expect(e).toMatchObject({ code: 1, out: '' });
      expect(e.err).toMatch(/another version/);
      expect(Atomics.load(h, 4)).toBe(0); // attacher pid: still unclaimed
      r.close();
    } finally {
      await opened.close();
    }
    expect(existsSync(`/dev/shm${region.name}`)).toBe(false);
  });
});
