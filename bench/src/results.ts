// results.json: one stable, documented schema (bench/README.md "results.json") holding everything
// needed to redraw every figure later: machine, settings, per-repetition figures and their aggregate.
// Types only (and the schema name): the report renders a results.json without loading any runner.
import type { Placement } from '@ipc-compare/core';
import type { HistogramData } from './histogram.js';
import type { Path } from './roles.js';
import type { LatencyStats, Spread } from './stats.js';

// @3: the sync suite (`sync`, below) and its row kinds in `errors`; the sync semantics matrix (`syncSemantics`).
export const RESULTS_SCHEMA = 'ipc-compare/results@3';

/** 'ts': this project's transport; 'c': the C baseline; 'node': Node's built-in API on the same kernel object. */
export type Impl = 'ts' | 'c' | 'node';

/** The CPUs of the machine and which of them the harness could use (placement chooses among those). */
export interface CpuTopology {
  model: string;
  /** Online CPUs (/sys/devices/system/cpu/online). */
  online: number[];
  /** CPUs the harness process may run on (its affinity set: taskset, cgroup cpusets). */
  allowed: number[];
  /** Online CPUs grouped by core: hardware threads of one core share a group ([[0], [1]]: no SMT). */
  smtSiblings: number[][];
  /** NUMA nodes and their CPUs (empty when sysfs does not say). */
  numaNodes: Array<{ node: number; cpus: number[] }>;
}

export interface MachineInfo {
  cpuModel: string;
  /** CPUs this process may use (availableParallelism). */
  cores: number;
  kernel: string;
  node: string;
  platform: string;
  arch: string;
  memoryBytes: number;
  /** Hypervisor flag from /proc/cpuinfo: cross-vCPU wake-ups cost far more on a VM. */
  virtualized: boolean;
  topology: CpuTopology;
}

export interface RowBase {
  mechanism: string;
  impl: Impl;
  /** 'async': through Node's event loop; 'blocking': sendSync/recvSync (C rows are blocking, Node rows async). */
  path: Path;
  placement: Placement;
  cpus: { parent: number | null; child: number | null };
  /** Message size in bytes. */
  size: number;
}

/** What every measured row says about its repetitions. */
export interface Repeated {
  /** Repetitions measured (interleaved with the other rows of its group: C, TS, …, C, TS, …). */
  repetitions: number;
  /** Min and max of the row's figure (latency: p50, throughput: MB/s) over the repetitions. */
  spread: Spread;
  /** spread.relative > settings.unstableSpread: the repetitions disagree too much to trust the figure. */
  unstable: boolean;
  /** The row's figure / the C row's figure (same mechanism, size, placement, same repetitions); null for C rows. */
  ratioToC: number | null;
}

/** One repetition of a latency row: the statistics of its own samples. */
export interface LatencyRep extends LatencyStats {
  /** CPU time (both processes) per round trip over this repetition's timed window, ns. */
  cpuNsPerOp: number;
  /** This repetition's p50 / the C row's p50 in the same repetition. */
  ratioToC: number | null;
}

/**
 * A latency row, ns. `p50` is the median of the repetitions' p50s; the other percentiles, min, max,
 * mean and stddev are those of all samples pooled (tails need the samples of every repetition);
 * `cpuNsPerOp` is the median of the repetitions'.
 */
export interface LatencyRow extends RowBase, LatencyStats, Repeated {
  kind: 'latency';
  /** CPU time (user + system, both processes, all threads) per round trip, ns. */
  cpuNsPerOp: number;
  engine: 'tinybench' | 'c';
  reps: LatencyRep[];
  /** Every sample of every repetition (log-linear buckets, PROTOCOL.md "Latency histogram"). */
  histogram: HistogramData;
}

/** One repetition of a throughput stream: warm-up, then the timed window the figures count. */
export interface ThroughputRep {
  /** Data messages sent during the warm-up (not timed) and in the timed window. */
  warmupMessages: number;
  messages: number;
  /** The timed window: first timed send to the receiver's report, ns. */
  elapsedNs: number;
  /** Delivered in the timed window: 10^6 bytes and messages per second. */
  mbPerSec: number;
  msgsPerSec: number;
  /** CPU time (both processes) per MB delivered, over the timed window, ns. */
  cpuNsPerMB: number;
  /** The receiver's check of the whole stream, warm-up included (every message is checked). */
  received: number;
  /** Of `received`: messages of the warm-up. */
  warmupReceived: number;
  lost: number;
  reordered: number;
  corrupt: number;
  verified: boolean;
  ratioToC: number | null;
}

/**
 * A throughput row: `mbPerSec`, `msgsPerSec` and `cpuNsPerMB` are medians of the repetitions';
 * the counts are totals over them.
 */
