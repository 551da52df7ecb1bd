// The peer runner: starts a real second `node` process, hands it a PeerSpec (JSON on the command line)
// and the fds to inherit (extra stdio slots), and lets it run a role against the attached channel.
// Used by the conformance kit, the package tests and the benchmark harness.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ipcError, type CodedError } from '../errors.js';
import { validatePeerSpec } from '../registry.js';
import type { AttachOptions, Opened, PeerSpec } from '../types.js';

/** A role the peer runs: `roles[name]` exported by `module`, called with `args`. */
export interface RoleRef {
  module: string;
  name: string;
  args?: unknown;
}

export interface SpawnPeerOptions {
  /** Pin the peer (all its threads) to these CPUs before it attaches. */
  cpus?: number[] | null;
  /** Give up (and kill the peer) if it has not attached by then. Default 15 s. */
  startTimeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  /**
   * Node options for the peer (e.g. ['--cpu-prof']). Default: the words of the environment variable
   * IPC_COMPARE_PEER_EXEC_ARGV, so a benchmark's peers can be profiled without code changes.
   */
  execArgv?: string[];
  /** Run the peer as this user and group (needs privileges): tests of permissions and SO_PEERCRED. */
  uid?: number;
  gid?: number;
  /**
   * Modules (ESM specifiers) whose `transports` the peer may attach with. Default: the module of the
   * Opened's transport. Required when the target is a bare PeerSpec.
   */
  transportModules?: string[];
  /** Passed to the transport's attach() in the peer (e.g. allowRemote). */
  attach?: AttachOptions;
  /** Start the peer through this command (e.g. ['ip', 'netns', 'exec', 'ns1']): it runs `node …` itself. */
  wrapper?: string[];
}

/** Sent by peer-main over Node's IPC channel (a control path, never the measured one). */
export type PeerMessage =
  | { type: 'ready'; pid: number }
  | { type: 'result'; value: unknown }
  | { type: 'error'; error: SerializedError }
  | { type: 'control'; value: unknown };

export interface SerializedError {
  name: string;
  message: string;
  code?: string;
  errno?: number;
  syscall?: string;
  path?: string;
  stack?: string;
}

export interface PeerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Config handed to peer-main (by the parent: trusted, unlike a spec that comes from elsewhere). */
export interface PeerConfig {
  spec: PeerSpec;
  transportModules: string[];
  attach: AttachOptions;
  role: RoleRef;
  cpus: number[] | null;
}

// Works from src/ (vitest) and dist/ alike: the peer always runs the built JavaScript.
const PEER_MAIN = fileURLToPath(new URL('../../dist/testing/peer-main.js', import.meta.url));
/** Stdio slots 0-2 are stdin/out/err, 3 is Node's IPC channel; inherited fds start here. */
export const FIRST_INHERITED_FD = 4;
const STDERR_TAIL = 16 * 1024;

const live = new Set<PeerProcess>();
process.once('exit', () => {
  for (const p of live) p.kill('SIGKILL');
});

export class PeerProcess implements AsyncDisposable {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Resolves when the peer has exited and its stdio is closed. */
  readonly exited: Promise<PeerExit>;
  #stderr = '';
  #outcome: { value: unknown } | { error: SerializedError } | null = null;
  readonly #controlQueue: unknown[] = [];
  readonly #controlWaiters: Array<(v: unknown) => void> = [];
  #exit: PeerExit | null = null;

  constructor(child: ChildProcess) {
    this.child = child;
    if (child.pid === undefined) throw ipcError('ERR_PEER_FAILED', 'peer process did not start');
    this.pid = child.pid;
    live.add(this);
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (s: string) => {
      this.#stderr = (this.#stderr + s).slice(-STDERR_TAIL);
      if (process.env.IPC_COMPARE_PEER_STDERR) process.stderr.write(s);
    });
    child.on('message', (m: PeerMessage) => {
      if (m.type === 'result') this.#outcome = { value: m.value };
      else if (m.type === 'error') this.#outcome = { error: m.error };
      else if (m.type === 'control') this.#pushControl(m.value);
    });
    this.exited = new Promise((resolve) => {
      child.once('close', (code, signal) => {
        live.delete(this);
        this.#exit = { code, signal };
        for (const w of this.#controlWaiters.splice(0)) w(undefined);
        resolve(this.#exit);
      });
    });
  }

  /** Last 16 KiB the peer wrote to stderr. */
  get stderr(): string {
    return this.#stderr;
  }

  get running(): boolean {
    return this.#exit === null;
  }

  /** Sends a control message to the role (ctx.control.next() in the peer). */
  send(value: unknown): void {
    this.child.send({ type: 'control', value });
  }

  /** Next control message the role sent (ctx.control.send in the peer); undefined once it exited. */
  nextControl(): Promise<unknown> {
    if (this.#controlQueue.length > 0) return Promise.resolve(this.#controlQueue.shift());
    if (!this.running) return Promise.resolve(undefined);
    return new Promise((resolve) => this.#controlWaiters.push(resolve));
  }

  #pushControl(value: unknown): void {
    const w = this.#controlWaiters.shift();
    if (w) w(value);
    else this.#controlQueue.push(value);
  }

  /**
   * Waits for the peer to finish and returns what its role returned. Rejects with the peer's own error
   * (same message, code, errno, syscall) if the role threw, or ERR_PEER_FAILED if it died.
   */
  async result(opts: { timeoutMs?: number } = {}): Promise<unknown> {
    const exit = await this.#waitExit(opts.timeoutMs ?? 60_000);
    const outcome = this.#outcome;
    if (outcome && 'value' in outcome && exit.code === 0) return outcome.value;
    if (outcome && 'error' in outcome) throw reviveError(outcome.error, this.#stderr);
    throw ipcError('ERR_PEER_FAILED', `peer ${this.pid} ${describeExit(exit)}${this.#stderrNote()}`, { exit });
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (this.running) this.child.kill(signal);
  }

  /** Kills the peer if it still runs and waits until it is gone (no zombie, stdio closed). */
  async [Symbol.asyncDispose](): Promise<void> {
    this.kill('SIGKILL');
    await this.exited;
  }

  async #waitExit(timeoutMs: number): Promise<PeerExit> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.kill('SIGKILL');
        reject(ipcError('ERR_PEER_TIMEOUT', `peer ${this.pid} did not finish within ${timeoutMs} ms${this.#stderrNote()}`));
      }, timeoutMs);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  #stderrNote(): string {
    const tail = this.#stderr.trim();
    return tail ? `; its stderr ends with:\n${tail.slice(-2000)}` : '';
  }
}

