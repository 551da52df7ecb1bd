// What a run measures: profiles (repetitions, sizes, durations), placements, and the groups of rows
// they make.
import type { Placement } from '@ipc-compare/core';
import type { Mechanism } from './mechanisms.js';
import type { Impl } from './results.js';
import type { Path } from './roles.js';

export type Suite = 'latency' | 'throughput' | 'semantics' | 'sync';

export interface Profile {
  name: 'quick' | 'default' | 'full';
  /** Repetitions of every row, interleaved C, TS, …, C, TS, … within its group. */
  repetitions: number;
  latencySizes: number[];
  throughputSizes: number[];
  latencyWarmupMs: number;
  latencyDurationMs: number;
  throughputWarmupMs: number;
  throughputDurationMs: number;
  floorMs: number;
  /** Sync suite: increments per party in a contended row, and mitata's time per uncontended op. */
  syncIncrements: number;
  syncUncontendedMs: number;
  /** Sync ping-pong warm-up and timed window per repetition. */
  syncPingPongWarmupMs: number;
  syncPingPongDurationMs: number;
}

export const profiles: Record<Profile['name'], Profile> = {
  // `npm run bench`: the budget is 3 minutes on 2 cores for all mechanisms. Three repetitions are the
  // least a spread can be read from, so the sizes and durations are what is trimmed to fit.
  quick: {
    name: 'quick',
    repetitions: 3,
    latencySizes: [1],
    throughputSizes: [64, 65536],
    latencyWarmupMs: 30,
    latencyDurationMs: 100,
    throughputWarmupMs: 30,
    throughputDurationMs: 100,
    floorMs: 100,
    // Shorter ping-pong windows than latency's: the sync suite has ≈ 100 ping-pong repetitions.
    syncIncrements: 20_000,
    syncUncontendedMs: 30,
    syncPingPongWarmupMs: 20,
    syncPingPongDurationMs: 60,
  },
  default: {
    name: 'default',
    repetitions: 5,
    latencySizes: [1, 64, 1024, 4096, 16384, 65536],
    throughputSizes: [64, 1024, 4096, 65536, 1 << 20],
    latencyWarmupMs: 100,
    latencyDurationMs: 300,
    throughputWarmupMs: 100,
    throughputDurationMs: 300,
    floorMs: 300,
    syncIncrements: 200_000,
    syncUncontendedMs: 200,
    syncPingPongWarmupMs: 100,
    syncPingPongDurationMs: 300,
  },
  full: {
    name: 'full',
    repetitions: 7,
    latencySizes: [1, 64, 256, 1024, 4096, 16384, 65536],
    throughputSizes: [64, 256, 1024, 4096, 16384, 65536, 1 << 20],
    latencyWarmupMs: 200,
    latencyDurationMs: 500,
    throughputWarmupMs: 200,
    throughputDurationMs: 500,
    floorMs: 1000,
    syncIncrements: 1_000_000,
    syncUncontendedMs: 500,
    syncPingPongWarmupMs: 200,
    syncPingPongDurationMs: 500,
  },
};

/** One implementation of a mechanism: a row of the table. */
export interface Member {
  impl: Impl;
  path: Path;
}

/**
 * The rows that compare with each other: one mechanism, size and placement, C first. Their
 * repetitions are interleaved (rep 1 of every member, then rep 2 of every member, …), so drift over
 * the run hits all of them alike.
 */
export interface PlannedGroup {
  suite: 'latency' | 'throughput';
  mechanism: Mechanism;
  placement: Placement;
  size: number;
  members: Member[];
}

export function planGroups(suites: Suite[], mechs: Mechanism[], placements: Placement[], profile: Profile, sizes?: { latency?: number[]; throughput?: number[] }): PlannedGroup[] {
  const groups: PlannedGroup[] = [];
  for (const suite of suites) {
    if (suite === 'semantics' || suite === 'sync') continue; // not transport rows: see runBenchmarks
    const list = suite === 'latency' ? sizes?.latency ?? profile.latencySizes : sizes?.throughput ?? profile.throughputSizes;
    for (const mechanism of mechs) {
      if (mechanism.suites && !mechanism.suites.includes(suite)) continue;
      let mine = suite === 'latency' && !sizes?.latency ? (mechanism.latencySizes ?? list) : list;
      if (suite === 'latency' && mechanism.latencyWrites === 2) mine = mine.filter((n) => n >= 2); // 1 byte cannot be split
      // A datagram cannot be larger than the mechanism allows: the largest size becomes that maximum.
      const max = mechanism.transport.semantics.maxMessage;
      if (max !== undefined) mine = [...new Set(mine.map((n) => Math.min(n, max)))];
      const members: Member[] = [
        ...(mechanism.cBaseline ? [{ impl: 'c', path: 'blocking' } as const] : []),
        ...mechanism.paths.map((path) => ({ impl: 'ts', path }) as const),
        ...(mechanism.nodeBaseline ? [{ impl: 'node', path: 'async' } as const] : []),
      ];
      for (const placement of placements) for (const size of mine) groups.push({ suite, mechanism, placement, size, members });
    }
  }
  return groups;
}

/** "64", "4k" (KiB), "1m" (MiB) → bytes; 1 B … 64 MiB. */
export function parseSize(text: string): number {
  const m = /^(\d+)([kKmM]?)$/.exec(text.trim());
  if (!m) throw new Error(`bad size "${text}" (examples: 64, 4k, 1m)`);
  const n = Number(m[1]) * (m[2] === '' ? 1 : m[2]!.toLowerCase() === 'k' ? 1024 : 1 << 20);
  if (n < 1 || n > 64 << 20) throw new Error(`size ${text} is out of range (1 B … 64 MiB)`);
  return n;
}
