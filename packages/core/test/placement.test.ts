// Placement comes from the CPUs this process may really run on (sched_getaffinity), not from a CPU
// count; split placement avoids SMT siblings; CPU time is the process's CPU-time clock.
import { execFileSync, spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { parseCpuList, placementCpus, processCpuNs } from '../src/placement.js';

const built = new URL('../dist/index.js', import.meta.url).href;

/** Runs a child Node process under `taskset -c <cpus>` that prints placementCpus(placement) (or the error). */
function placementUnderTaskset(cpus: string, placement: string): unknown {
  const script = `import { placementCpus } from ${JSON.stringify(built)};
    try { console.log(JSON.stringify(placementCpus(${JSON.stringify(placement)}))); }
    catch (err) { console.log(JSON.stringify({ error: err.message })); }`;
  const out = execFileSync('taskset', ['-c', cpus, process.execPath, '--input-type=module', '-e', script], { encoding: 'utf8' });
  return JSON.parse(out);
}

describe('placementCpus', () => {
  const twoCpus = availableParallelism() >= 2;

  it.runIf(twoCpus)('under taskset -c 1, "same" pins to CPU 1 (the one allowed), not CPU 0', () => {
    expect(placementUnderTaskset('1', 'same')).toEqual({ parent: 1, child: 1 });
  });

  it.runIf(twoCpus)('under taskset -c 1, "split" is refused: one CPU allowed', () => {
    expect(placementUnderTaskset('1', 'split')).toEqual({ error: expect.stringMatching(/split placement needs 2 CPUs.*allowed: 1/) });
  });

  it('same = the last allowed CPU; split = the first allowed CPU and the first one that is not its SMT sibling', () => {
    const noSmt = (cpu: number) => [cpu];
    expect(placementCpus('same', [2, 5, 7], noSmt)).toEqual({ parent: 7, child: 7 });
    expect(placementCpus('split', [0, 1], noSmt)).toEqual({ parent: 0, child: 1 });
    // Cores of two hardware threads: (0, 4), (1, 5), (2, 6), (3, 7).
    const smt = (cpu: number) => [cpu % 4, (cpu % 4) + 4];
    expect(placementCpus('split', [0, 1, 2, 3, 4, 5, 6, 7], smt)).toEqual({ parent: 0, child: 1 });
    expect(placementCpus('split', [0, 4, 5], smt)).toEqual({ parent: 0, child: 5 });
    // Only siblings allowed: they are still two CPUs.
    expect(placementCpus('split', [0, 4], smt)).toEqual({ parent: 0, child: 4 });
    expect(placementCpus('none', [0, 1], noSmt)).toEqual({ parent: null, child: null });
    expect(() => placementCpus('split', [3], noSmt)).toThrow(/needs 2 CPUs/);
  });
});

describe('parseCpuList', () => {
  it('reads the kernel cpulist format', () => {
    expect(parseCpuList('0-3,8,10-11\n')).toEqual([0, 1, 2, 3, 8, 10, 11]);
    expect(parseCpuList('5')).toEqual([5]);
    expect(parseCpuList('')).toEqual([]);
  });
});

describe('processCpuNs', () => {
  it("reads another process's CPU time, which grows while it computes", async () => {
    // The child burns CPU until it is told to stop on stdin; it says when it has started.
    const child = spawn(process.execPath, ['-e', 'let x = 0; process.stdout.write("go\\n"); const t = setInterval(() => { for (let i = 0; i < 1e6; i++) x += i; }, 0); process.stdin.once("data", () => { clearInterval(t); process.exit(0); });'], { stdio: ['pipe', 'pipe', 'inherit'] });
    await new Promise((resolve) => child.stdout.once('data', resolve));
    const a = processCpuNs(child.pid!);
    const b = processCpuNs(child.pid!);
    expect(a).toBeGreaterThan(0);
    expect(b).toBeGreaterThanOrEqual(a);
    expect(processCpuNs(process.pid)).toBeGreaterThan(0);
    child.stdin.end('stop\n');
    await new Promise((resolve) => child.once('exit', resolve));
    expect(() => processCpuNs(child.pid!)).toThrow(/ESRCH/);
  });
});

