// The C baselines' output (PROTOCOL.md): a latency histogram in the buckets the TypeScript side uses,
// CPU time of both processes, and throughput counts that keep the warm-up apart. Structure only: no
// figure is judged.
import { execFile } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { Histogram } from '../src/histogram.js';
import { cProgramPath, type CLatencyOutput, type CThroughputOutput } from '../src/runners/c-baseline.js';

function run<T>(program: string, args: string[]): Promise<T> {
  return new Promise((resolve, reject) => {
    execFile(cProgramPath(program), args, (err, stdout, stderr) => (err ? reject(new Error(`${program}: ${stderr || err.message}`)) : resolve(JSON.parse(stdout) as T)));
  });
}

const streams = ['pipe', 'fifo', 'socketpair', 'unix_stream', 'tcp'];
const datagrams = ['udp', 'unix_dgram', 'unix_seqpacket'];

describe('C baselines', () => {
  it.each([...streams, ...datagrams])('%s latency: a valid histogram of every round trip, CPU time of both processes', async (program) => {
    const out = await run<CLatencyOutput>(program, ['latency', '--size', '64', '--warmup-ms', '0', '--duration-ms', '20']);
    expect(out).not.toHaveProperty('samplesNs');
    const h = Histogram.fromData(out.histogram); // throws unless every bucket is one of ours and the counts add up
    expect(h.count).toBeGreaterThan(0);
    expect(out.histogram.minNs).toBeLessThanOrEqual(out.histogram.maxNs);
    expect(out.histogram.sumNs).toBeGreaterThanOrEqual(out.histogram.minNs * h.count);
    expect(out.cpuNsParent).toBeGreaterThan(0);
    expect(out.cpuNsChild).toBeGreaterThan(0);
  });

  // The wake-ups packages/shm was compared with (README "Why futex"): the same ring and protocol, every
  // message checked by the receiver, whatever sleeps and wakes; 1 MiB messages make the producer wait
  // for room, so both waiting words of both rings are slept on and woken.
  it.each(['futex', 'sem', 'eventfd'])('shm --wake %s: the ring round-trips and streams, nothing lost', async (wake) => {
    // One CPU: every round trip needs both wake-ups. A lost one costs a 100 ms sleep slice, so a 50 ms
    // window would hold at most one round trip; ten or more (thousands, really) means they all came.
    const lat = await run<CLatencyOutput>('shm', ['latency', '--size', '1', '--warmup-ms', '0', '--duration-ms', '50', '--region', 'anon', '--wake', wake, '--cpu-parent', '0', '--cpu-child', '0']);
    expect(Histogram.fromData(lat.histogram).count).toBeGreaterThanOrEqual(10);
    expect(lat).toMatchObject({ wake });
    const thr = await run<CThroughputOutput>('shm', ['throughput', '--size', String(1 << 20), '--warmup-ms', '0', '--duration-ms', '30', '--region', 'anon', '--wake', wake, '--capacity', '65536']);
    expect(thr.messages).toBeGreaterThan(0);
    expect(thr).toMatchObject({ lost: 0, reordered: 0, corrupt: 0, received: thr.messages + thr.warmupMessages });
  });

  it.each(streams)('%s throughput: warm-up messages are checked by the receiver and counted apart', async (program) => {
    const out = await run<CThroughputOutput>(program, ['throughput', '--size', '1024', '--warmup-ms', '10', '--duration-ms', '10']);
    expect(out.warmupMessages).toBeGreaterThan(0);
    expect(out.messages).toBeGreaterThan(0);
    expect(out.bytes).toBe(out.messages * 1024);
    expect(out).toMatchObject({ received: out.warmupMessages + out.messages, warmupReceived: out.warmupMessages, lost: 0, reordered: 0, corrupt: 0 });
    expect(out.cpuNsParent).toBeGreaterThan(0);
    expect(out.cpuNsChild).toBeGreaterThan(0);
  });

  it.each(datagrams)('%s throughput: what arrived of the warm-up is counted apart', async (program) => {
    const out = await run<CThroughputOutput>(program, ['throughput', '--size', '1024', '--warmup-ms', '10', '--duration-ms', '10']);
    expect(out.warmupMessages).toBeGreaterThan(0);
    expect(out.warmupReceived).toBeLessThanOrEqual(out.warmupMessages);
    expect(out.received - out.warmupReceived).toBeLessThanOrEqual(out.messages);
    expect(out.corrupt).toBe(0);
    if (program !== 'udp') expect(out).toMatchObject({ received: out.warmupMessages + out.messages, warmupReceived: out.warmupMessages, lost: 0 });
  });

  it('throughput without --warmup-ms has no warm-up', async () => {
    const out = await run<CThroughputOutput>('pipe', ['throughput', '--size', '64', '--duration-ms', '5']);
    expect(out).toMatchObject({ warmupMessages: 0, warmupReceived: 0, received: out.messages });
  });
});
