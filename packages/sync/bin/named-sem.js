#!/usr/bin/env node
// Committed launcher, so npm links `named-sem` at `npm ci` (before dist/ is built).
import('../dist/bin/named-sem.js').catch((err) => {
  if (err?.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('dist/bin/named-sem.js')) {
    process.stderr.write('named-sem: not built yet; run `npm run build` first\n');
    process.exit(1);
  }
  throw err;
});
