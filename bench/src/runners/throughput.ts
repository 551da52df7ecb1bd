// Throughput: one repetition of a one-way stream from this process to a peer process: a warm-up, then
// the timed window; the receiver checks every message of both (sequence, payload byte for byte) and
// reports back (PROTOCOL.md). aggregate.ts makes rows of the repetitions.
import { placementCpus, processCpuNs, type Channel, type Placement } from '@ipc-compare/core';
import { constants, poll } from '@ipc-compare/native';
import type { Mechanism } from '../mechanisms.js';
import { FLAG_END, FLAG_WARMUP, MessageSource, Patterns, REPORT_BYTES, decodeReport, type ReceiverReport } from '../protocol.js';
import type { RowBase } from '../results.js';
import { recvMessage, type Path } from '../roles.js';
import { runCThroughput } from './c-baseline.js';
import { withSession } from './session.js';

export interface ThroughputSettings {
  size: number;
  placement: Placement;
  warmupMs: number;
  durationMs: number;
}

/** One repetition, as the sender saw it, with the receiver's report. */
export interface ThroughputMeasurement {
  cpus: RowBase['cpus'];
  warmupMessages: number;
  /** Data messages sent in the timed window. */
  messages: number;
  /** First timed send to the report's arrival, ns. */
  elapsedNs: number;
  /** CPU time of both processes over the same window, ns. */
  cpuNs: number;
  /** The receiver's counts over the whole stream (warm-up included). */
  report: Omit<ReceiverReport, 'bytes'>;
}

/** Bytes the async sender lets pile up in the channel before it waits: what a streaming app does. */
const ASYNC_WINDOW_BYTES = 256 * 1024;

/** Datagram END: sent three times, 1 ms apart, unless the report arrives first (PROTOCOL.md). */
const END_COPIES = 3;
const REPORT_WAIT_MS = 5000;

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

