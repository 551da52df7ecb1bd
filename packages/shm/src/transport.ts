// The shared-memory transports: shm-anon, shm-file, shm-posix, shm-xsi. The same rings (channel.ts)
// over each kind of region (regions.ts); only how the other process finds the region differs.
// Rendezvous: the creator makes the region and writes the header; the attacher maps it, claims it
// (its pid, compare-and-swap: a second attacher is refused) and wakes the creator, whose connect()
// then resolves. Once both have it mapped, the name is removed (shm_unlink, IPC_RMID, the file):
// from then on a crash of either leaves nothing behind.
import { ipcError, makeOpened, validateInteger, validateOneOf, validateOptions, type Channel, type Opened, type PeerSpec, type Semantics, type Transport } from '@ipc-compare/core';
import { SyncWaiter, futexWake } from '@ipc-compare/native';
import { ShmChannel } from './channel.js';
import { DEFAULT_CAPACITY, H_ATTACHED, H_ATTACHER, H_CAPACITY, H_CREATOR, H_MAGIC, H_VERSION, MAGIC, VERSION, regionBytes } from './layout.js';
import { attachRegion, createRegion, type Region, type RegionKind, type RegionParams } from './regions.js';

export const SHM_MODULE = '@ipc-compare/shm';

export interface ShmOpenOptions {
  /** Bytes per ring (a power of two, 4 KiB … 256 MiB; default 256 KiB). */
  capacity?: number;
  /** Loads of the ring's index a side makes before it sleeps (0 … 1e6; default 64: a short spin). */
  spin?: number;
  /**
   * 'futex' (default): spin `spin` times, then sleep in futex(2). 'spin': the blocking path never
   * sleeps — it busy-polls the ring (one CPU at 100 % per waiting side, for the spin rows); the
   * async path still sleeps.
   */
  wake?: 'futex' | 'spin';
}

/** Default spin: 64 loads of the ring's index (≈ 0.8 µs in JS), to catch a peer on another CPU about to publish; the budget adapts (channel.ts). */
export const DEFAULT_SPIN = 64;

interface ShmParams {
  region: RegionParams;
  capacity: number;
  spin: number;
  wake: 'futex' | 'spin';
}

function semanticsOf(kind: RegionKind): Semantics {
  return {
    duplex: 'full',
    boundaries: true,
    reliable: true,
    reach: kind === 'anon' ? 'related' : 'local',
    passesFds: false,
    endOfStream: true,
    zeroCopy: true,
    // The channel removes the name once both have mapped it; this is what the kind of region does.
    persistence: kind === 'posix' || kind === 'xsi' ? 'kernel' : kind === 'file' ? 'file' : 'none',
  };
}

function checkOptions(value: unknown): Required<ShmOpenOptions> {
  const o = validateOptions<ShmOpenOptions>(value);
  const capacity = o.capacity ?? DEFAULT_CAPACITY;
  validateInteger(capacity, 'capacity', 4096, 1 << 28);
  if ((capacity & (capacity - 1)) !== 0) throw ipcError('ERR_INVALID_ARG_VALUE', `capacity must be a power of two, not ${capacity}`);
  const spin = o.spin ?? DEFAULT_SPIN;
  validateInteger(spin, 'spin', 0, 1e6);
  const wake = o.wake ?? 'futex';
  validateOneOf(wake, 'wake', ['futex', 'spin']);
  return { capacity, spin, wake };
}

function header(region: Region): Int32Array {
  return new Int32Array(region.buffer, 0, 8);
}

/** Resolves once the attacher has claimed the region; `stop` ends the wait (then it rejects). */
function attached(region: Region, stop: AbortSignal): Promise<number> {
  const h = header(region);
  return new Promise<number>((resolve, reject) => {
    const check = () => {
      if (Atomics.load(h, H_ATTACHED / 4) === 1) return resolve(Atomics.load(h, H_ATTACHER / 4));
      if (stop.aborted) return reject(stop.reason as Error);
      const w = new SyncWaiter('futex', region.buffer, H_ATTACHED, 0, 1000, (err) => {
        stop.removeEventListener('abort', cancel);
        if (err) reject(err);
        else check();
      });
      const cancel = () => w.cancel();
      stop.addEventListener('abort', cancel, { once: true });
    };
    check();
  });
}

