// In-process floors, measured with mitata: what one binding call, one syscall through the addon, one
// clock read and one await cost. They say how much of a round trip is binding and event-loop overhead
// rather than the kernel's work.
import { writeSync } from 'node:fs';
import { measure } from 'mitata';
import { close, constants, getCpu, pipe2, write } from '@ipc-compare/native';
import type { Floor } from '../results.js';

export async function measureFloors(minCpuTimeMs: number): Promise<Floor[]> {
  const [r, w] = pipe2(constants.O_CLOEXEC | constants.O_NONBLOCK);
  const empty = Buffer.alloc(0);
  const opts = { min_cpu_time: minCpuTimeMs * 1e6 };
  const cases: Array<[string, () => unknown]> = [
    ['addon call (getCpu: sched_getcpu, no syscall)', () => getCpu()],
    ['write(2) of 0 bytes to a pipe, through the addon', () => write(w, empty)],
    ["write(2) of 0 bytes to a pipe, through node:fs writeSync", () => writeSync(w, empty)],
    ['clock read: process.hrtime.bigint()', () => process.hrtime.bigint()],
    ['await of a resolved promise (one microtask)', async () => {
      await undefined;
    }],
  ];
  const floors: Floor[] = [];
  try {
    for (const [name, fn] of cases) {
      const s = await measure(fn, opts);
      floors.push({ name, ns: s.avg, p50: s.p50, p99: s.p99 });
    }
  } finally {
    close(r);
    close(w);
  }
  return floors;
}
