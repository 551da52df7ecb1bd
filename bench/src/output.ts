// Where results.json goes: the directory is created and proven writable before anything is measured
// (a run must not end with its figures and nowhere to put them), and the file is replaced atomically.
import { closeSync, mkdirSync, openSync, renameSync, rmSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { formatResultsJson } from './report/json.js';
import type { Results } from './results.js';

/** The output directory cannot be used: reported in one line, without a stack trace. */
export class OutputDirError extends Error {
  constructor(
    message: string,
    /** True when found before the run (a usage problem), false when writing at the end failed. */
    readonly beforeRun: boolean,
  ) {
    super(message);
  }
}

function reason(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * mkdir -p, one component at a time. (Node's mkdirSync(…, { recursive: true }) spins forever on a
 * path such as /proc/nope, where mkdir fails with ENOENT although the parent exists.)
 */
function makeDirs(dir: string): void {
  let path = '';
  for (const part of resolve(dir).split('/').slice(1)) {
    path += `/${part}`;
    const st = statSync(path, { throwIfNoEntry: false });
    if (st === undefined) mkdirSync(path);
    else if (!st.isDirectory()) throw new Error(`${path} exists and is not a directory`);
  }
}

/** Creates `dir` if needed and writes (then removes) a probe file in it; returns `dir`. */
export function prepareOutDir(dir: string): string {
  try {
    makeDirs(dir);
  } catch (err) {
    throw new OutputDirError(`--out ${dir}: cannot create the directory: ${reason(err)}`, true);
  }
  const probe = join(dir, `.ipc-compare-probe-${process.pid}`);
  try {
    const fd = openSync(probe, 'wx', 0o600);
    try {
      writeSync(fd, 'probe\n');
    } finally {
      closeSync(fd);
      unlinkSync(probe);
    }
  } catch (err) {
    throw new OutputDirError(`--out ${dir}: cannot write there: ${reason(err)}`, true);
  }
  return dir;
}

/** Writes results.json in `dir` (through a temporary file and rename); returns its path. */
export function writeResults(dir: string, results: Results): string {
  const file = join(dir, 'results.json');
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    const fd = openSync(tmp, 'w', 0o644);
    try {
      writeSync(fd, formatResultsJson(results));
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw new OutputDirError(`cannot write ${file}: ${reason(err)}`, false);
  }
  return file;
}
