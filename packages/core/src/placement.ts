// CPU placement and CPU time of whole processes (all threads), read from /proc.
import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { setAffinity } from '@ipc-compare/native';

export type Placement = 'same' | 'split' | 'none';

/** The CPUs a placement puts the two processes on (null: not pinned). */
export function placementCpus(placement: Placement, cpuCount = availableParallelism()): { parent: number | null; child: number | null } {
  if (placement === 'none') return { parent: null, child: null };
  // The last CPU for `same`: CPU 0 tends to take more of the machine's interrupts.
  const last = cpuCount - 1;
  if (placement === 'same') return { parent: last, child: last };
  if (cpuCount < 2) throw new Error('split placement needs at least 2 CPUs');
  return { parent: 0, child: 1 };
}

function tids(pid: number): number[] {
  return readdirSync(`/proc/${pid}/task`).map(Number);
}

/**
 * Pins every current thread of `pid` (threads created later inherit it from their creator).
 * Node's own threads — V8 workers, libuv's pool — must be pinned too, or they run on the other CPU.
 */
export function pinProcess(pid: number, cpus: readonly number[]): void {
  for (const tid of tids(pid)) {
    try {
      setAffinity(tid, cpus);
    } catch (err) {
      if ((err as { code?: string }).code !== 'ESRCH') throw err; // thread exited meanwhile
    }
  }
}

/**
 * CPU time (user + system) consumed so far by all threads of `pid`, in ns: for another process the
 * first field of each /proc/<pid>/task/<tid>/schedstat (threads that exit are not counted, which is
 * fine for a window in which none exit).
 */
export function processCpuNs(pid: number): number {
  // For this process getrusage is exact; schedstat of a running thread lags by up to a scheduler tick.
  if (pid === process.pid) {
    const { user, system } = process.cpuUsage();
    return (user + system) * 1000;
  }
  let total = 0;
  for (const tid of tids(pid)) {
    try {
      total += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'latin1').split(' ', 1)[0]);
    } catch {
      // thread exited between readdir and read
    }
  }
  return total;
}