function endAndReportSync(ch: Channel, end: Uint8Array): Uint8Array {
  const [fd] = ch.fds!();
  if (fd === undefined) {
    // No fd to poll (shared memory): a reliable transport with an end of stream, whose END is not
    // lost — one END, then the report, blocking (a dead peer is an error there, not a hang).
    ch.sendSync!(end);
    return recvReportSync(ch);
  }
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

/** Sends data messages, phase after phase, keeping the sequence and (async) the window in flight. */
class Sender {
  seq = 0;
  readonly #ch: Channel;
  readonly #source: MessageSource;
  // Reading the clock costs ~40 ns; for small messages read it every 16 sends.
  readonly #clockEvery: number;
  readonly #window: number;
  readonly #inFlight: Buffer[] = [];
  #last: Promise<void> = Promise.resolve();

  constructor(ch: Channel, size: number) {
    this.#ch = ch;
    this.#source = new MessageSource(new Patterns(size));
    this.#clockEvery = size < 4096 ? 16 : 1;
    this.#window = Math.max(1, Math.floor(ASYNC_WINDOW_BYTES / size));
  }

  /** Blocking path: sendSync returns once the kernel has the bytes, so a message is reused at once. */
  sendSyncFor(ms: number, flags: number): void {
    const t0 = process.hrtime.bigint();
    const limit = BigInt(ms) * 1_000_000n;
    do {
      const m = this.#source.take(this.seq++, flags);
      this.#ch.sendSync!(m);
      this.#source.give(m);
    } while (this.seq % this.#clockEvery !== 0 || process.hrtime.bigint() - t0 < limit);
  }

  /** Async path: up to the window in flight; sends resolve in order, so one await frees them all. */
  async sendFor(ms: number, flags: number): Promise<void> {
    const t0 = process.hrtime.bigint();
    const limit = BigInt(ms) * 1_000_000n;
    do {
      const m = this.#source.take(this.seq++, flags);
      this.#last = this.#ch.send(m);
      // Sends fail together (a broken stream stays broken): the awaited one reports it.
      this.#last.catch(() => {});
      this.#inFlight.push(m);
      if (this.seq % this.#window === 0) await this.settle();
    } while (this.seq % this.#clockEvery !== 0 || process.hrtime.bigint() - t0 < limit);
  }

  /** Async path: waits until every message in flight is in the kernel (its queue empty). */
  async settle(): Promise<void> {
    await this.#last;
    for (const done of this.#inFlight.splice(0)) this.#source.give(done);
  }

  end(): Buffer {
    return this.#source.take(this.seq, FLAG_END);
  }
}

/**
 * Streams warm-up messages for `warmupMs`, then timed ones for `durationMs`, sends END, waits for the
 * report. The clock and the CPU time (`cpuNow`) are read when the timed window starts and when the
 * report has arrived, as the C baseline does.
 */
async function stream(ch: Channel, path: Path, s: ThroughputSettings, datagrams: boolean, cpuNow: () => number): Promise<Omit<ThroughputMeasurement, 'cpus'>> {
  const sender = new Sender(ch, s.size);
  let report: Uint8Array;
  if (path === 'blocking') {
    if (s.warmupMs > 0) sender.sendSyncFor(s.warmupMs, FLAG_WARMUP);
  } else if (s.warmupMs > 0) {
    await sender.sendFor(s.warmupMs, FLAG_WARMUP);
    // The warm-up's sends still queued in this process go to the kernel before the clock starts, so
    // the timed window, like C's, begins with kernel buffers full and nothing else left to send.
    await sender.settle();
  }
  const warmupMessages = sender.seq;
  const cpu0 = cpuNow();
  const t0 = process.hrtime.bigint();
  if (path === 'blocking') {
    sender.sendSyncFor(s.durationMs, 0);
    const end = sender.end();
    if (datagrams) report = endAndReportSync(ch, end);
    else {
      ch.sendSync!(end);
      report = recvReportSync(ch);
    }
  } else {
    await sender.sendFor(s.durationMs, 0);
    const end = sender.end();
    if (datagrams) report = await endAndReport(ch, end);
    else {
      await ch.send(end);
      const r = await recvMessage(ch, REPORT_BYTES);
      if (r === null) throw new Error('peer closed the channel before its report');
      report = r;
    }
  }
  const elapsedNs = Number(process.hrtime.bigint() - t0);
  const cpuNs = cpuNow() - cpu0;
  return { warmupMessages, messages: sender.seq - warmupMessages, elapsedNs, cpuNs, report: decodeReport(report) };
}

/** One repetition of a TypeScript row: this project's transport (impl 'ts') or the Node built-in baseline ('node'). */
export function measureTsThroughput(m: Mechanism, impl: 'ts' | 'node', path: Path, s: ThroughputSettings): Promise<ThroughputMeasurement> {
  return withSession(m, impl, { name: 'receiver', size: s.size, path }, s.placement, async ({ channel, peer, cpus }) => {
    const datagrams = (impl === 'node' ? m.nodeBaseline!.transport : m.transport).semantics.boundaries;
    const r = await stream(channel, path, s, datagrams, () => processCpuNs(process.pid) + processCpuNs(peer.pid));
    if (datagrams) peer.send('done'); // no end of stream to tell the receiver it may go
    await channel.close();
    await peer.result();
    return { cpus, ...r };
  });
}

/** One repetition of the C row. */
export async function measureCThroughput(m: Mechanism, s: ThroughputSettings): Promise<ThroughputMeasurement> {
  const cpus = placementCpus(s.placement);
  const out = await runCThroughput(m.cBaseline!, { size: s.size, warmupMs: s.warmupMs, durationMs: s.durationMs, cpus, extra: m.cArgs ?? [] });
  const { received, warmupReceived, lost, reordered, corrupt } = out;
  return {
    cpus,
    warmupMessages: out.warmupMessages,
    messages: out.messages,
    elapsedNs: out.elapsedNs,
    cpuNs: out.cpuNsParent + out.cpuNsChild,
    report: { received, warmupReceived, lost, reordered, corrupt },
  };
}