/**
 * Starts a peer process that attaches to `target` (an Opened from Transport.open, or a PeerSpec) and
 * runs `role`. Resolves once the peer has attached. For an Opened, this process's copies of the
 * inherited fds are closed right after the spawn (handOff), so EOF and EPIPE behave.
 */
export async function spawnPeer(target: Opened | PeerSpec, role: RoleRef, opts: SpawnPeerOptions = {}): Promise<PeerProcess> {
  const opened = 'connect' in target ? target : null;
  const spec = opened ? opened.peer : (target as PeerSpec);
  validatePeerSpec(spec);
  const transportModules = opts.transportModules ?? (opened ? [opened.transport.module] : []);
  if (transportModules.length === 0) throw ipcError('ERR_INVALID_ARG_VALUE', 'spawnPeer: a bare PeerSpec needs opts.transportModules');
  const inherit = spec.inheritFds ?? [];
  const config: PeerConfig = {
    spec: { ...spec, inheritFds: inherit.map((_, i) => FIRST_INHERITED_FD + i) },
    transportModules,
    attach: opts.attach ?? {},
    role,
    cpus: opts.cpus ?? null,
  };
  const execArgv = opts.execArgv ?? (process.env.IPC_COMPARE_PEER_EXEC_ARGV?.split(/\s+/).filter(Boolean) ?? []);
  const argv = [...execArgv, PEER_MAIN, JSON.stringify(config)];
  const [command, ...prefix] = opts.wrapper ? [...opts.wrapper, process.execPath] : [process.execPath];
  const child = spawn(command!, [...prefix, ...argv], {
    stdio: ['ignore', 'inherit', 'pipe', 'ipc', ...inherit],
    env: opts.env ?? process.env,
    ...(opts.uid === undefined ? {} : { uid: opts.uid }),
    ...(opts.gid === undefined ? {} : { gid: opts.gid }),
  });
  opened?.handOff();
  const peer = new PeerProcess(child);
  try {
    await waitReady(peer, opts.startTimeoutMs ?? 15_000);
  } catch (err) {
    await peer[Symbol.asyncDispose]();
    throw err;
  }
  return peer;
}

function waitReady(peer: PeerProcess, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(ipcError('ERR_PEER_TIMEOUT', `peer ${peer.pid} did not attach within ${timeoutMs} ms; stderr: ${peer.stderr.trim()}`));
    }, timeoutMs);
    const onMessage = (m: PeerMessage) => {
      if (m.type === 'ready') {
        cleanup();
        resolve();
      } else if (m.type === 'error') {
        cleanup();
        reject(reviveError(m.error, peer.stderr));
      }
    };
    const onClose = () => {
      cleanup();
      // Give a pending 'error' message the chance to explain the exit.
      peer.result().then(
        () => reject(ipcError('ERR_PEER_FAILED', `peer ${peer.pid} exited before attaching`)),
        reject,
      );
    };
    const cleanup = () => {
      clearTimeout(timer);
      peer.child.off('message', onMessage);
      peer.child.off('close', onClose);
    };
    peer.child.on('message', onMessage);
    peer.child.once('close', onClose);
  });
}

export function serializeError(err: unknown): SerializedError {
  if (!(err instanceof Error)) return { name: 'Error', message: String(err) };
  const e = err as Error & Partial<SerializedError>;
  const out: SerializedError = { name: e.name, message: e.message };
  if (e.stack !== undefined) out.stack = e.stack;
  if (typeof e.code === 'string') out.code = e.code;
  if (typeof e.errno === 'number') out.errno = e.errno;
  if (typeof e.syscall === 'string') out.syscall = e.syscall;
  if (typeof e.path === 'string') out.path = e.path;
  return out;
}

/** Rebuilds the peer's error in this process, keeping code/errno/syscall/path so callers can branch. */
function reviveError(s: SerializedError, stderr: string): CodedError {
  const err = new Error(`peer: ${s.message}`) as CodedError & Partial<SerializedError>;
  err.name = s.name;
  err.code = s.code ?? 'ERR_PEER_FAILED';
  if (s.errno !== undefined) err.errno = s.errno;
  if (s.syscall !== undefined) err.syscall = s.syscall;
  if (s.path !== undefined) err.path = s.path;
  if (s.stack) err.stack = `${err.name}: ${err.message}\n    --- in the peer process ---\n${s.stack}`;
  if (stderr.trim()) Object.assign(err, { peerStderr: stderr });
  return err;
}

function describeExit(exit: PeerExit): string {
  return exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
}
