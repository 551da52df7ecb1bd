// The parent's side of the sync suite's second party (bench/src/sync/peer.ts). A peer — a child
// process, or a worker thread of this process — is started once per primitive of a group (workers
// and placement fixed) and serves the group's TypeScript measurements one after another, each as a
// command: starting a process per measurement (node startup and module loading, ≈ 80 ms here) was
// most of the suite's run time.
//
// What a measurement observes is still fresh each time: the region is zeroed first (the state a new
// memfd has), the parent initialises the primitive in it and both sides open it anew; named and XSI
// semaphores are made anew per measurement; the eventfds, which have to outlive a measurement (a
// child inherits them when it starts), are checked to be at 0 (primitives.ts). What persists is the
// process or thread, pinned again by itself at every command. A peer that failed, ended, or did not
// answer a command is ended and replaced by a new one for the next measurement.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { placementCpus, processCpuNs, type Placement } from '@ipc-compare/core';
import { SyncWaiter, futexWait, futexWake } from '@ipc-compare/native';
import { SharedRegion } from '@ipc-compare/sync';
import type { SyncWorkers } from '../results.js';
import type { PeerCommand, PeerReply, PeerStart } from '../sync/peer.js';
import { LAYOUT, REGION_BYTES, word, type SyncPrimitive } from '../sync/primitives.js';

// Works from src/ (vitest) and dist/ alike: a peer always runs the built JavaScript.
const PEER_MAIN = fileURLToPath(new URL('../../dist/sync/peer-main.js', import.meta.url));
const PEER_WORKER = new URL('../../dist/sync/peer-worker.js', import.meta.url);

/** One command in the peer (one measurement's part), from the parent's side. */
export interface PeerRun {
  /** Resolves once the peer announced `ready`; rejects if it failed or ended first. */
  ready(): Promise<void>;
  /** Blocking: waits for `done` (contended), checking in slices that the peer still runs. */
  waitDoneSync(): void;
  /** The same, off the JS thread (the parent's async row). */
  done(): Promise<void>;
  /** Resolves when the peer replied `finished`; rejects with its error (or its end) otherwise. */
  finished(): Promise<void>;
  /** After the measurement, in every case: a peer still in the part (no reply) is ended. */
  close(): Promise<void>;
}

function isZombieOrGone(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
  } catch {
    return true;
  }
}

export class SyncPeer {
  readonly #region: SharedRegion;
  readonly #channel: { fds: number[]; close(): void } | null;
  readonly #childPid: number | null;
  readonly #stop: () => void;
  readonly #send: (cmd: PeerCommand) => void;
  readonly #end: Promise<void>;
  #ended = false;
  /** Why it ended (null: it has not, or it ended well). */
  #outcome: Error | null = null;
  /** The pending command's reply: null when the peer ended instead. */
  #onReply: ((r: PeerReply | null) => void) | null = null;
  /** Failed or did not answer a command: not given another. */
  #broken = false;
  /** end() was called: a SIGKILL or terminate() is ours, not a failure. */
  #ending: Promise<void> | null = null;
  #commands = 0;

