// @ipc-compare/shm: the four kinds of shared memory of the notes as regions (a SharedArrayBuffer over
// the mapping), and a ring-buffer transport over each behind the common Channel interface.
import type { Transport } from '@ipc-compare/core';
import { shmAnonTransport, shmFileTransport, shmPosixTransport, shmXsiTransport } from './transport.js';

export { DEFAULT_SPIN, SHM_MODULE, makeShmTransport, shmAnonTransport, shmFileTransport, shmPosixTransport, shmXsiTransport, type ShmOpenOptions } from './transport.js';
export { REGION_KINDS, SHM_PREFIX, attachRegion, createRegion, pageRound, removeRegion, type CreateRegionOptions, type Region, type RegionKind, type RegionParams } from './regions.js';
export { DEFAULT_CAPACITY, regionBytes } from './layout.js';
export { ShmChannel } from './channel.js';

/** For peers: the transports a spec may name (TransportRegistry). */
export const transports: Record<string, Transport> = {
  'shm-anon': shmAnonTransport,
  'shm-file': shmFileTransport,
  'shm-posix': shmPosixTransport,
  'shm-xsi': shmXsiTransport,
};
