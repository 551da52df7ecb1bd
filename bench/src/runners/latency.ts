// Latency: one repetition of ping-pong round trips between this process and a peer process, timed
// one by one. tinybench drives the TypeScript rows (warm-up phase, then the timed phase with every
// sample kept, then recorded into the histogram); the C rows come from the C baseline, which times
// itself the same way and prints the same histogram (PROTOCOL.md). aggregate.ts makes rows of them.
import { Bench } from 'tinybench';
import { placementCpus, processCpuNs, type Channel, type Placement } from '@ipc-compare/core';
import type { Mechanism } from '../mechanisms.js';
import { latencyPayload } from '../protocol.js';
import { Histogram } from '../histogram.js';
import type { RowBase } from '../results.js';
import { recvMessage, splitForWrites, type Path } from '../roles.js';
import { latencyStats } from '../stats.js';
import { runCLatency } from './c-baseline.js';
import { withSession } from './session.js';

export interface LatencySettings {
  size: number;
  placement: Placement;
  warmupMs: number;
  durationMs: number;
}

/** One repetition: every timed round trip, and the CPU time both processes used meanwhile. */
export interface LatencyMeasurement {
  cpus: RowBase['cpus'];
  histogram: Histogram;
  /** CPU time of both processes over the timed phase, ns. */
  cpuNs: number;
}

function checkReply(reply: Uint8Array, msg: Uint8Array): void {
  const last = msg.length - 1;
  if (reply.length !== msg.length || reply[0] !== msg[0] || reply[last] !== msg[last]) {
    throw new Error('reply differs from the message: stream out of step');
  }
}

/** One round trip on the blocking path: send, then read until the whole echo is back. */
function blockingRoundTrip(ch: Channel, msg: Uint8Array, reply: Uint8Array, writes: 1 | 2, datagrams: boolean): () => void {
  const size = msg.length;
  const parts = splitForWrites(msg, writes);
  return () => {
    for (const part of parts) ch.sendSync!(part);
    let got = 0;
    do {
      const n = ch.recvSync!(got === 0 ? reply : reply.subarray(got));
      if (n === null) throw new Error('peer closed the channel');
      got += n;
    } while (!datagrams && got < size);
    if (got !== size) throw new Error(`a ${got}-byte reply to a ${size}-byte ping`);
    checkReply(reply, msg);
  };
}

function asyncRoundTrip(ch: Channel, msg: Uint8Array, writes: 1 | 2, datagrams: boolean): () => Promise<void> {
  const parts = splitForWrites(msg, writes);
  return async () => {
    for (const part of parts) await ch.send(part);
    const reply = await recvMessage(ch, msg.length, datagrams);
    if (reply === null) throw new Error('peer closed the channel');
    checkReply(reply, msg);
  };
}

/**
 * Runs `fn` under tinybench for the given phases; returns the timed samples as a histogram and the
 * CPU time of `cpuPids` over the timed phase (read just before its first and after its last sample).
 */
export async function timeWithTinybench(
  fn: (() => void) | (() => Promise<void>),
  path: Path,
  s: { warmupMs: number; durationMs: number },
  cpuPids: number[],
): Promise<{ histogram: Histogram; cpuNs: number }> {
  let cpuStart = 0;
  let cpuNs = 0;
  const cpuNow = () => cpuPids.reduce((sum, pid) => sum + processCpuNs(pid), 0);
  const bench = new Bench({
    time: s.durationMs,
    // Like the C baseline: at least one sample, otherwise the time decides (a Nagle stall is ≈ 90 ms:
    // a floor of more samples would multiply the run time of those rows).
    iterations: 1,
    warmup: s.warmupMs > 0,
    warmupTime: s.warmupMs,
    warmupIterations: 1,
    retainSamples: true,
    timestampProvider: 'hrtimeNow',
    throws: true,
  });
  bench.add('round trip', fn, {
    async: path === 'async',
    beforeAll: (mode) => {
      if (mode === 'run') cpuStart = cpuNow();
    },
    afterAll: (mode) => {
      if (mode === 'run') cpuNs = cpuNow() - cpuStart;
    },
  });
  if (path === 'blocking') bench.runSync();
  else await bench.run();
  const result = bench.tasks[0]!.result;
  if (result.state !== 'completed') throw 'error' in result ? result.error : new Error(`tinybench task ${result.state}`);
  const samples = result.latency.samples;
  if (!samples) throw new Error('tinybench kept no samples');
  // tinybench's samples are ms (from process.hrtime.bigint): back to whole ns.
  const histogram = new Histogram();
  for (const ms of samples) histogram.record(ms * 1e6);
  return { histogram, cpuNs };
}

/** One repetition of a TypeScript row: this project's transport (impl 'ts') or the Node built-in baseline ('node'). */
export function measureTsLatency(m: Mechanism, impl: 'ts' | 'node', path: Path, s: LatencySettings): Promise<LatencyMeasurement> {
  const writes = m.latencyWrites ?? 1;
  return withSession(m, impl, { name: 'pong', size: s.size, path, writes }, s.placement, async ({ channel: ch, peer, cpus }) => {
    const msg = latencyPayload(s.size);
    const datagrams = (impl === 'node' ? m.nodeBaseline!.transport : m.transport).semantics.boundaries;
    const fn = path === 'blocking' ? blockingRoundTrip(ch, msg, Buffer.allocUnsafe(s.size), writes, datagrams) : asyncRoundTrip(ch, msg, writes, datagrams);
    await fn(); // the first round trip (page faults, lazy init) is discarded
    const { histogram, cpuNs } = await timeWithTinybench(fn, path, s, [process.pid, peer.pid]);
    // A datagram peer never sees an end: an empty datagram tells it to stop (PROTOCOL.md).
    if (datagrams) await (path === 'blocking' ? Promise.resolve(ch.sendSync!(new Uint8Array(0))) : ch.send(new Uint8Array(0)));
    await ch.close();
    await peer.result();
    return { cpus, histogram, cpuNs };
  });
}

/** One repetition of the C row. */
export async function measureCLatency(m: Mechanism, s: LatencySettings): Promise<LatencyMeasurement> {
  const cpus = placementCpus(s.placement);
  const extra = [...(m.cArgs ?? []), ...(m.latencyWrites === 2 ? ['--writes', '2'] : [])];
  const out = await runCLatency(m.cBaseline!, { size: s.size, warmupMs: s.warmupMs, durationMs: s.durationMs, cpus, extra });
  return { cpus, histogram: Histogram.fromData(out.histogram), cpuNs: out.cpuNsParent + out.cpuNsChild };
}

/**
 * What tinybench itself adds to one sample: the median of a no-op task on each path. Reported so the
 * overhead can be compared with the fastest figure measured.
 */
export async function measureSampleOverhead(): Promise<{ blocking: number; async: number }> {
  const settings = { warmupMs: 50, durationMs: 150 };
  const sync = await timeWithTinybench(() => {}, 'blocking', settings, []);
  const asyncOv = await timeWithTinybench(async () => {}, 'async', settings, []);
  return { blocking: latencyStats(sync.histogram).p50, async: latencyStats(asyncOv.histogram).p50 };
}
