// The shared conformance kit against each shared-memory transport, with real peer processes: a
// related one (the memfd inherited) for shm-anon, an unrelated one (it finds the region by its name,
// path or id) for the others.
import { describeConformance } from '@ipc-compare/core/conformance';
import { shmAnonTransport, shmFileTransport, shmPosixTransport, shmXsiTransport } from '../src/index.js';

for (const t of [shmAnonTransport, shmPosixTransport, shmFileTransport, shmXsiTransport]) describeConformance(t);
