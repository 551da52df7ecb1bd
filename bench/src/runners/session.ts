// One measured pairing: open the mechanism's transport (or its Node built-in baseline), start the peer
// process on its CPU with a bench role, pin this process, run the body, and release everything.
import { placementCpus, type Channel, type Placement } from '@ipc-compare/core';
import { spawnPeer, type PeerProcess } from '@ipc-compare/core/testing';
import type { Mechanism } from '../mechanisms.js';
import type { Path } from '../roles.js';
import { withPinnedSelf } from './pin.js';

export interface Session {
  channel: Channel;
  peer: PeerProcess;
  cpus: { parent: number | null; child: number | null };
}

export async function withSession<T>(
  m: Mechanism,
  impl: 'ts' | 'node',
  role: { name: 'pong' | 'receiver'; size: number; path: Path; writes?: 1 | 2 },
  placement: Placement,
  body: (s: Session) => Promise<T>,
): Promise<T> {
  const cpus = placementCpus(placement);
  const transport = impl === 'node' ? m.nodeBaseline!.transport : m.transport;
  const opened = await transport.open(impl === 'node' ? undefined : m.openOptions);
  let peer: PeerProcess | undefined;
  let channel: Channel | undefined;
  try {
    peer = await spawnPeer(
      opened,
      { module: '@ipc-compare/bench/roles', name: role.name, args: { size: role.size, path: role.path, writes: role.writes ?? 1 } },
      { cpus: cpus.child === null ? null : [cpus.child] },
    );
    channel = await opened.connect();
    const s: Session = { channel, peer, cpus };
    return await withPinnedSelf(cpus.parent, () => body(s));
  } finally {
    await channel?.close();
    await opened.close();
    await peer?.[Symbol.asyncDispose]();
  }
}
