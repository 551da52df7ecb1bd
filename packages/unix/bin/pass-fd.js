#!/usr/bin/env node
// Committed launcher, so npm links `pass-fd` at `npm ci` (before dist/ is built).
import('../dist/bin/pass-fd.js').catch((err) => {
  if (err?.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('dist/bin/pass-fd.js')) {
    process.stderr.write('pass-fd: not built yet; run `npm run build` first\n');
    process.exit(1);
  }
  throw err;
});
