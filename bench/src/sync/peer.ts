// The second party of the sync suite: a child process (started with the region's memfd as fd 3) or
// a worker thread (handed the region's SharedArrayBuffer). It is started once for a primitive,
// workers and placement, and then serves every measurement of that group, one command at a time
// (node startup and module loading, ≈ 80 ms a process, were most of the suite's run time when each
// measurement had a peer of its own). Per command it pins itself again (the parent re-pins all its
// own threads per measurement, a worker's included), opens the primitive from the table afresh, then
// plays its part (PROTOCOL.md, "Sync"):
//   contended  announce `ready`, wait for `go`, do its increments under the lock, announce `done`,
//              stay until `stop`
//   pingpong   answer pings until the parent says stop
// and replies `finished`, or `failed` with the error (after announcing the failure in the region, so
// a parent waiting on a word stops waiting). Blocking waits only: the measured party is the parent.
// Entry points: peer-main.ts (a process, commands over Node's IPC channel), peer-worker.ts (a thread,
// commands as messages).
import { dupCloseOnExec, futexWait, futexWake } from '@ipc-compare/native';
import { LAYOUT, findPrimitive, word } from './primitives.js';

/** What a peer is started with (a process: as JSON on its command line). */
export interface PeerStart {
  /** Pin to this CPU (null: leave the placement to the scheduler). */
  cpu: number | null;
  /** How many fds the parent passes besides the region (pingpong: the primitive's channelFds). */
  fdCount: number;
}

/** One measurement's part, sent by the parent when the region is ready for it. */
export interface PeerCommand {
  part: 'contended' | 'pingpong';
  primitive: string;
  increments: number;
  /** Contended: warm-up passes of `increments` before `ready` (default 1; more for a new peer, see runners/sync.ts). */
  warmupPasses?: number;
}

export type PeerReply = { type: 'finished' } | { type: 'failed'; error: string };

/** The child's increments: the same loop the parent runs. */
export function increment(lock: { lock(): void; unlock(): void }, counter: Int32Array, n: number): void {
  for (let i = 0; i < n; i++) {
    lock.lock();
    counter[0] = counter[0]! + 1; // a plain read and write: only the lock keeps them apart
    lock.unlock();
  }
}

function waitNonZero(buffer: SharedArrayBuffer, offset: number): void {
  const w = word(buffer, offset);
  while (Atomics.load(w, 0) === 0) futexWait(buffer, offset, 0);
}

function announce(buffer: SharedArrayBuffer, offset: number): void {
  Atomics.store(word(buffer, offset), 0, 1);
  futexWake(buffer, offset, 1);
}

/** Tells a parent that waits for `ready` or `done` that they will never come. */
function announceFailure(buffer: SharedArrayBuffer): void {
  Atomics.store(word(buffer, LAYOUT.failed), 0, 1);
  announce(buffer, LAYOUT.ready);
  announce(buffer, LAYOUT.done);
}

/**
 * Runs one command; the reply for the parent. `fds` are the peer's long-lived copies of the channel
 * fds: the part gets duplicates, its own to close, so the originals serve the next command.
 */
export function serveCommand(buffer: SharedArrayBuffer, cmd: PeerCommand, fds: readonly number[]): PeerReply {
  try {
    runPart(buffer, cmd, fds.map(dupCloseOnExec));
    return { type: 'finished' };
  } catch (err) {
    announceFailure(buffer);
    return { type: 'failed', error: err instanceof Error ? (err.stack ?? err.message) : String(err) };
  }
}

/** `fds`: this party's own copies of the channel fds. */
function runPart(buffer: SharedArrayBuffer, args: PeerCommand, fds: number[]): void {
  const p = findPrimitive(args.primitive);
  if (args.part === 'contended') {
    const lock = p.contended!.open(buffer, false);
    // Warm-up (JIT tiers, page faults): the same loop, before `ready`; the parent then resets the counter.
    for (let i = 0; i < (args.warmupPasses ?? 1); i++) increment(lock, new Int32Array(buffer, LAYOUT.counter, 1), args.increments);
    announce(buffer, LAYOUT.ready);
    waitNonZero(buffer, LAYOUT.go);
    increment(lock, new Int32Array(buffer, LAYOUT.counter, 1), args.increments);
    announce(buffer, LAYOUT.done);
    // Stay in the part until `stop`: the parent reads both CPU clocks first (this process's while it
    // still waits here), and only then may it reset the region for its next command.
    waitNonZero(buffer, LAYOUT.stop);
    lock.close();
    return;
  }
  const pong = p.pingpong!.pong(buffer, fds);
  announce(buffer, LAYOUT.ready);
  while (pong.serveOne());
}
