#!/usr/bin/env node
// Committed launcher, so npm links the `ipc-compare` bin at `npm ci` (before dist/ is built).
import('../dist/cli.js').catch((err) => {
  if (err?.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('dist/cli.js')) {
    process.stderr.write('ipc-compare: not built yet; run `npm run build` (or `npm run bench`) first\n');
    process.exit(1);
  }
  throw err;
});
