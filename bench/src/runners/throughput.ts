// Throughput: a one-way stream from this process to a peer process for a fixed time; the receiver
// checks every message (sequence, payload byte for byte) and reports back (PROTOCOL.md).
import { placementCpus, processCpuNs, type Channel, type Placement } from '@ipc-compare/core';
import type { Mechanism } from '../mechanisms.js';
import { FLAG_END, MessageSource, Patterns, REPORT_BYTES, decodeReport, type ReceiverReport } from '../protocol.js';
import type { ThroughputRow } from '../results.js';
import { recvMessage, type Path } from '../roles.js';
import { runCThroughput } from './c-baseline.js';
import { withSession } from './session.js';

export interface ThroughputSettings {
  size: number;
  placement: Placement;
  durationMs: number;
}

/** Bytes the async sender lets pile up in the channel before it waits: what a streaming app does. */
const ASYNC_WINDOW_BYTES = 256 * 1024;

function recvReportSync(ch: Channel): Uint8Array {
  const buf = Buffer.alloc(REPORT_BYTES);
  let got = 0;
  while (got < REPORT_BYTES) {
    const n = ch.recvSync!(buf.subarray(got));
    if (n === null) throw new Error('peer closed the channel before its report');
    got += n;
  }
  return buf;
}

/** Streams for `durationMs`, sends END, waits for the report. Returns messages sent and ns elapsed. */
async function stream(ch: Channel, path: Path, size: number, durationMs: number): Promise<{ messages: number; elapsedNs: number; report: ReceiverReport }> {
  const source = new MessageSource(new Patterns(size));
  const limit = BigInt(durationMs) * 1_000_000n;
  // Reading the clock costs ~40 ns; for small messages read it every 16 sends.
  const clockEvery = size < 4096 ? 16 : 1;
  let seq = 0;
  const t0 = process.hrtime.bigint();
  let report: Uint8Array;
  if (path === 'blocking') {
    // sendSync returns once the kernel has the bytes, so the one message per pattern is reused at once.
    do {
      const m = source.take(seq++);
      ch.sendSync!(m);
      source.give(m);
    } while (seq % clockEvery !== 0 || process.hrtime.bigint() - t0 < limit);
    ch.sendSync!(source.take(seq, FLAG_END));
    report = recvReportSync(ch);
  } else {
    const window = Math.max(1, Math.floor(ASYNC_WINDOW_BYTES / size));
    const inFlight: Buffer[] = [];
    let last: Promise<void>;
    do {
      const m = source.take(seq++);
      last = ch.send(m);
      // Sends fail together (a broken stream stays broken): the awaited one reports it.
      last.catch(() => {});
      inFlight.push(m);
      if (seq % window === 0) {
        await last; // sends resolve in order: every message in flight is now in the kernel
        for (const done of inFlight.splice(0)) source.give(done);
      }
    } while (seq % clockEvery !== 0 || process.hrtime.bigint() - t0 < limit);
    await ch.send(source.take(seq, FLAG_END));
    const r = await recvMessage(ch, REPORT_BYTES);
    if (r === null) throw new Error('peer closed the channel before its report');
    report = r;
  }
  const elapsedNs = Number(process.hrtime.bigint() - t0);
  return { messages: seq, elapsedNs, report: decodeReport(report) };
}

function row(
  m: Mechanism,
  impl: 'ts' | 'c' | 'node',
  path: Path,
  s: ThroughputSettings,
  cpus: ThroughputRow['cpus'],
  r: { messages: number; elapsedNs: number; cpuNs: number } & ReceiverReport,
): ThroughputRow {
  const bytes = r.messages * s.size;
  const seconds = r.elapsedNs / 1e9;
  return {
    kind: 'throughput',
    mechanism: m.id,
    impl,
    path,
    placement: s.placement,
    cpus,
    size: s.size,
    messages: r.messages,
    bytes,
    elapsedNs: r.elapsedNs,
    mbPerSec: bytes / 1e6 / seconds,
    msgsPerSec: r.messages / seconds,
    cpuNsPerMB: r.cpuNs / (bytes / 1e6),
    received: r.received,
    lost: r.lost,
    reordered: r.reordered,
    corrupt: r.corrupt,
    verified: r.received === r.messages && r.lost === 0 && r.reordered === 0 && r.corrupt === 0,
    ratioToC: null,
  };
}

/** A TypeScript row: this project's transport (impl 'ts') or the Node built-in baseline ('node'). */
export function measureTsThroughput(m: Mechanism, impl: 'ts' | 'node', path: Path, s: ThroughputSettings): Promise<ThroughputRow> {
  return withSession(m, impl, { name: 'receiver', size: s.size, path }, s.placement, async ({ channel, peer, cpus }) => {
    const cpu0 = processCpuNs(process.pid) + processCpuNs(peer.pid);
    const r = await stream(channel, path, s.size, s.durationMs);
    const cpuNs = processCpuNs(process.pid) + processCpuNs(peer.pid) - cpu0;
    await channel.close();
    await peer.result();
    return row(m, impl, path, s, cpus, { ...r, ...r.report, cpuNs });
  });
}

export async function measureCThroughput(m: Mechanism, s: ThroughputSettings): Promise<ThroughputRow> {
  const cpus = placementCpus(s.placement);
  const out = await runCThroughput(m.cBaseline!, { size: s.size, durationMs: s.durationMs, cpus, extra: m.cArgs ?? [] });
  return row(m, 'c', 'blocking', s, cpus, { ...out, cpuNs: out.cpuNsParent + out.cpuNsChild });
}
