// The sync suite's child process: `node peer-main.js '<PeerArgs JSON>'` with the region's memfd as fd 3
// and the ping side's fds, if any, as fds 4, 5, ….
import { constants as osConstants } from 'node:os';
import { pinProcess } from '@ipc-compare/core';
import { setParentDeathSignal } from '@ipc-compare/native';
import { SharedRegion } from '@ipc-compare/sync';
import { announceFailure, runPeer, type PeerArgs } from './peer.js';

// Never outlive the parent (it may be killed while this process waits on the region).
if (setParentDeathSignal(osConstants.signals.SIGKILL)) process.exit(1);
const args = JSON.parse(process.argv[2] ?? 'null') as PeerArgs;
if (args.cpu !== null) pinProcess(process.pid, [args.cpu]);
const region = SharedRegion.inherit(3);
try {
  runPeer(region.buffer, args, Array.from({ length: args.fdCount }, (_, i) => 4 + i));
} catch (err) {
  announceFailure(region.buffer);
  throw err;
}
region.close();
