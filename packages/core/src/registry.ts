// From a PeerSpec (JSON) back to the Transport that can attach it. The peer process only knows the
// spec, so the spec names the module that implements the transport and its id within that module.
import { ipcError } from './errors.js';
import type { Channel, PeerSpec, Transport } from './types.js';

/** What a mechanism package exports so peers can find its transports. */
export interface TransportModule {
  transports: Record<string, Transport>;
}

/** Throws ERR_INVALID_PEER_SPEC unless `spec` has the PeerSpec shape. */
export function validatePeerSpec(spec: unknown): asserts spec is PeerSpec {
  const bad = (why: string) => ipcError('ERR_INVALID_PEER_SPEC', `invalid PeerSpec: ${why}`);
  if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) throw bad('not an object');
  const s = spec as Record<string, unknown>;
  if (typeof s.transport !== 'string' || s.transport === '') throw bad('"transport" must be a non-empty string');
  if (typeof s.module !== 'string' || s.module === '') throw bad('"module" must be a non-empty string');
  if (!('params' in s)) throw bad('"params" is missing');
  if (s.inheritFds !== undefined) {
    if (!Array.isArray(s.inheritFds) || !s.inheritFds.every((fd) => Number.isInteger(fd) && fd >= 0)) {
      throw bad('"inheritFds" must be an array of non-negative integers');
    }
  }
}

export async function loadTransport(spec: PeerSpec): Promise<Transport> {
  validatePeerSpec(spec);
  let mod: Partial<TransportModule>;
  try {
    mod = (await import(spec.module)) as Partial<TransportModule>;
  } catch (cause) {
    throw ipcError('ERR_UNKNOWN_TRANSPORT', `cannot load transport module ${JSON.stringify(spec.module)}`, { cause });
  }
  const transport = mod.transports?.[spec.transport];
  if (!transport) {
    const known = Object.keys(mod.transports ?? {}).join(', ') || 'none';
    throw ipcError('ERR_UNKNOWN_TRANSPORT', `module ${spec.module} has no transport ${JSON.stringify(spec.transport)} (it has: ${known})`);
  }
  return transport;
}

/** Validates the spec, finds its transport and attaches. */
export async function attachPeerSpec(spec: unknown): Promise<{ transport: Transport; channel: Channel }> {
  validatePeerSpec(spec);
  const transport = await loadTransport(spec);
  const channel = await transport.attach(spec);
  return { transport, channel };
}

/** Reads a required param of a spec, with a clear error naming the transport. */
export function specParam<T>(spec: PeerSpec, name: string, check: (v: unknown) => v is T, what: string): T {
  const params = spec.params as Record<string, unknown> | null;
  const value = params && typeof params === 'object' ? params[name] : undefined;
  if (!check(value)) throw ipcError('ERR_INVALID_PEER_SPEC', `invalid PeerSpec for ${spec.transport}: params.${name} must be ${what}`);
  return value;
}
