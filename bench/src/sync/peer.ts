// The second party of the sync suite: a child process (started with the region's memfd as fd 3) or
// a worker thread (handed the region's SharedArrayBuffer). Pins itself, opens the primitive from the
// table, then plays its part (PROTOCOL.md, "Sync"):
//   contended  announce `ready`, wait for `go`, do its increments under the lock, announce `done`,
//              stay until `stop`
//   pingpong   answer pings until the parent says stop
// Blocking waits only: the measured party is the parent. Any failure ends the process (or thread)
// with an error, which the parent reports for the row. Entry points: peer-main.ts (a process),
// peer-worker.ts (a thread).
import { futexWait, futexWake } from '@ipc-compare/native';
import { LAYOUT, findPrimitive, word } from './primitives.js';

export interface PeerArgs {
  part: 'contended' | 'pingpong';
  primitive: string;
  increments: number;
  /** Pin to this CPU (null: leave the placement to the scheduler). */
  cpu: number | null;
  /** How many fds the parent passes besides the region (pingpong: PingSide.fds). */
  fdCount: number;
}

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
export function announceFailure(buffer: SharedArrayBuffer): void {
  Atomics.store(word(buffer, LAYOUT.failed), 0, 1);
  announce(buffer, LAYOUT.ready);
  announce(buffer, LAYOUT.done);
}

/** `fds`: this party's own copies of the parent's PingSide.fds. */
export function runPeer(buffer: SharedArrayBuffer, args: PeerArgs, fds: number[]): void {
  const p = findPrimitive(args.primitive);
  if (args.part === 'contended') {
    const lock = p.contended!.open(buffer, false);
    // Warm-up (JIT tiers, page faults): the same loop, before `ready`; the parent then resets the counter.
    increment(lock, new Int32Array(buffer, LAYOUT.counter, 1), args.increments);
    announce(buffer, LAYOUT.ready);
    waitNonZero(buffer, LAYOUT.go);
    increment(lock, new Int32Array(buffer, LAYOUT.counter, 1), args.increments);
    announce(buffer, LAYOUT.done);
    // Stay until the parent has read this process's CPU time (it reads it when it is done itself).
    waitNonZero(buffer, LAYOUT.stop);
    lock.close();
    return;
  }
  const pong = p.pingpong!.pong(buffer, fds);
  announce(buffer, LAYOUT.ready);
  while (pong.serveOne());
}
