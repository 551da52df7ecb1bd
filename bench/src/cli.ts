// ipc-compare: the command line of the harness.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Placement } from '@ipc-compare/core';
import { findMechanisms, mechanisms } from './mechanisms.js';
import { parseSize, profiles, type Profile, type Suite } from './plan.js';
import { OutputDirError, prepareOutDir, writeResults } from './output.js';
import { formatResultsJson } from './report/json.js';
import { renderTable } from './report/table.js';
import { runBenchmarks } from './run.js';
import { PRIMITIVES as SYNC_PRIMITIVES, type PrimitiveId } from './sync/probe-locks.js';

const USAGE = `usage: ipc-compare bench [latency|throughput|semantics|sync|all] [options]

  --mechanisms a,b      only these (known: ${mechanisms.map((m) => m.id).join(', ')});
                        in \`all\`, naming mechanisms leaves the sync suite out (its rows
                        are primitives, not mechanisms: run \`bench sync\` for them)
  --sizes 64,4k,64k,1m  message sizes (bytes; k = KiB, m = MiB)
  --quick | --full      profile (default: between the two); --quick leaves shm-posix,
                        shm-xsi and shm-file out unless named (the shm-anon ring over other regions)
  --placement LIST      same,split,none (default: same,split): pin both processes to one CPU,
                        to two different CPUs, or not at all
  --repetitions N       repetitions of every row, interleaved C, TS, … (quick 3, default 5, full 7)
  --duration-ms N       timed window of each repetition (overrides the profile; sync: the
                        ping-pong window and mitata's time per uncontended operation)
  --warmup-ms N         warm-up of each repetition, latency and throughput (overrides the profile)
  --json                print results.json to stdout instead of the table
  --out DIR             directory for results.json (default: ./results; created and checked
                        for writing before anything is measured)
  --no-floors           skip the in-process floors (mitata) and tinybench overhead
  -h, --help            this text`;

class UsageError extends Error {}

function parseSizeArg(text: string): number {
  try {
    return parseSize(text);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

function parsePlacements(text: string): Placement[] {
  const list = text.split(',').map((s) => s.trim());
  for (const p of list) if (p !== 'same' && p !== 'split' && p !== 'none') throw new UsageError(`bad placement "${p}" (same, split or none)`);
  return list as Placement[];
}

function parseWhole(text: string | undefined, name: string, min: number, max: number, what: string): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < min || n > max) throw new UsageError(`--${name} must be a whole number${what} (${min} … ${max})`);
  return n;
}

async function bench(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      mechanisms: { type: 'string' },
      sizes: { type: 'string' },
      quick: { type: 'boolean' },
      full: { type: 'boolean' },
      placement: { type: 'string' },
      'duration-ms': { type: 'string' },
      'warmup-ms': { type: 'string' },
      repetitions: { type: 'string' },
      json: { type: 'boolean' },
      out: { type: 'string' },
      'no-floors': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (positionals.length > 1) throw new UsageError(`one suite at a time (got ${positionals.join(' ')})`);
  const which = positionals[0] ?? 'all';
  const suites: Suite[] =
    which === 'all' ? ['latency', 'throughput', 'semantics', ...(values.mechanisms === undefined ? (['sync'] as const) : [])] : which === 'latency' || which === 'throughput' || which === 'semantics' || which === 'sync' ? [which] : [];
  if (suites.length === 0) throw new UsageError(`unknown suite "${which}" (latency, throughput, semantics, sync or all)`);
  if (values.quick && values.full) throw new UsageError('--quick and --full exclude each other');
  const base = profiles[values.quick ? 'quick' : values.full ? 'full' : 'default'];
  const duration = parseWhole(values['duration-ms'], 'duration-ms', 1, 3_600_000, ' of ms');
  const warmup = parseWhole(values['warmup-ms'], 'warmup-ms', 0, 3_600_000, ' of ms');
  const repetitions = parseWhole(values.repetitions, 'repetitions', 1, 100, '');
  const profile: Profile = {
    ...base,
    ...(duration === undefined ? {} : { latencyDurationMs: duration, throughputDurationMs: duration, syncUncontendedMs: duration, syncPingPongDurationMs: duration }),
    ...(warmup === undefined ? {} : { latencyWarmupMs: warmup, throughputWarmupMs: warmup, syncPingPongWarmupMs: warmup }),
    ...(repetitions === undefined ? {} : { repetitions }),
  };
  // --mechanisms may name transports and sync primitives (the latter only have semantics probes).
  const ids = values.mechanisms?.split(',').map((s) => s.trim());
  const syncIds = ids?.filter((id): id is PrimitiveId => (SYNC_PRIMITIVES as readonly string[]).includes(id));
  const transportIds = ids?.filter((id) => !(SYNC_PRIMITIVES as readonly string[]).includes(id));
  let mechs;
  try {
    mechs = transportIds === undefined ? findMechanisms(undefined).filter((m) => !(profile.name === 'quick' && m.notInQuick)) : transportIds.length > 0 ? findMechanisms(transportIds) : [];
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const sizes = values.sizes?.split(',').map(parseSizeArg);
  if (sizes && suites.includes('throughput') && sizes.some((s) => s < 32)) throw new UsageError('throughput sizes start at 32 bytes (the 16-byte header and some payload)');
  // Before anything is measured: a run must not end with nowhere to put its results.
  const outDir = prepareOutDir(resolve(values.out ?? 'results'));
  const results = await runBenchmarks({
    suites,
    mechanisms: mechs,
    syncPrimitives: syncIds ?? [...SYNC_PRIMITIVES],
    placements: parsePlacements(values.placement ?? 'same,split'),
    profile,
    ...(sizes ? { sizes: { latency: sizes, throughput: sizes } } : {}),
    floors: !values['no-floors'] && suites.some((s) => s === 'latency' || s === 'throughput'),
    command: ['ipc-compare', 'bench', ...argv].join(' '),
  });
  // The table (or JSON) first: should the file still fail to be written, the figures are not lost.
  if (values.json) process.stdout.write(formatResultsJson(results));
  else process.stdout.write(`${renderTable(results)}\n\n`);
  const file = writeResults(outDir, results);
  if (!values.json) process.stdout.write(`results: ${file}\n`);
  const unverified = results.rows.filter((r) => r.kind === 'throughput' && !r.verified).length;
  return results.errors.length > 0 || unverified > 0 ? 1 : 0;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === 'bench') return bench(rest);
  if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return command === undefined ? 1 : 0;
  }
  throw new UsageError(`unknown command "${command}"`);
}

// If every handle closes while a promise still waits (a wait that can never end), Node exits quietly
// with status 0: make that a visible failure instead.
let finished = false;
process.once('beforeExit', () => {
  if (finished) return;
  process.stderr.write('ipc-compare: stopped before finishing (waiting on something that can no longer happen)\n');
  process.exitCode = 1;
});

main(process.argv.slice(2)).then(
  (code) => {
    finished = true;
    process.exitCode = code;
  },
  (err: unknown) => {
    finished = true;
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`ipc-compare: ${(err as Error).message}\n\n${USAGE}\n`);
      process.exitCode = 2;
    } else if (err instanceof OutputDirError) {
      process.stderr.write(`ipc-compare: ${err.message}\n`);
      process.exitCode = err.beforeRun ? 2 : 1;
    } else {
      process.stderr.write(`ipc-compare: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exitCode = 1;
    }
  },
);
