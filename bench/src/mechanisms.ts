// The mechanisms the harness knows: the TypeScript transport, how to open it, which paths it has, and
// the C baseline program (bench/c/build/<name>) that does the same thing.
import type { Transport } from '@ipc-compare/core';
import { pipeTransport } from '@ipc-compare/pipe';
import { nodeNetPipeTransport } from './baselines/index.js';
import type { Path } from './roles.js';

export interface Mechanism {
  id: string;
  /** One line for the table's legend. */
  title: string;
  transport: Transport;
  openOptions?: unknown;
  paths: Path[];
  /** Name of the C baseline program, or null if there is none. */
  cBaseline: string | null;
  /** The same kernel object driven by Node's own API (async path), or null. */
  nodeBaseline: { transport: Transport; title: string } | null;
}

export const mechanisms: readonly Mechanism[] = [
  {
    id: 'pipe',
    title: 'pipe(2) pair between parent and child',
    transport: pipeTransport,
    paths: ['blocking', 'async'],
    cBaseline: 'pipe',
    nodeBaseline: { transport: nodeNetPipeTransport, title: 'node:net Socket over the same pipe(2) fds' },
  },
];

export function findMechanisms(ids: string[] | undefined): Mechanism[] {
  if (!ids) return [...mechanisms];
  return ids.map((id) => {
    const m = mechanisms.find((x) => x.id === id);
    if (!m) throw new Error(`unknown mechanism "${id}" (known: ${mechanisms.map((x) => x.id).join(', ')})`);
    return m;
  });
}
