// `npm run test:stress [-- N]`: the whole suite (turbo --force: nothing from the cache) while two busy
// loops keep both cores loaded, N times in a row (default 1); stops at the first failing run. What
// the suite must survive on a loaded machine: no test may depend on timing.
import { spawn, spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';

const runs = Number(process.argv[2] ?? 1);
if (!Number.isInteger(runs) || runs < 1) {
  console.error('usage: node .ci/stress.mjs [runs]');
  process.exit(2);
}
const loops = Array.from({ length: Math.max(2, availableParallelism()) }, () => spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
const stop = () => loops.forEach((l) => l.kill('SIGKILL'));
process.on('exit', stop);
let status = 0;
for (let i = 1; i <= runs && status === 0; i++) {
  const t0 = Date.now();
  const r = spawnSync('npx', ['turbo', 'run', 'test', '--force', '--continue', '--output-logs=errors-only'], {
    stdio: 'inherit',
    env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1' },
  });
  status = r.status ?? 1;
  const totals = spawnSync(process.execPath, [new URL('./totals.mjs', import.meta.url).pathname], { encoding: 'utf8' });
  const line = totals.stdout.trim().split('\n').pop();
  console.log(`stress run ${i}/${runs} with ${loops.length} busy loops: ${line} (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
  if (totals.status !== 0) status = status || 1;
}
stop();
process.exitCode = status;
