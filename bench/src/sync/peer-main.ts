// The sync suite's child process: `node peer-main.js '<PeerStart JSON>'` with the region's memfd as
// fd 3, the channel fds, if any, as fds 4, 5, …, and Node's IPC channel after them. It serves the
// parent's commands (PeerCommand messages, one at a time, each answered with a PeerReply) until the
// parent disconnects or kills it.
import { constants as osConstants } from 'node:os';
import { pinProcess } from '@ipc-compare/core';
import { setParentDeathSignal } from '@ipc-compare/native';
import { SharedRegion } from '@ipc-compare/sync';
import { serveCommand, type PeerCommand, type PeerStart } from './peer.js';

// Never outlive the parent (it may be killed while this process waits on the region).
if (setParentDeathSignal(osConstants.signals.SIGKILL)) process.exit(1);
const start = JSON.parse(process.argv[2] ?? 'null') as PeerStart;
const region = SharedRegion.inherit(3);
const fds = Array.from({ length: start.fdCount }, (_, i) => 4 + i);
process.on('message', (cmd: PeerCommand) => {
  // Every thread, each time: a thread Node started since the last command would otherwise not be.
  if (start.cpu !== null) pinProcess(process.pid, [start.cpu]);
  process.send!(serveCommand(region.buffer, cmd, fds));
});
process.once('disconnect', () => region.close());
