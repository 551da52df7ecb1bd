// The sync suite's worker thread: workerData = { buffer: the region's SharedArrayBuffer, args: PeerArgs }.
import { workerData } from 'node:worker_threads';
import { setAffinity } from '@ipc-compare/native';
import { announceFailure, runPeer, type PeerArgs } from './peer.js';

const { buffer, args } = workerData as { buffer: SharedArrayBuffer; args: PeerArgs };
if (args.cpu !== null) setAffinity(0, [args.cpu]); // this thread only (0 = the calling thread)
try {
  runPeer(buffer, args);
} catch (err) {
  announceFailure(buffer);
  throw err;
}
