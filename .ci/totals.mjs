// Sums vitest's JSON reports of every workspace into one line, "N passed, N failed". A workspace
// whose report is missing counts as a failure, and so does a run in which no test passed at all.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const { workspaces } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
let passed = 0;
let failed = 0;
for (const ws of workspaces) {
  const pkg = JSON.parse(readFileSync(join(root, ws, 'package.json'), 'utf8'));
  if (!pkg.scripts?.test) continue;
  const file = join(root, ws, 'test-results', 'vitest.json');
  if (!existsSync(file)) {
    console.log(`${ws}: no test report (the test run did not complete)`);
    failed++;
    continue;
  }
  const r = JSON.parse(readFileSync(file, 'utf8'));
  // A file that failed to load has no failed test, only a failed suite: count it too.
  const brokenFiles = r.testResults.filter((f) => f.status === 'failed' && !f.assertionResults.some((a) => a.status === 'failed')).length;
  console.log(`${ws}: ${r.numPassedTests} passed, ${r.numFailedTests + brokenFiles} failed, ${r.numPendingTests} skipped`);
  passed += r.numPassedTests;
  failed += r.numFailedTests + brokenFiles;
}
if (passed === 0) failed++;
console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed === 0 ? 0 : 1;
