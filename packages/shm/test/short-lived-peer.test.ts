// A peer that attaches, sends, closes and exits before the creator's event loop has run its connect:
// its messages are in the ring all the same, and they arrive, then the end of stream — not ESRCH from
// a pidfd_open of a process that is gone (seen in the reach probe, with its probes running at once).
import { spawnSync } from 'node:child_process';
import { expect, it } from 'vitest';
import { shmPosixTransport } from '../src/index.js';

it('a peer that sent, closed and exited before connect() ran: its messages arrive, then the end of stream', async () => {
  const opened = await shmPosixTransport.open();
  // spawnSync blocks this event loop: the attach is seen only after the peer has exited.
  const script = `
    import { shmPosixTransport } from '@ipc-compare/shm';
    const ch = await shmPosixTransport.attach(JSON.parse(process.argv[1]));
    await ch.send(Buffer.from('first'));
    await ch.send(Buffer.from('second'));
    await ch.close();`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script, JSON.stringify(opened.peer)], { encoding: 'utf8' });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  const ch = await opened.connect();
  try {
    expect(Buffer.from((await ch.recv())!).toString()).toBe('first');
    expect(Buffer.from((await ch.recv())!).toString()).toBe('second');
    expect(await ch.recv()).toBeNull();
    await expect(ch.send(Buffer.from('x'))).rejects.toMatchObject({ code: 'EPIPE' }); // nobody to read it
  } finally {
    await ch.close();
  }
});
