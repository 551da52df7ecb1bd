#!/usr/bin/env node
// Committed launcher, so npm links `recv-unix` at `npm ci` (before dist/ is built).
import('../dist/bin/recv-unix.js').catch((err) => {
  if (err?.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('dist/bin/recv-unix.js')) {
    process.stderr.write('recv-unix: not built yet; run `npm run build` first\n');
    process.exit(1);
  }
  throw err;
});
