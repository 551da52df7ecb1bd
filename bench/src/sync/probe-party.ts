// A party of the sync semantics probe, run as a child process (the region as fd 3, an eventfd as fd 4;
// argv: one JSON object) or as a worker thread (workerData, with the region's buffer and the parent's
// eventfd number, which it duplicates). Reports one JSON line / message.
//   count      {id, name?, count, parties}: increments the shared counter `count` times under the lock
//   hold       {id, name?, ms?}: takes the lock, says {"held":true}; stays until killed, or releases
//              after `ms` and says {"released":true}
//   sleep      {id, name?}: says {"sleeping":pid}, blocks taking the lock, says how long it slept
//   unrelated  {id, name?, fd?, pid?}: a process that inherited nothing tries to reach the primitive
// (`name`: a named semaphore's name, or an XSI semaphore set's id in decimal)
import { openSync } from 'node:fs';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { dupCloseOnExec } from '@ipc-compare/native';
import { SharedRegion } from '@ipc-compare/sync';
import { COUNTER, EVENTFD_CHILD_FD, READY, lockOf, type PrimitiveId, type Reach } from './probe-locks.js';

interface Args {
  mode: 'count' | 'hold' | 'sleep' | 'unrelated';
  id: PrimitiveId;
  name?: string;
  count?: number;
  parties?: number;
  ms?: number;
  buffer?: SharedArrayBuffer;
  /** A thread's (and the unrelated party's): the parent's eventfd, and the parent. */
  fd?: number;
  pid?: number;
}

const args = (isMainThread ? JSON.parse(process.argv[2]!) : workerData) as Args;
const say = (o: unknown) => (isMainThread ? process.stdout.write(`${JSON.stringify(o)}\n`) : parentPort!.postMessage(o));

function region(): SharedArrayBuffer {
  return args.buffer ?? SharedRegion.inherit(3).buffer;
}

function reach(): Reach {
  if (args.id !== 'eventfd') return { name: args.name };
  return { fd: isMainThread ? EVENTFD_CHILD_FD : dupCloseOnExec(args.fd!) };
}

if (args.mode === 'unrelated') {
  // Nothing was inherited: fd 3 is not the region. Only a name (or an XSI id) can lead anywhere.
  try {
    if (args.id !== 'named-semaphore' && args.id !== 'xsi-semaphore' && args.id !== 'eventfd') region();
    // An eventfd has no name: the one path left is the creator's /proc/PID/fd entry.
    const r = args.id === 'eventfd' ? { fd: openSync(`/proc/${args.pid}/fd/${args.fd}`, 'r+') } : reach();
    const lock = lockOf(args.id, new SharedArrayBuffer(4096), r);
    lock.acquire();
    lock.release();
    say({ ok: true });
  } catch (err) {
    const e = err as { code?: string; message?: string };
    say({ ok: false, code: e.code ?? null, message: e.message ?? String(err) });
  }
} else {
  const buffer = region();
  const lock = lockOf(args.id, buffer, reach());
  const i32 = new Int32Array(buffer);
  if (args.mode === 'count') {
    Atomics.add(i32, READY / 4, 1);
    while (Atomics.load(i32, READY / 4) < args.parties!); // all start at once
    for (let i = 0; i < args.count!; i++) {
      lock.acquire();
      i32[COUNTER / 4] = i32[COUNTER / 4]! + 1;
      lock.release();
    }
    lock.close?.();
    say({ done: args.count });
  } else if (args.mode === 'hold') {
    lock.acquire();
    say({ held: true });
    if (args.ms === undefined) setInterval(() => {}, 1 << 30);
    else {
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, args.ms); // holds it this long
      lock.release();
      lock.close?.();
      say({ released: true });
    }
  } else {
    say({ sleeping: process.pid });
    const t0 = process.hrtime.bigint();
    lock.acquire();
    say({ acquiredAfterMs: Number(process.hrtime.bigint() - t0) / 1e6 });
    lock.release();
    lock.close?.();
  }
}
