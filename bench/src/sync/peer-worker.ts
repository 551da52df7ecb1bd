// The sync suite's worker thread: workerData = { buffer: the region's SharedArrayBuffer, args: PeerArgs,
// fds: the parent's fds }. The thread works on duplicates of them, which it owns and closes.
import { workerData } from 'node:worker_threads';
import { dupCloseOnExec, setAffinity } from '@ipc-compare/native';
import { announceFailure, runPeer, type PeerArgs } from './peer.js';

const { buffer, args, fds } = workerData as { buffer: SharedArrayBuffer; args: PeerArgs; fds: number[] };
if (args.cpu !== null) setAffinity(0, [args.cpu]); // this thread only (0 = the calling thread)
try {
  runPeer(buffer, args, fds.map(dupCloseOnExec));
} catch (err) {
  announceFailure(buffer);
  throw err;
}
