// The mechanisms the harness knows: the TypeScript transport, how to open it, which paths it has, and
// the C baseline program (bench/c/build/<name>) that does the same thing.
import type { Transport } from '@ipc-compare/core';
import { pipeTransport } from '@ipc-compare/pipe';
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
}

export const mechanisms: readonly Mechanism[] = [
  {
    id: 'pipe',
    title: 'pipe(2) pair between parent and child',
    transport: pipeTransport,
    paths: ['blocking', 'async'],
    cBaseline: 'pipe',
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
