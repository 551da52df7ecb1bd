// CPU placement of two processes (chosen from the CPUs this process may use, avoiding SMT siblings)
// and the CPU time of whole processes (all threads).
import { readdirSync, readFileSync } from 'node:fs';
import { cpuTimeNs, getAffinity, setAffinity } from '@ipc-compare/native';

export type Placement = 'same' | 'split' | 'none';

/** The kernel's cpulist format: "0-3,8,10-11" → [0, 1, 2, 3, 8, 10, 11]. */
export function parseCpuList(text: string): number[] {
  const out: number[] = [];
  for (const part of text.trim().split(',')) {
    if (part === '') continue;
    const [lo, hi = lo] = part.split('-').map(Number);
    for (let c = lo!; c <= hi!; c++) out.push(c);
  }
  return out;
}

/** The hardware threads sharing a core with `cpu`, itself included ([cpu] when sysfs does not say). */
export function smtSiblingsOf(cpu: number): number[] {
  try {
    return parseCpuList(readFileSync(`/sys/devices/system/cpu/cpu${cpu}/topology/thread_siblings_list`, 'latin1'));
  } catch {
    return [cpu]; // not Linux, or sysfs hidden
  }
}

/**
 * The CPUs a placement puts the two processes on (null: not pinned), chosen among the CPUs this
 * process may run on (`allowed`, its sched_getaffinity set), never among CPU numbers up to a count:
 * under `taskset -c 1`, `same` is CPU 1.
 * - same: the last allowed CPU (CPU 0 tends to take more of the machine's interrupts);
 * - split: the first allowed CPU and the first other allowed CPU that is not its SMT sibling (two
 *   hardware threads of one core share its execution units, which is not what "two CPUs" should
 *   measure); only when every other allowed CPU is a sibling, a sibling.
 */
export function placementCpus(
  placement: Placement,
  allowed: readonly number[] = getAffinity(0),
  siblingsOf: (cpu: number) => readonly number[] = smtSiblingsOf,
): { parent: number | null; child: number | null } {
  if (placement === 'none') return { parent: null, child: null };
  const set = [...allowed].sort((a, b) => a - b);
  if (set.length === 0) throw new Error('no CPU allowed');
  if (placement === 'same') {
    const last = set[set.length - 1]!;
    return { parent: last, child: last };
  }
  if (set.length < 2) throw new Error(`split placement needs 2 CPUs this process may run on (allowed: ${set.join(',')})`);
  const parent = set[0]!;
  const siblings = siblingsOf(parent);
  const child = set.find((c) => c !== parent && !siblings.includes(c)) ?? set[1]!;
  return { parent, child };
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
 * CPU time (user + system) consumed so far by all threads of `pid` (this process or another), in ns:
 * the process's CPU-time clock (clock_getcpuclockid + clock_gettime), which is exact at the moment
 * of the call and counts threads that have exited. The C baselines read the same clock. Throws ESRCH
 * once the process is gone.
 */
export function processCpuNs(pid: number): number {
  return cpuTimeNs(pid === process.pid ? 0 : pid);
}
