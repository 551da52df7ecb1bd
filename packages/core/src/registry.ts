// From a PeerSpec (JSON, possibly from elsewhere) back to a Transport that can attach it. A spec only
// selects among transports the attaching program chose to trust: it never names code to load.
import { ipcError } from './errors.js';
import type { AttachOptions, Channel, PeerSpec, Transport } from './types.js';

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
  if (!('params' in s)) throw bad('"params" is missing');
  if (s.inheritFds !== undefined) {
    if (!Array.isArray(s.inheritFds) || !s.inheritFds.every((fd) => Number.isInteger(fd) && fd >= 0)) {
      throw bad('"inheritFds" must be an array of non-negative integers');
    }
  }
}

/** The transports a program accepts specs for, by id. */
export class TransportRegistry {
  readonly #byId = new Map<string, Transport>();

  constructor(transports: Iterable<Transport> | Record<string, Transport> = []) {
    this.add(transports);
  }

  add(transports: Iterable<Transport> | Record<string, Transport>): this {
    const list = Symbol.iterator in transports ? [...(transports as Iterable<Transport>)] : Object.values(transports);
    for (const t of list) this.#byId.set(t.id, t);
    return this;
  }

  get ids(): string[] {
    return [...this.#byId.keys()];
  }

  /** The transport a spec names; ERR_UNKNOWN_TRANSPORT if it is not one of these. */
  get(spec: PeerSpec): Transport {
    const t = this.#byId.get(spec.transport);
    if (!t) throw ipcError('ERR_UNKNOWN_TRANSPORT', `unknown transport ${JSON.stringify(spec.transport)} (known here: ${this.ids.join(', ') || 'none'})`);
    return t;
  }

  /** Validates the spec, finds its transport among these and attaches. */
  async attach(spec: unknown, opts?: AttachOptions): Promise<{ transport: Transport; channel: Channel }> {
    validatePeerSpec(spec);
    const transport = this.get(spec);
    const channel = await transport.attach(spec, opts);
    return { transport, channel };
  }
}

/** Reads a required param of a spec, with a clear error naming the transport. */
export function specParam<T>(spec: PeerSpec, name: string, check: (v: unknown) => v is T, what: string): T {
  const params = spec.params as Record<string, unknown> | null;
  const value = params && typeof params === 'object' ? params[name] : undefined;
  if (!check(value)) throw ipcError('ERR_INVALID_PEER_SPEC', `invalid PeerSpec for ${spec.transport}: params.${name} must be ${what}`);
  return value;
}

/** An integer param of a spec in [min, max] (`undefined` allowed when `optional`). */
export function specInteger(spec: PeerSpec, name: string, min: number, max: number, optional: true): number | undefined;
export function specInteger(spec: PeerSpec, name: string, min: number, max: number, optional?: false): number;
export function specInteger(spec: PeerSpec, name: string, min: number, max: number, optional = false): number | undefined {
  const inRange = (v: unknown): v is number | undefined => (optional && v === undefined) || (typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max);
  return specParam(spec, name, inRange, `an integer in ${min}..${max}`);
}