  /** `channel`: the primitive's channelFds (null without), handed over: released when the peer ends. */
  constructor(workers: SyncWorkers, cpu: number | null, channel: { fds: number[]; close(): void } | null) {
    this.#channel = channel;
    this.#region = SharedRegion.create(REGION_BYTES);
    const fds = channel?.fds ?? [];
    const start: PeerStart = { cpu, fdCount: fds.length };
    let onEnd: () => void = () => {};
    this.#end = new Promise<void>((resolve) => (onEnd = resolve));
    const ended = () => {
      this.#ended = true;
      this.#reply(null);
      onEnd();
    };
    if (workers === 'processes') {
      const child = spawn(process.execPath, [PEER_MAIN, JSON.stringify(start)], { stdio: ['ignore', 'inherit', 'pipe', this.#region.fd, ...fds, 'ipc'] });
      if (child.pid === undefined) throw new Error('the sync peer process did not start');
      this.#childPid = child.pid;
      let stderr = '';
      child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr = (stderr + s).slice(-4000)));
      child.on('message', (r: PeerReply) => this.#reply(r));
      child.once('close', (code, signal) => {
        if (code !== 0 && !(signal === 'SIGKILL' && this.#ending)) {
          this.#outcome = new Error(`sync peer ${signal ? `killed by ${signal}` : `exited with ${code}`}${stderr.trim() ? `: ${stderr.trim().split('\n').slice(-6).join(' | ')}` : ''}`);
        }
        ended();
      });
      this.#stop = () => child.kill('SIGKILL');
      this.#send = (cmd) => child.send(cmd);
    } else {
      this.#childPid = null;
      const worker = new Worker(PEER_WORKER, { workerData: { buffer: this.#region.buffer, start, fds } });
      worker.on('message', (r: PeerReply) => this.#reply(r));
      worker.once('error', (err) => (this.#outcome = err));
      worker.once('exit', (code) => {
        if (code !== 0 && !this.#ending && !this.#outcome) this.#outcome = new Error(`sync peer thread exited with ${code}`);
        ended();
      });
      this.#stop = () => void worker.terminate();
      this.#send = (cmd) => worker.postMessage(cmd);
    }
  }

  #reply(r: PeerReply | null): void {
    const on = this.#onReply;
    this.#onReply = null;
    on?.(r);
  }

  /** This process, and the child process if it is one: whose CPU time a figure counts. */
  get pids(): number[] {
    return this.#childPid === null ? [process.pid] : [process.pid, this.#childPid];
  }

  /** CPU time of both parties so far (threads: the whole process, both threads in it). */
  cpuNs(): number {
    return processCpuNs(process.pid) + (this.#childPid === null ? 0 : processCpuNs(this.#childPid));
  }

  /** No command sent yet. */
  get fresh(): boolean {
    return this.#commands === 0;
  }

  /** Free for a command: running, not failed, and none pending. */
  get usable(): boolean {
    return !this.#ended && !this.#broken && this.#onReply === null;
  }

  /** The channel fds (the parent's originals: a measurement works on duplicates). */
  get channelFds(): readonly number[] {
    return this.#channel?.fds ?? [];
  }

  /**
   * The region, zeroed: what a new one holds. Only between commands, when the peer does not touch
   * it (a part ends after `stop`, once the parent has read everything it measures).
   */
  freshBuffer(): SharedArrayBuffer {
    if (!this.usable) throw new Error('the sync peer is busy or gone');
    new Uint8Array(this.#region.buffer).fill(0);
    return this.#region.buffer;
  }

  /** Sends one command; the region must be ready for it (freshBuffer, then the primitive made). */
  run(cmd: PeerCommand): PeerRun {
    if (!this.usable) throw new Error('the sync peer is busy or gone');
    const buffer = this.#region.buffer;
    this.#commands++;
    let replied = false;
    const reply = new Promise<PeerReply | null>((resolve) => (this.#onReply = resolve)).then((r) => {
      replied = true;
      if (r?.type !== 'finished') this.#broken = true;
      return r;
    });
    this.#send(cmd);
    const finished = async () => {
      const r = await reply;
      if (r?.type === 'finished') return;
      if (r) throw new Error(`sync peer: ${r.error.split('\n').slice(0, 3).join(' | ')}`);
      await this.#end;
      throw this.#outcome ?? new Error('the sync peer ended during a measurement');
    };
    const failed = () => Atomics.load(word(buffer, LAYOUT.failed), 0) !== 0;
    const alive = () => !replied && !this.#ended && !failed() && (this.#childPid === null || !isZombieOrGone(this.#childPid));
    /** Until the word at `offset` is non-zero or the part is over; waits off the JS thread, in slices. */
    const untilSet = async (offset: number) => {
      const w = word(buffer, offset);
      while (Atomics.load(w, 0) === 0 && alive()) {
        await new Promise<void>((resolve, reject) => void new SyncWaiter('futex', buffer, offset, 0, 100, (err) => (err ? reject(err) : resolve())));
      }
    };
    const stoppedEarly = async (what: string) => {
      await finished(); // throws the peer's error, if it has one
      throw new Error(`the sync peer stopped before ${what}`);
    };
    return {
      async ready() {
        await untilSet(LAYOUT.ready);
        if (failed() || Atomics.load(word(buffer, LAYOUT.ready), 0) === 0) await stoppedEarly('it was ready');
      },
      waitDoneSync() {
        const w = word(buffer, LAYOUT.done);
        while (Atomics.load(w, 0) === 0) {
          if (!alive()) break;
          futexWait(buffer, LAYOUT.done, 0, 100);
        }
        if (Atomics.load(w, 0) === 0 || failed()) throw new Error('the sync peer stopped before its increments were done');
      },
      async done() {
        await untilSet(LAYOUT.done);
        if (Atomics.load(word(buffer, LAYOUT.done), 0) === 0 || failed()) await stoppedEarly('its increments were done');
      },
      finished,
      close: async () => {
        if (replied) return;
        // The part did not finish (the measurement failed on this side). Let a peer parked on `go`
        // or `stop` through first: a worker thread blocked in futex(2) cannot be terminated.
        for (const offset of [LAYOUT.go, LAYOUT.stop]) {
          Atomics.store(word(buffer, offset), 0, 1);
          futexWake(buffer, offset, 1);
        }
        await this.end();
      },
    };
  }

  /** Ends the peer (an idle one holds nothing: the region and the fds are this side's) and releases them. Idempotent. */
  end(): Promise<void> {
    this.#ending ??= (async () => {
      this.#broken = true;
      if (!this.#ended) this.#stop();
      await this.#end;
      this.#region.close();
      this.#channel?.close();
    })();
    return this.#ending;
  }
}

/**
 * A group's peers: one per primitive (a ping-pong group can hold two: Atomics beside futex), started
 * when first needed, pinned to the child CPU of the group's placement, ended with the group.
 */
export class SyncPeers {
  readonly #workers: SyncWorkers;
  readonly #cpu: number | null;
  readonly #part: PeerCommand['part'];
  readonly #peers = new Map<string, SyncPeer>();

  constructor(workers: SyncWorkers, placement: Placement, part: PeerCommand['part']) {
    this.#workers = workers;
    this.#cpu = placementCpus(placement).child;
    this.#part = part;
  }

  /** The primitive's peer, free for a command: a new one if there was none, or it is unusable. */
  async get(p: SyncPrimitive): Promise<SyncPeer> {
    let peer = this.#peers.get(p.id);
    if (peer?.usable) return peer;
    await peer?.end();
    const channel = this.#part === 'pingpong' ? (p.pingpong?.channelFds?.() ?? null) : null;
    try {
      peer = new SyncPeer(this.#workers, this.#cpu, channel);
    } catch (err) {
      channel?.close();
      throw err;
    }
    this.#peers.set(p.id, peer);
    return peer;
  }

  async end(): Promise<void> {
    for (const peer of this.#peers.values()) await peer.end();
    this.#peers.clear();
  }
}
