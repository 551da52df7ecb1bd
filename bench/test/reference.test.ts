// The reference rows (c/reference.c through runners/reference.ts): well-formed, plausible figures and
// the table's section. No timing thresholds: only that each figure was measured and is consistent.
import { execFile } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { cProgramPath } from '../src/runners/c-baseline.js';
import { measureReference } from '../src/runners/reference.js';

describe('reference rows', () => {
  it('the spin floor (split) and memcpy at 64 KiB and 1 MiB: every figure measured and consistent', async () => {
    const ref = await measureReference(30);
    if ('skipped' in ref.spinRoundTrip) throw new Error(`spin floor skipped: ${ref.spinRoundTrip.skipped}`);
    const spin = ref.spinRoundTrip;
    expect(spin.cpus.parent).not.toBe(spin.cpus.child);
    expect(spin.samples).toBeGreaterThan(0);
    expect(spin.p50).toBeGreaterThan(0);
    expect(spin.p99).toBeGreaterThanOrEqual(spin.p50);
    expect(ref.memcpy.map((m) => m.bytes)).toEqual([64 * 1024, 1024 * 1024]);
    for (const m of ref.memcpy) {
      expect(m.nsPerCopy).toBeGreaterThan(0);
      expect(Math.abs(m.mbps / ((m.bytes / m.nsPerCopy) * 1000) - 1)).toBeLessThan(0.01); // MB/s = bytes per ns × 1000
    }
  });

  it('on one CPU it says why it does not spin instead of measuring a spinner that waits for its time slice', async () => {
    const out = await new Promise<string>((resolve, reject) =>
      execFile(cProgramPath('reference'), ['--cpu-parent', '1', '--cpu-child', '1', '--duration-ms', '5'], (err, stdout) => (err ? reject(err) : resolve(stdout))),
    );
    expect(JSON.parse(out.split('\n')[0]!)).toEqual({ kind: 'spin', skipped: expect.stringMatching(/two distinct CPUs/) });
  });

  it('bad usage is exit status 2', async () => {
    const code = await new Promise<number | null>((resolve) => execFile(cProgramPath('reference'), ['--duration-ms', 'x'], (err) => resolve(err ? ((err as { code?: number }).code ?? null) : 0)));
    expect(code).toBe(2);
  });
});