export interface ThroughputRow extends RowBase, Repeated {
  kind: 'throughput';
  /** Data messages sent in the timed windows (END and warm-up not counted). */
  messages: number;
  /** Data messages sent during the warm-ups. */
  warmupMessages: number;
  /** Data delivered intact in the timed windows: (received − warmupReceived) × size. */
  bytes: number;
  /** Sum of the timed windows, ns. */
  elapsedNs: number;
  /** Delivered 10^6 bytes per second (median of the repetitions). */
  mbPerSec: number;
  /** Delivered messages per second (median of the repetitions). */
  msgsPerSec: number;
  /** lost / messages sent, over the whole streams (0 for a reliable mechanism, or the row is not verified). */
  lossRate: number;
  /** CPU time (both processes) per MB moved, ns (median of the repetitions). */
  cpuNsPerMB: number;
  /** The receiver's checks of the whole streams, warm-ups included. */
  received: number;
  warmupReceived: number;
  lost: number;
  reordered: number;
  corrupt: number;
  /**
   * Every repetition verified: nothing corrupt, and for a reliable mechanism every message arrived in
   * order. A lossy mechanism (UDP) is verified when what arrived is intact; its loss is reported.
   */
  verified: boolean;
  reps: ThroughputRep[];
}

export type Row = LatencyRow | ThroughputRow;

export interface Floor {
  name: string;
  /** Mean ns per operation (mitata). */
  ns: number;
  p50: number;
  p99: number;
}

/** This machine's bounds (c/reference.c): see runners/reference.ts. */
export interface Reference {
  /** Two processes spinning on a shared cache line, on two CPUs: ns per round trip; or why not measured. */
  spinRoundTrip: { cpus: { parent: number; child: number }; samples: number; p50: number; p99: number; mean: number } | { skipped: string };
  /** memcpy between two warm buffers, per size. */
  memcpy: Array<{ bytes: number; nsPerCopy: number; mbps: number }>;
}

export interface RowError extends RowBase {
  kind: 'latency' | 'throughput' | 'semantics' | SyncRowKind;
  /** Sync rows: the primitive's operation (uncontended) and who the second party is. */
  op?: string;
  workers?: SyncWorkers;
  /** The repetition that failed (1-based; 0 for semantics); the row's other repetitions are not kept. */
  repetition: number;
  error: string;
}

/**
 * One property of one transport: what the notes claim, what the probe saw, and how. `observed` and
 * `agrees` are null when the property could not be observed here (the evidence says why): such a
 * cell never counts as agreeing.
 */
export interface PropertyCheck<T> {
  claimed: T;
  observed: T | null;
  agrees: boolean | null;
  /** A short account of the observation, e.g. "100 sends arrived as 7 reads". */
  evidence: string;
}

export interface SemanticsRow {
  mechanism: string;
  boundaries: PropertyCheck<boolean>;
  duplex: PropertyCheck<'full' | 'half'>;
  reliable: PropertyCheck<boolean>;
  reach: PropertyCheck<'related' | 'local' | 'network'>;
  /** A message read into a smaller buffer loses the rest (datagrams) or not (streams). */
  truncation: PropertyCheck<boolean>;
  /** Largest message one send accepts (null: a byte stream, no message size). */
  maxMessage: PropertyCheck<number | null>;
  /** Can carry open fds (SCM_RIGHTS tried on the channel's own fd, the peer reads the file). */
  passesFds: PropertyCheck<boolean>;
  /** The receiver's bytes change when the sender overwrites what it sent (one copy, shared). */
  zeroCopy: PropertyCheck<boolean>;
  /** What is left of a region once its creator was killed (shared memory; not observed for the rest). */
  persistence: PropertyCheck<'none' | 'kernel' | 'file' | null>;
}

/** One primitive of packages/sync, observed (runners/sync-semantics.ts). */
export interface SyncSemanticsRow {
  primitive: string;
  /** Mutual exclusion between two worker threads (a plain shared counter stays exact, everyone finishes). */
  threads: PropertyCheck<boolean>;
  /** The same between a parent's two children that inherited the memory (or opened the name). */
  relatedProcesses: PropertyCheck<boolean>;
  /** An unrelated process (own session, nothing inherited) can reach it. */
  unrelatedProcesses: PropertyCheck<boolean>;
  /** Its holder SIGKILLed while holding it, it can be taken again. */
  survivesHolderDeath: PropertyCheck<boolean>;
  /** A release here wakes a waiter asleep in another process. */
  wakesOtherProcess: PropertyCheck<boolean>;
  /** Waiting in the blocking form stalls the event loop (the longest gap between 5 ms timer ticks). */
  syncBlocksLoop: PropertyCheck<boolean>;
  /** Waiting in the async form stalls it. */
  asyncBlocksLoop: PropertyCheck<boolean>;
}

