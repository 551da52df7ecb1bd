#!/usr/bin/env node
// Committed launcher, so npm links `shm-msg` at `npm ci` (before dist/ is built).
import('../dist/bin/shm-msg.js').catch((err) => {
  if (err?.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('dist/bin/shm-msg.js')) {
    process.stderr.write('shm-msg: not built yet; run `npm run build` first\n');
    process.exit(1);
  }
  throw err;
});
