// The sync suite's reused peers (src/runners/sync-peer.ts): one peer serves several measurements, a
// failed or dead one is replaced, and each measurement starts from a zeroed region. Real child
// processes and worker threads (the built peer scripts); no timing is judged.
import { describe, expect, it } from 'vitest';
import { futexWake } from '@ipc-compare/native';
import { SyncPeers } from '../src/runners/sync-peer.js';
import { LAYOUT, findPrimitive, word } from '../src/sync/primitives.js';

const futexMutex = findPrimitive('futex-mutex');

/** One contended command on a peer: the parent's side of the protocol without the measurement. */
async function contend(peers: SyncPeers, increments: number): Promise<number> {
  const peer = await peers.get(futexMutex);
  const buffer = peer.freshBuffer();
  const lock = futexMutex.contended!.open(buffer, true);
  const run = peer.run({ part: 'contended', primitive: futexMutex.id, increments });
  try {
    await run.ready();
    Atomics.store(word(buffer, LAYOUT.counter), 0, 0);
    Atomics.store(word(buffer, LAYOUT.go), 0, 1);
    futexWake(buffer, LAYOUT.go, 1); // the peer sleeps in futex(2), which Atomics.notify does not reach
    await run.done();
    Atomics.store(word(buffer, LAYOUT.stop), 0, 1);
    futexWake(buffer, LAYOUT.stop, 1);
    await run.finished();
    return Atomics.load(word(buffer, LAYOUT.counter), 0);
  } finally {
    await run.close();
    lock.close();
  }
}

describe.each(['processes', 'threads'] as const)('sync peers (%s)', (workers) => {
  it('serve several measurements from one peer, each from a zeroed region', async () => {
    const peers = new SyncPeers(workers, 'none', 'contended');
    try {
      const first = await peers.get(futexMutex);
      expect(first.fresh).toBe(true);
      // The peer alone increments (the parent does not): its `increments` after each reset.
      expect(await contend(peers, 1000)).toBe(1000);
      const buffer = first.freshBuffer();
      expect(new Int32Array(buffer).every((v) => v === 0)).toBe(true);
      expect(await contend(peers, 2000)).toBe(2000);
      expect(await peers.get(futexMutex)).toBe(first);
      expect(first.fresh).toBe(false);
    } finally {
      await peers.end();
    }
  });

  it("a failed command rejects with the peer's error, and the next measurement gets a new peer", async () => {
    const peers = new SyncPeers(workers, 'none', 'contended');
    try {
      const peer = await peers.get(futexMutex);
      peer.freshBuffer();
      const run = peer.run({ part: 'contended', primitive: 'no-such-primitive', increments: 10 });
      await expect(run.ready()).rejects.toThrow(/unknown sync primitive "no-such-primitive"/);
      await run.close();
      expect(peer.usable).toBe(false);
      const next = await peers.get(futexMutex);
      expect(next).not.toBe(peer);
      expect(await contend(peers, 500)).toBe(500);
    } finally {
      await peers.end();
    }
  });
});

it('a peer process killed during a measurement is reported, and replaced', async () => {
  const peers = new SyncPeers('processes', 'none', 'contended');
  try {
    const peer = await peers.get(futexMutex);
    peer.freshBuffer();
    const run = peer.run({ part: 'contended', primitive: futexMutex.id, increments: 10 });
    await run.ready(); // it now waits for `go`
    process.kill(peer.pids[1]!, 'SIGKILL');
    await expect(run.finished()).rejects.toThrow(/sync peer killed by SIGKILL/);
    await run.close();
    expect(await peers.get(futexMutex)).not.toBe(peer);
  } finally {
    await peers.end();
  }
});
