// Incremental addon build for `turbo run build`: `npm ci` already ran `node-gyp rebuild` (the install
// script); here only changed sources are recompiled. The build directory is configured anew when it is
// missing or older than binding.gyp. node-gyp is the copy bundled with npm (on PATH inside npm
// scripts); it finds Node's headers through npm_config_nodedir, which turbo.json passes through.
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';

const run = (...args) => execFileSync('node-gyp', args, { stdio: 'inherit' });
const stale = !existsSync('build/Makefile') || statSync('binding.gyp').mtimeMs > statSync('build/Makefile').mtimeMs;
if (stale) run('configure');
run('build');