export interface Results {
  schema: typeof RESULTS_SCHEMA;
  createdAt: string;
  command: string;
  machine: MachineInfo;
  profile: string;
  settings: {
    placements: Placement[];
    latencySizes: number[];
    throughputSizes: number[];
    /** Repetitions per row, interleaved within each (mechanism, size, placement) group. */
    repetitions: number;
    latencyWarmupMs: number;
    latencyDurationMs: number;
    throughputWarmupMs: number;
    throughputDurationMs: number;
    /** A row is unstable above this spread.relative (stats.ts UNSTABLE_SPREAD). */
    unstableSpread: number;
  };
  harness: {
    /** How CPU time is read, the same for C and TypeScript rows. */
    cpuTimeSource: string;
    /** Median cost tinybench adds to one sample (no-op task), ns, per path. */
    sampleOverheadNs: { blocking: number; async: number } | null;
    /** In-process costs measured with mitata (what one binding call costs, …). */
    floors: Floor[];
    /** The machine's spin floor and memcpy bandwidth (with the floors; absent in older results.json). */
    reference?: Reference;
  };
  rows: Row[];
  /** The semantics matrix (suite "semantics"). */
  semantics: SemanticsRow[];
  /** The sync primitives' matrix (suite "semantics", next to the transports'). */
  syncSemantics: SyncSemanticsRow[];
  /** The sync suite (absent when it did not run). */
  sync?: SyncResults;
  errors: RowError[];
}

// ---- the sync suite (bench/README.md "bench sync", PROTOCOL.md "Sync") ------------------------

export type SyncRowKind = 'sync-uncontended' | 'sync-contended' | 'sync-pingpong';

/** Who the second party is: a child process, or a worker thread of the same process. */
export type SyncWorkers = 'processes' | 'threads';

/** What identifies a sync row beside its figures. `primitive` is an id of the primitives table. */
export interface SyncRowBase {
  primitive: string;
  impl: 'ts' | 'c';
  path: Path;
  placement: Placement;
  cpus: { parent: number | null; child: number | null };
}

/** One in-process operation (e.g. tryLock+unlock), no other party: ns per operation. */
export interface SyncUncontendedRow extends SyncRowBase, Repeated {
  kind: 'sync-uncontended';
  /** The operation timed, e.g. "tryLock+unlock"; C rows: the C op name. */
  op: string;
  /** The C operation this row is compared with (C rows: itself). */
  cOp: string;
  engine: 'mitata' | 'c';
  /** Median over the repetitions of the mean ns per operation. */
  nsPerOp: number;
  reps: Array<{ nsPerOp: number; ratioToC: number | null }>;
}

/** One repetition of a contended counter: both parties' increments from `go` to the last one done. */
export interface SyncContendedRep {
  elapsedNs: number;
  /** Increments (lock + increment + unlock) of both parties per second. */
  opsPerSec: number;
  /** CPU time of both parties (user + system) per increment, ns. */
  cpuNsPerOp: number;
  /** The counter at the end, and what it must be (parties × increments). */
  total: number;
  expected: number;
  ratioToC: number | null;
}

/**
 * Two parties increment one plain counter under the lock, `incrementsPerParty` times each. A
 * repetition whose total is not exactly parties × increments is an error (in `errors`), never a row.
 * ratioToC = opsPerSec / the C row's (higher is better).
 */
export interface SyncContendedRow extends SyncRowBase, Repeated {
  kind: 'sync-contended';
  workers: SyncWorkers;
  parties: number;
  incrementsPerParty: number;
  opsPerSec: number;
  cpuNsPerOp: number;
  /** Every repetition's total was exactly its expected count (always true for a row: see above). */
  exact: boolean;
  reps: SyncContendedRep[];
}

/**
 * Wake-up latency: one round trip = the parent wakes the child through the primitive and the child
 * wakes it back; timed like a latency row (same statistics, histogram, CPU per round trip).
 * `cRef` names the C row the ratio is taken against (null for C rows and rows without one).
 */
export interface SyncPingPongRow extends SyncRowBase, LatencyStats, Repeated {
  kind: 'sync-pingpong';
  workers: SyncWorkers;
  cRef: { primitive: string; workers: SyncWorkers } | null;
  /** CPU time (user + system, both parties, all threads) per round trip, ns. */
  cpuNsPerOp: number;
  engine: 'tinybench' | 'c';
  reps: LatencyRep[];
  histogram: HistogramData;
}

export interface SyncResults {
  settings: {
    /** Increments per party in the contended rows. */
    increments: number;
    /** Time mitata (and the C program) spend on each uncontended operation per repetition. */
    uncontendedMs: number;
    pingpongWarmupMs: number;
    pingpongDurationMs: number;
  };
  uncontended: SyncUncontendedRow[];
  contended: SyncContendedRow[];
  pingpong: SyncPingPongRow[];
}
