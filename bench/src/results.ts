// results.json: one stable, documented schema (bench/README.md "results.json") holding everything
// needed to redraw every figure later: machine, settings, raw-derived statistics per row.
import { cpus, release, totalmem, availableParallelism } from 'node:os';
import { readFileSync } from 'node:fs';
import type { Placement } from '@ipc-compare/core';
import type { Path } from './roles.js';
import type { LatencyStats } from './stats.js';

export const RESULTS_SCHEMA = 'ipc-compare/results@1';

/** 'ts': this project's transport; 'c': the C baseline; 'node': Node's built-in API on the same kernel object. */
export type Impl = 'ts' | 'c' | 'node';

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  kernel: string;
  node: string;
  platform: string;
  arch: string;
  memoryBytes: number;
  /** Hypervisor flag from /proc/cpuinfo: cross-vCPU wake-ups cost far more on a VM. */
  virtualized: boolean;
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

/** Round-trip statistics in ns over `samples` timed round trips. */
export interface LatencyRow extends RowBase, LatencyStats {
  kind: 'latency';
  /** CPU time (user + system, both processes, all threads) per round trip, ns. */
  cpuNsPerOp: number;
  /** This row's p50 / the C baseline's p50 (same mechanism, size, placement); null for C rows. */
  ratioToC: number | null;
  engine: 'tinybench' | 'c';
}

export interface ThroughputRow extends RowBase {
  kind: 'throughput';
  /** Data messages sent (END not counted). */
  messages: number;
  /** Data delivered intact: received × size. */
  bytes: number;
  elapsedNs: number;
  /** Delivered 10^6 bytes per second. */
  mbPerSec: number;
  /** Delivered messages per second. */
  msgsPerSec: number;
  /** lost / messages (0 for a reliable mechanism, or the row is not verified). */
  lossRate: number;
  /** CPU time (both processes) per MB moved, ns. */
  cpuNsPerMB: number;
  received: number;
  lost: number;
  reordered: number;
  corrupt: number;
  /**
   * Nothing corrupt, and for a reliable mechanism every message arrived in order. A lossy mechanism
   * (UDP) is verified when what arrived is intact; its loss is reported, not an error.
   */
  verified: boolean;
  /** This row's MB/s / the C baseline's MB/s; null for C rows. */
  ratioToC: number | null;
}

export type Row = LatencyRow | ThroughputRow;

export interface Floor {
  name: string;
  /** Mean ns per operation (mitata). */
  ns: number;
  p50: number;
  p99: number;
}

export interface RowError extends RowBase {
  kind: 'latency' | 'throughput' | 'semantics';
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
    latencyWarmupMs: number;
    latencyDurationMs: number;
    throughputDurationMs: number;
  };
  harness: {
    /** Median cost tinybench adds to one sample (no-op task), ns, per path. */
    sampleOverheadNs: { blocking: number; async: number } | null;
    /** In-process costs measured with mitata (what one binding call costs, …). */
    floors: Floor[];
  };
  rows: Row[];
  /** The semantics matrix (suite "semantics"). */
  semantics: SemanticsRow[];
  errors: RowError[];
}

export function machineInfo(): MachineInfo {
  let virtualized = false;
  try {
    virtualized = /\bhypervisor\b/.test(readFileSync('/proc/cpuinfo', 'utf8'));
  } catch {
    // not Linux, or /proc hidden
  }
  return {
    cpuModel: cpus()[0]?.model ?? 'unknown',
    cores: availableParallelism(),
    kernel: release(),
    node: process.version,
    platform: process.platform,
    arch: process.arch,
    memoryBytes: totalmem(),
    virtualized,
  };
}
