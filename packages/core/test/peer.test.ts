import { describe, expect, it } from 'vitest';
import { getAffinity } from '@ipc-compare/native';
import { readFileSync } from 'node:fs';
import { TransportRegistry } from '../src/index.js';
import { assertNoFdLeaks, snapshotFds, spawnPeer } from '../src/testing/index.js';
import { primeProcessResources } from '../src/conformance/index.js';
import { brokenTransport } from '../src/testing/broken.js';

const reference = brokenTransport('none');

describe('spawnPeer', () => {
  it('passes the peer its fds as extra stdio slots and closes our copies (handOff)', async () => {
    await primeProcessResources();
    const before = snapshotFds();
    const opened = await reference.open();
    const theirs = opened.peer.inheritFds!;
    const open = snapshotFds();
    const targets = theirs.map((fd) => open.get(fd));
    expect(targets.every((t) => t?.startsWith('pipe:'))).toBe(true);
    const peer = await spawnPeer(opened, { module: '@ipc-compare/core/roles', name: 'echo' });
    // Our copies of the peer's ends are closed, or EOF would never come.
    const after = snapshotFds();
    theirs.forEach((fd, i) => expect(after.get(fd)).not.toBe(targets[i]));
    const channel = await opened.connect();
    await channel.send(Buffer.from('ping'));
    expect(Buffer.from((await channel.recv())!).toString()).toBe('ping');
    await channel.close();
    expect(await peer.result()).toEqual({ messages: 1, bytes: 4 });
    await assertNoFdLeaks(before);
  });

  it('pins the peer, all its threads, to the CPUs asked for', async () => {
    const opened = await reference.open();
    const peer = await spawnPeer(opened, { module: '@ipc-compare/core/roles', name: 'echo' }, { cpus: [0] });
    const tids = readFileSync(`/proc/${peer.pid}/status`, 'utf8').match(/Threads:\s+(\d+)/)![1];
    expect(Number(tids)).toBeGreaterThan(1);
    for (const line of readFileSync(`/proc/${peer.pid}/status`, 'utf8').split('\n')) {
      if (line.startsWith('Cpus_allowed_list:')) expect(line.split(':')[1]!.trim()).toBe('0');
    }
    expect(getAffinity(peer.pid)).toEqual([0]);
    await opened.close();
    await peer.result();
  });

  it('reports a role that does not exist, with the peer error kept', async () => {
    const opened = await reference.open();
    await expect(spawnPeer(opened, { module: '@ipc-compare/core/roles', name: 'no-such-role' })).rejects.toMatchObject({
      code: 'ERR_INVALID_ARG_VALUE',
      message: expect.stringMatching(/no role "no-such-role"/),
    });
    await opened.close();
  });

  it('reports an unknown transport (found by the peer) and a malformed spec (found before spawning)', async () => {
    const modules = { transportModules: ['@ipc-compare/core/testing/broken'] };
    await expect(spawnPeer({ transport: 'nope', params: {} }, { module: '@ipc-compare/core/roles', name: 'echo' }, modules)).rejects.toMatchObject({
      code: 'ERR_UNKNOWN_TRANSPORT',
    });
    await expect(spawnPeer({ transport: 'reference', params: {} }, { module: '@ipc-compare/core/roles', name: 'echo' })).rejects.toMatchObject({
      code: 'ERR_INVALID_ARG_VALUE', // a bare spec: which modules to trust must be said
    });
    await expect(spawnPeer({ transport: 'x' } as never, { module: '@ipc-compare/core/roles', name: 'echo' })).rejects.toMatchObject({
      code: 'ERR_INVALID_PEER_SPEC',
    });
  });

  it('turns a peer killed by a signal into ERR_PEER_FAILED naming the signal', async () => {
    const opened = await reference.open();
    const peer = await spawnPeer(opened, { module: '@ipc-compare/core/roles', name: 'drain' });
    peer.kill('SIGTERM');
    await expect(peer.result()).rejects.toMatchObject({ code: 'ERR_PEER_FAILED', message: expect.stringMatching(/killed by SIGTERM/) });
    await opened.close();
  });
});

describe('a PeerSpec selects among trusted transports only', () => {
  it('a spec naming a module is not a way to run code: nothing is imported, the transport is unknown', async () => {
    const registry = new TransportRegistry([reference]);
    const g = globalThis as { __specRan?: boolean };
    const hostile = { transport: 'pwn', module: 'data:text/javascript,globalThis.__specRan=true', params: {} };
    await expect(registry.attach(hostile)).rejects.toMatchObject({ code: 'ERR_UNKNOWN_TRANSPORT' });
    expect(g.__specRan).toBeUndefined();
    expect(registry.ids).toEqual(['reference']);
  });
});
