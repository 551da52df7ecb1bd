// The conformance kit for vitest: one call registers the shared suite for a transport.
//
//   import { describeConformance } from '@ipc-compare/core/conformance';
//   describeConformance(pipeTransport);
import { describe, it } from 'vitest';
import type { Transport } from '../types.js';
import { conformanceChecks, type ConformanceOptions } from './checks.js';

export { conformanceChecks, runCheck, withPeer, primeProcessResources, type ConformanceCheck, type ConformanceOptions } from './checks.js';

export function describeConformance(transport: Transport, opts: ConformanceOptions = {}): void {
  describe(`conformance: ${transport.id}`, () => {
    for (const check of conformanceChecks) {
      if (check.applies && !check.applies(transport)) {
        it.skip(`${check.name} (does not apply to ${transport.id})`, () => {});
        continue;
      }
      it(check.name, () => check.run(transport, opts), 120_000);
    }
  });
}
