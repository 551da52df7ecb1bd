// What a run measures: profiles, sizes, placements, and the list of rows they make.
import type { Placement } from '@ipc-compare/core';
import type { Mechanism } from './mechanisms.js';
import type { Impl } from './results.js';
import type { Path } from './roles.js';

export type Suite = 'latency' | 'throughput' | 'semantics';

export interface Profile {
  name: 'quick' | 'default' | 'full';
  latencySizes: number[];
  throughputSizes: number[];
  latencyWarmupMs: number;
  latencyDurationMs: number;
  throughputDurationMs: number;
  floorMs: number;
}

export const profiles: Record<Profile['name'], Profile> = {
  // `npm run bench`: about 2 minutes on 2 cores for all mechanisms (the budget is 3).
  quick: {
    name: 'quick',
    latencySizes: [1, 65536],
    throughputSizes: [64, 4096, 65536, 1 << 20],
    latencyWarmupMs: 60,
    latencyDurationMs: 200,
    throughputDurationMs: 200,
    floorMs: 100,
  },
  default: {
    name: 'default',
    latencySizes: [1, 64, 1024, 4096, 16384, 65536],
    throughputSizes: [64, 1024, 4096, 65536, 1 << 20],
    latencyWarmupMs: 200,
    latencyDurationMs: 1000,
    throughputDurationMs: 1000,
    floorMs: 300,
  },
  full: {
    name: 'full',
    latencySizes: [1, 64, 256, 1024, 4096, 16384, 65536],
    throughputSizes: [64, 256, 1024, 4096, 16384, 65536, 1 << 20],
    latencyWarmupMs: 500,
    latencyDurationMs: 3000,
    throughputDurationMs: 3000,
    floorMs: 1000,
  },
};

export interface PlannedRow {
  suite: Suite;
  mechanism: Mechanism;
  impl: Impl;
  path: Path;
  placement: Placement;
  size: number;
}

/** C first within each group, so TS rows can be given their ratio as soon as they are measured. */
export function planRows(suites: Suite[], mechs: Mechanism[], placements: Placement[], profile: Profile, sizes?: { latency?: number[]; throughput?: number[] }): PlannedRow[] {
  const rows: PlannedRow[] = [];
  for (const suite of suites) {
    if (suite === 'semantics') continue; // not rows of figures: see runBenchmarks
    const list = suite === 'latency' ? sizes?.latency ?? profile.latencySizes : sizes?.throughput ?? profile.throughputSizes;
    for (const mechanism of mechs) {
      if (mechanism.suites && !mechanism.suites.includes(suite)) continue;
      let mine = suite === 'latency' && !sizes?.latency ? (mechanism.latencySizes ?? list) : list;
      if (suite === 'latency' && mechanism.latencyWrites === 2) mine = mine.filter((n) => n >= 2); // 1 byte cannot be split
      // A datagram cannot be larger than the mechanism allows: the largest size becomes that maximum.
      const max = mechanism.transport.semantics.maxMessage;
      if (max !== undefined) mine = [...new Set(mine.map((n) => Math.min(n, max)))];
      for (const placement of placements) {
        for (const size of mine) {
          if (mechanism.cBaseline) rows.push({ suite, mechanism, impl: 'c', path: 'blocking', placement, size });
          for (const path of mechanism.paths) rows.push({ suite, mechanism, impl: 'ts', path, placement, size });
          if (mechanism.nodeBaseline) rows.push({ suite, mechanism, impl: 'node', path: 'async', placement, size });
        }
      }
    }
  }
  return rows;
}

/** "64", "4k" (KiB), "1m" (MiB) → bytes; 1 B … 64 MiB. */
export function parseSize(text: string): number {
  const m = /^(\d+)([kKmM]?)$/.exec(text.trim());
  if (!m) throw new Error(`bad size "${text}" (examples: 64, 4k, 1m)`);
  const n = Number(m[1]) * (m[2] === '' ? 1 : m[2]!.toLowerCase() === 'k' ? 1024 : 1 << 20);
  if (n < 1 || n > 64 << 20) throw new Error(`size ${text} is out of range (1 B … 64 MiB)`);
  return n;
}
