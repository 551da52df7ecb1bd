#!/usr/bin/env node
// Committed launcher, so npm links `lost-updates` at `npm ci` (before dist/ is built).
import('../dist/bin/lost-updates.js').catch((err) => {
  if (err?.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('dist/bin/lost-updates.js')) {
    process.stderr.write('lost-updates: not built yet; run `npm run build` first\n');
    process.exit(1);
  }
  throw err;
});