function paramsOf(spec: PeerSpec): ShmParams {
  const p = spec.params as Partial<ShmParams> | null;
  const bad = (why: string) => ipcError('ERR_INVALID_PEER_SPEC', `invalid PeerSpec for ${spec.transport}: ${why}`);
  if (p === null || typeof p !== 'object' || p.region === null || typeof p.region !== 'object') throw bad('params.region must be an object');
  if (typeof p.capacity !== 'number' || typeof p.spin !== 'number') throw bad('params.capacity and params.spin must be numbers');
  return p as ShmParams;
}

export function makeShmTransport(kind: RegionKind): Transport<ShmOpenOptions> {
  const id = `shm-${kind}`;
  const transport: Transport<ShmOpenOptions> = {
    id,
    module: SHM_MODULE,
    semantics: semanticsOf(kind),
    blockingPath: true,

    async open(options?: ShmOpenOptions): Promise<Opened> {
      const { capacity, spin, wake } = checkOptions(options);
      const region = createRegion(kind, regionBytes(capacity));
      const h = header(region);
      h[H_VERSION / 4] = VERSION;
      h[H_CAPACITY / 4] = capacity;
      h[H_CREATOR / 4] = process.pid;
      Atomics.store(h, H_MAGIC / 4, MAGIC); // last: a region with the magic is complete
      const stop = new AbortController();
      const connected = attached(region, stop.signal).then(
        (peerPid) => {
          region.unlink(); // both have it mapped: a crash now leaves nothing
          return new ShmChannel({ transport: id, region, side: 'creator', capacity, peerPid, spin: wake === 'spin' ? Infinity : spin }) as Channel;
        },
        (err: unknown) => {
          region.close();
          throw err;
        },
      );
      const params: ShmParams = { region: region.params, capacity, spin, wake };
      return makeOpened({
        transport,
        peer: { transport: id, params, ...(region.inheritFds.length ? { inheritFds: region.inheritFds } : {}) },
        connected,
        cancel: () => stop.abort(ipcError('ERR_INVALID_STATE', `${id}: the rendezvous was closed before the peer attached`)),
        handOff: () => region.handOff(),
      });
    },

    async attach(spec: PeerSpec): Promise<Channel> {
      const p = paramsOf(spec);
      if (p.region.kind !== kind) throw ipcError('ERR_INVALID_PEER_SPEC', `invalid PeerSpec for ${id}: a ${String(p.region.kind)} region`);
      const { capacity, spin, wake } = checkOptions({ capacity: p.capacity, spin: p.spin, wake: p.wake });
      if (p.region.size < regionBytes(capacity)) throw ipcError('ERR_INVALID_PEER_SPEC', `invalid PeerSpec for ${id}: a ${p.region.size}-byte region cannot hold two ${capacity}-byte rings`);
      const inherited = kind === 'anon' ? spec.inheritFds?.[0] : undefined;
      if (kind === 'anon' && inherited === undefined) throw ipcError('ERR_INVALID_PEER_SPEC', `invalid PeerSpec for ${id}: the region's fd must be inherited`);
      const region = attachRegion(p.region, inherited);
      try {
        const h = header(region);
        if (Atomics.load(h, H_MAGIC / 4) !== MAGIC || h[H_VERSION / 4] !== VERSION || h[H_CAPACITY / 4] !== capacity) {
          throw ipcError('ERR_INVALID_PEER_SPEC', `invalid PeerSpec for ${id}: the region holds no version-${VERSION} channel of ${capacity}-byte rings`);
        }
        if (Atomics.compareExchange(h, H_ATTACHER / 4, 0, process.pid) !== 0) throw ipcError('ERR_PEER_REFUSED', `${id}: another process already attached to this channel`);
        const channel = new ShmChannel({ transport: id, region, side: 'attacher', capacity, peerPid: h[H_CREATOR / 4]!, spin: wake === 'spin' ? Infinity : spin });
        Atomics.store(h, H_ATTACHED / 4, 1);
        futexWake(region.buffer, H_ATTACHED, 1);
        return channel;
      } catch (err) {
        region.close();
        throw err;
      }
    },
  };
  return transport;
}

export const shmAnonTransport = makeShmTransport('anon');
export const shmFileTransport = makeShmTransport('file');
export const shmPosixTransport = makeShmTransport('posix');
export const shmXsiTransport = makeShmTransport('xsi');
