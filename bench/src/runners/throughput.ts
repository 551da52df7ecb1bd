// Throughput: a one-way stream from this process to a peer process for a fixed time; the receiver
// checks every message (sequence, payload byte for byte) and reports back (PROTOCOL.md).
import { placementCpus, processCpuNs, type Channel, type Placement } from '@ipc-compare/core';
import type { Mechanism } from '../mechanisms.js';
import { FLAG_END, MessageSource, Patterns, REPORT_BYTES, decodeReport, type ReceiverReport } from '../protocol.js';
import type { ThroughputRow } from '../results.js';
import { recvMessage, type Path } from '../roles.js';
import { constants, poll } from '@ipc-compare/native';
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
/** Datagram END: sent three times, 1 ms apart, unless the report arrives first (PROTOCOL.md). */
const END_COPIES = 3;
const REPORT_WAIT_MS = 5000;

function endAndReportSync(ch: Channel, end: Uint8Array): Uint8Array {
  const [fd] = ch.fds!();
  for (let i = 0; i < END_COPIES; i++) {
    ch.sendSync!(end);
    if (poll(fd!, constants.POLLIN, 1) !== 0) break;
  }
  if (poll(fd!, constants.POLLIN, REPORT_WAIT_MS) === 0) throw new Error(`no report within ${REPORT_WAIT_MS} ms`);
  return recvReportSync(ch);
}

async function endAndReport(ch: Channel, end: Uint8Array): Promise<Uint8Array> {
  for (let i = 0; i < END_COPIES; i++) {
    await ch.send(end);
    const r = await ch.recv({ signal: AbortSignal.timeout(i < END_COPIES - 1 ? 1 : REPORT_WAIT_MS) }).catch((err: unknown) => {
      if ((err as { name?: string }).name === 'AbortError') return undefined;
      throw err;
    });
    if (r) return r;
  }
  throw new Error(`no report within ${REPORT_WAIT_MS} ms`);
}

async function stream(ch: Channel, path: Path, size: number, durationMs: number, datagrams: boolean): Promise<{ messages: number; elapsedNs: number; report: ReceiverReport }> {
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
    const end = source.take(seq, FLAG_END);
    if (datagrams) report = endAndReportSync(ch, end);
    else {
      ch.sendSync!(end);
      report = recvReportSync(ch);
    }
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
    const end = source.take(seq, FLAG_END);
    if (datagrams) report = await endAndReport(ch, end);
    else {
      await ch.send(end);
      const r = await recvMessage(ch, REPORT_BYTES);
      if (r === null) throw new Error('peer closed the channel before its report');
      report = r;
    }
  }
  const elapsedNs = Number(process.hrtime.bigint() - t0);
  return { messages: seq, elapsedNs, report: decodeReport(report) };
}

function row(
  m: Mechanism,
  reliable: boolean,
  impl: 'ts' | 'c' | 'node',
  path: Path,
  s: ThroughputSettings,
  cpus: ThroughputRow['cpus'],
  r: { messages: number; elapsedNs: number; cpuNs: number } & ReceiverReport,
): ThroughputRow {
  // Delivered data: for a lossy mechanism what arrived intact, not what was sent.
  const bytes = r.received * s.size;
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
    msgsPerSec: r.received / seconds,
    cpuNsPerMB: r.cpuNs / (bytes / 1e6),
    received: r.received,
    lost: r.lost,
    reordered: r.reordered,
    corrupt: r.corrupt,
    lossRate: r.messages > 0 ? r.lost / r.messages : 0,
    verified: r.corrupt === 0 && (!reliable || (r.received === r.messages && r.lost === 0 && r.reordered === 0)),
    ratioToC: null,
  };
}

/** A TypeScript row: this project's transport (impl 'ts') or the Node built-in baseline ('node'). */
export function measureTsThroughput(m: Mechanism, impl: 'ts' | 'node', path: Path, s: ThroughputSettings): Promise<ThroughputRow> {
  return withSession(m, impl, { name: 'receiver', size: s.size, path }, s.placement, async ({ channel, peer, cpus }) => {
    const datagrams = (impl === 'node' ? m.nodeBaseline!.transport : m.transport).semantics.boundaries;
    const cpu0 = processCpuNs(process.pid) + processCpuNs(peer.pid);
    const r = await stream(channel, path, s.size, s.durationMs, datagrams);
    const cpuNs = processCpuNs(process.pid) + processCpuNs(peer.pid) - cpu0;
    if (datagrams) peer.send('done'); // no end of stream to tell the receiver it may go
    await channel.close();
    await peer.result();
    return row(m, m.transport.semantics.reliable, impl, path, s, cpus, { ...r, ...r.report, cpuNs });
  });
}

export async function measureCThroughput(m: Mechanism, s: ThroughputSettings): Promise<ThroughputRow> {
  const cpus = placementCpus(s.placement);
  const out = await runCThroughput(m.cBaseline!, { size: s.size, durationMs: s.durationMs, cpus, extra: m.cArgs ?? [] });
  return row(m, m.transport.semantics.reliable, 'c', 'blocking', s, cpus, { ...out, cpuNs: out.cpuNsParent + out.cpuNsChild });
}
