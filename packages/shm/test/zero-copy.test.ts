// Zero-copy: claimSync/commitClaim write a message in place in the ring, recvViewSync reads it in
// place. Across two processes the receiver's view is the sender's memory (bytes the sender writes
// after publishing show up in it); the view's space stays the reader's until its next recv; misuse is
// refused with a coded error.
import { afterEach, describe, expect, it } from 'vitest';
import type { Channel } from '@ipc-compare/core';
import { spawnPeer } from '@ipc-compare/core/testing';
import { shmAnonTransport, shmPosixTransport } from '../src/index.js';

const CORE_ROLES = '@ipc-compare/core/roles';
const open: Channel[] = [];
afterEach(async () => {
  for (const ch of open.splice(0)) await ch.close();
});

/** Both ends in this process (attach by name): for what only the ring's bookkeeping can show. */
async function pair(capacity = 4096): Promise<[Channel, Channel]> {
  const opened = await shmPosixTransport.open({ capacity });
  const [b, a] = await Promise.all([shmPosixTransport.attach(opened.peer), opened.connect()]);
  open.push(a, b);
  return [a, b];
}

describe('zero-copy', () => {
  it('across processes: the receiver views the sender\'s bytes in place — what the sender writes after publishing shows up in the view', async () => {
    const opened = await shmAnonTransport.open();
    await using peer = await spawnPeer(opened, { module: CORE_ROLES, name: 'rewrite-after-send' });
    const ch = await opened.connect();
    open.push(ch);
    expect(await peer.nextControl()).toEqual({ inPlace: true });
    const view = ch.recvViewSync!()!;
    expect(view.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(Buffer.from(view).toString()).toBe('A'.repeat(16));
    peer.send('overwrite');
    expect(await peer.nextControl()).toEqual({ rewrote: true });
    expect(Buffer.from(view).toString()).toBe('B'.repeat(16)); // the same memory, in another process
    await ch.close();
    expect(await peer.result()).toEqual({ inPlace: true });
  });

  it('a view\'s space stays the reader\'s until its next recv: the producer waits instead of overwriting it', async () => {
    const [tx, rx] = await pair(4096); // records of 1000 B take 1008: four fit
    for (let i = 1; i <= 4; i++) await tx.send(new Uint8Array(1000).fill(i));
    const view = rx.recvViewSync!()!;
    expect(view.buffer).toBeInstanceOf(SharedArrayBuffer);
    let sent = false;
    const fifth = tx.send(new Uint8Array(1000).fill(5)).then(() => (sent = true));
    await new Promise<void>((r) => setImmediate(r));
    expect(sent).toBe(false); // the held view's 1008 bytes are not free
    expect(view.every((b) => b === 1)).toBe(true);
    expect(rx.recvSync!(new Uint8Array(1000))).toBe(1000); // releases the view, takes message 2
    await fifth;
    for (const want of [3, 4, 5]) {
      const m = rx.recvViewSync!()!;
      expect([m.length, m[0], m[999]]).toEqual([1000, want, want]);
    }
  });

  it('claims that meet the ring\'s end leave padding, skipped by every kind of recv; wrapped and fragmented messages come as copies', async () => {
    const [tx, rx] = await pair(4096);
    const recvs = [() => rx.recvViewSync!(), () => rx.recv(), () => { const b = new Uint8Array(1024); const n = rx.recvSync!(b); return n === null ? null : b.subarray(0, n); }];
    for (let i = 0; i < 30; i++) {
      const len = 200 + ((i * 331) % 800); // ≤ a quarter of the ring, positions all over it
      const v = tx.claimSync!(len);
      expect(v.length).toBe(len);
      v.fill(i);
      tx.commitClaim!();
      const got = (await recvs[i % 3]!())!;
      expect([got.length, got[0], got[len - 1]]).toEqual([len, i, i]);
    }
    await tx.send(new Uint8Array(3000).fill(7)); // over a quarter: fragments, reassembled as a copy
    const whole = rx.recvViewSync!()!;
    expect(whole.buffer).not.toBeInstanceOf(SharedArrayBuffer);
    expect([whole.length, whole[2999]]).toEqual([3000, 7]);
  });

  it('misuse is refused with a coded error', async () => {
    const [tx, rx] = await pair(4096);
    expect(() => tx.claimSync!(0)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => tx.claimSync!(1025)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' })); // over a quarter of the ring
    expect(() => tx.commitClaim!()).toThrow(expect.objectContaining({ code: 'ERR_INVALID_STATE' }));
    tx.claimSync!(8);
    expect(() => tx.claimSync!(8)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_STATE' }));
    expect(() => tx.sendSync!(new Uint8Array(1))).toThrow(expect.objectContaining({ code: 'ERR_INVALID_STATE' }));
    await expect(tx.send(new Uint8Array(1))).rejects.toMatchObject({ code: 'ERR_INVALID_STATE' });
    await expect(tx.end!()).rejects.toMatchObject({ code: 'ERR_INVALID_STATE' });
    tx.commitClaim!();
    expect(rx.recvViewSync!()!.length).toBe(8);
    await tx.close();
    expect(rx.recvViewSync!()).toBeNull(); // end of stream
    expect(() => tx.claimSync!(8)).toThrow(expect.objectContaining({ code: 'ERR_CHANNEL_CLOSED' }));
  });
});
