// The sync suite's worker thread: workerData = { buffer: the region's SharedArrayBuffer, start:
// PeerStart, fds: the parent's channel fds }. Serves the parent's commands (PeerCommand messages, one
// at a time, each answered with a PeerReply) until terminated; each command works on duplicates of
// the fds, its own to close.
import { parentPort, workerData } from 'node:worker_threads';
import { setAffinity } from '@ipc-compare/native';
import { serveCommand, type PeerCommand, type PeerStart } from './peer.js';

const { buffer, start, fds } = workerData as { buffer: SharedArrayBuffer; start: PeerStart; fds: number[] };
parentPort!.on('message', (cmd: PeerCommand) => {
  // This thread only (0 = the calling thread), and again per command: the parent pins all of its
  // threads, this one included, at the start of each measurement.
  if (start.cpu !== null) setAffinity(0, [start.cpu]);
  parentPort!.postMessage(serveCommand(buffer, cmd, fds));
});
