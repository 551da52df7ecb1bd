// Reference rows: two figures of this machine that bound every row (c/reference.c): the busy-spin
// floor — two processes on two CPUs handing a cache line back and forth, no kernel — is the fastest
// any shared-memory round trip can be here; memcpy bandwidth is the most bytes per second any
// transport that copies can move here.
import { placementCpus } from '@ipc-compare/core';
import type { Reference } from '../results.js';
import { runCProgram } from './c-baseline.js';

interface SpinLine {
  kind: 'spin';
  skipped?: string;
  cpuParent?: number;
  cpuChild?: number;
  samples?: number;
  p50?: number;
  p99?: number;
  mean?: number;
}

interface MemcpyLine {
  kind: 'memcpy';
  bytes: number;
  copies: number;
  nsPerCopy: number;
  mbps: number;
}

export async function measureReference(durationMs: number): Promise<Reference> {
  let cpus: { parent: number | null; child: number | null };
  try {
    cpus = placementCpus('split');
  } catch {
    cpus = { parent: null, child: null }; // one CPU: the program says why it cannot spin
  }
  const argv = ['--duration-ms', String(durationMs)];
  if (cpus.parent !== null && cpus.child !== null) argv.push('--cpu-parent', String(cpus.parent), '--cpu-child', String(cpus.child));
  const lines = await runCProgram<Array<SpinLine | MemcpyLine>>('reference', argv, 6 * durationMs + 30_000, (out) =>
    out.trim().split('\n').map((l) => JSON.parse(l) as SpinLine | MemcpyLine),
  );
  const spin = lines.find((l): l is SpinLine => l.kind === 'spin');
  return {
    spinRoundTrip:
      spin && spin.skipped === undefined
        ? { cpus: { parent: spin.cpuParent!, child: spin.cpuChild! }, samples: spin.samples!, p50: spin.p50!, p99: spin.p99!, mean: spin.mean! }
        : { skipped: spin?.skipped ?? 'no spin line' },
    memcpy: lines.filter((l): l is MemcpyLine => l.kind === 'memcpy').map(({ bytes, nsPerCopy, mbps }) => ({ bytes, nsPerCopy, mbps })),
  };
}
