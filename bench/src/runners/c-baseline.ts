// Runs a C baseline program (bench/c/build/<name>, PROTOCOL.md) and parses its one JSON line.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { HistogramData } from '../histogram.js';

export interface CLatencyOutput {
  mechanism: string;
  mode: 'latency';
  size: number;
  /** Every timed round trip, in the log-linear buckets both sides use. */
  histogram: HistogramData;
  cpuNsParent: number;
  cpuNsChild: number;
}

export interface CThroughputOutput {
  mechanism: string;
  mode: 'throughput';
  size: number;
  warmupMessages: number;
  /** Sent in the timed window. */
  messages: number;
  bytes: number;
  elapsedNs: number;
  cpuNsParent: number;
  cpuNsChild: number;
  /** The receiver's check of the whole stream (warm-up included). */
  received: number;
  warmupReceived: number;
  lost: number;
  reordered: number;
  corrupt: number;
}

export function cProgramPath(name: string): string {
  return fileURLToPath(new URL(`../../c/build/${name}`, import.meta.url));
}

export interface CRunOptions {
  size: number;
  durationMs: number;
  warmupMs: number;
  cpus: { parent: number | null; child: number | null };
  /** Mechanism-specific arguments (e.g. --nodelay 0, --writes 2). */
  extra?: string[];
}

/**
 * The output is bounded whatever the duration (a histogram has at most 14592 buckets, about 400 KB
 * of JSON at worst; a throughput line is one short line), so a small buffer is enough.
 */
const MAX_OUTPUT_BYTES = 4 << 20;

function args(mode: string, o: CRunOptions): string[] {
  const a = [mode, '--size', String(o.size), '--warmup-ms', String(o.warmupMs), '--duration-ms', String(o.durationMs)];
  if (o.cpus.parent !== null) a.push('--cpu-parent', String(o.cpus.parent));
  if (o.cpus.child !== null) a.push('--cpu-child', String(o.cpus.child));
  return [...a, ...(o.extra ?? [])];
}

/** Runs bench/c/build/<name>; its stdout is one JSON value unless `parse` reads it otherwise. */
export function runCProgram<T>(name: string, argv: string[], timeoutMs: number, parse: (stdout: string) => T = (out) => JSON.parse(out) as T): Promise<T> {
  const path = cProgramPath(name);
  if (!existsSync(path)) return Promise.reject(new Error(`C baseline ${path} is not built (npm run build builds it)`));
  return new Promise((resolve, reject) => {
    execFile(path, argv, { maxBuffer: MAX_OUTPUT_BYTES, timeout: timeoutMs, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`${name} ${argv.join(' ')} failed: ${stderr.trim() || err.message}`));
      try {
        resolve(parse(stdout));
      } catch {
        reject(new Error(`${name} printed no valid JSON: ${stdout.slice(0, 200)}`));
      }
    });
  });
}

export function runCLatency(name: string, o: CRunOptions): Promise<CLatencyOutput> {
  return runCProgram(name, args('latency', o), o.warmupMs + o.durationMs + 30_000);
}

export function runCThroughput(name: string, o: CRunOptions): Promise<CThroughputOutput> {
  return runCProgram(name, args('throughput', o), o.warmupMs + o.durationMs + 30_000);
}
