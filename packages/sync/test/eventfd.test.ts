// EventFd: counter and semaphore modes, a child process posting to an inherited eventfd while the
// parent waits on the event loop (poll readiness: no thread, no blocking), timeout and abort.
import { afterEach, describe, expect, it } from 'vitest';
import { EventFd } from '../src/index.js';
import { killChildren, spawnChild } from './pthread-child.js';

const open: EventFd[] = [];
afterEach(async () => {
  for (const e of open.splice(0)) e.close();
  await killChildren();
});

function make(opts: { initial?: number; semaphore?: boolean } = {}) {
  const e = EventFd.create(opts);
  open.push(e);
  return e;
}

describe('EventFd', () => {
  it('counter mode: a wait returns the sum of the posts and resets it', async () => {
    const e = make({ initial: 1 });
    e.post(2);
    e.post(3);
    expect(e.waitSync()).toBe(6);
    expect(e.tryWait()).toBe(0);
    e.post(40);
    expect(await e.wait()).toBe(40);
  });

  it('semaphore mode: each wait takes one unit and returns 1', async () => {
    const e = make({ initial: 2, semaphore: true });
    e.post(3);
    const got = [e.waitSync(5_000), e.waitSync(5_000), await e.wait({ timeoutMs: 5_000 }), e.tryWait(), e.tryWait(), e.tryWait()]; // timeouts: the hang guard
    expect(got).toEqual([1, 1, 1, 1, 1, 0]);
  });

  it('a child process posts to the inherited fd; the parent async wait resolves, the loop running meanwhile', async () => {
    const e = make({ semaphore: true });
    const child = spawnChild('eventfd-peer.mjs', [], [e.fd]);
    await child.expectLine('ready');
    let resolved = false;
    const waiting = e.wait({ timeoutMs: 20_000 }).then((v) => ((resolved = true), v));
    // The wait is pending and the loop is free: a timer fires, the wait has not resolved.
    await new Promise((r) => setTimeout(r, 1));
    expect(resolved).toBe(false);
    child.send('post 1');
    expect(await waiting).toBe(1);
    // Three posts from the child, three units here, in whatever order they come.
    child.send('post 3');
    expect(await child.line()).toBe('posted');
    expect(await Promise.all([e.wait(), e.wait(), e.wait()])).toEqual([1, 1, 1]);
    expect(e.tryWait()).toBe(0);
  });

  it('timeout → ETIMEDOUT (sync and async); abort → AbortError, and the count stays for the next wait', async () => {
    const e = make();
    expect(() => e.waitSync(10)).toThrow(expect.objectContaining({ code: 'ETIMEDOUT' }));
    await expect(e.wait({ timeoutMs: 10 })).rejects.toMatchObject({ code: 'ETIMEDOUT' });
    const ac = new AbortController();
    const p = e.wait({ signal: ac.signal });
    ac.abort();
    await expect(p).rejects.toMatchObject({ name: 'AbortError' });
    e.post(5);
    expect(e.tryWait()).toBe(5);
  });

  it('concurrent waits share the fd\'s one poll handle; close() rejects the pending ones', async () => {
    const e = make({ semaphore: true });
    const ac = new AbortController();
    const waits = [e.wait(), e.wait({ signal: ac.signal }), e.wait({ timeoutMs: 5 }), e.wait()];
    ac.abort();
    await expect(waits[1]).rejects.toMatchObject({ name: 'AbortError' });
    await expect(waits[2]).rejects.toMatchObject({ code: 'ETIMEDOUT' });
    e.post(1);
    const first = await Promise.race([waits[0], waits[3]]);
    expect(first).toBe(1);
    e.close();
    const [a, b] = await Promise.allSettled([waits[0], waits[3]]);
    // One got the unit; the other was still waiting when the eventfd closed.
    expect([a.status, b.status].sort()).toEqual(['fulfilled', 'rejected']);
    expect(([a, b].find((r) => r.status === 'rejected') as PromiseRejectedResult).reason).toMatchObject({ code: 'ERR_INVALID_STATE' });
  });

  it('errors: inherit of a non-eventfd, bad posts, use after close', () => {
    expect(() => EventFd.inherit(0)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    const e = make();
    expect(() => e.post(0)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => e.post(1.5)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    e.close();
    for (const call of [() => e.post(), () => e.tryWait(), () => e.waitSync(1), () => e.fd]) {
      expect(call).toThrow(expect.objectContaining({ code: 'ERR_INVALID_STATE' }));
    }
  });
});
