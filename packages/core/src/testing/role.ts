// Roles: what a peer process does once attached (echo, verify a stream, answer pings…). A role module
// exports `roles: Record<string, Role>`; core's own are in roles.ts, the benchmark's in bench.
import { ipcError } from '../errors.js';
import type { RoleRef } from './peer.js';
import type { Channel, PeerSpec, Transport } from '../types.js';

export interface RoleContext {
  channel: Channel;
  transport: Transport;
  /** The spec this peer attached with (inheritFds as numbered in this process). */
  spec: PeerSpec;
  args: unknown;
  /** Out-of-band messages to and from the parent (Node's IPC channel, not the channel under test). */
  control: {
    send(value: unknown): Promise<void>;
    next(): Promise<unknown>;
  };
}

export type Role = (ctx: RoleContext) => unknown;

export async function loadRole(ref: RoleRef): Promise<Role> {
  let mod: { roles?: Record<string, Role> };
  try {
    mod = (await import(ref.module)) as { roles?: Record<string, Role> };
  } catch (cause) {
    throw ipcError('ERR_INVALID_ARG_VALUE', `cannot load role module ${JSON.stringify(ref.module)}`, { cause });
  }
  const role = mod.roles?.[ref.name];
  if (typeof role !== 'function') throw ipcError('ERR_INVALID_ARG_VALUE', `module ${ref.module} has no role ${JSON.stringify(ref.name)}`);
  return role;
}
