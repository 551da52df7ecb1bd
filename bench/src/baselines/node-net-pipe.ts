// The Node built-in baseline for pipes: the same pipe(2) fds, but driven by node:net (libuv's stream
// machinery, what `new net.Socket({ fd })` gives any Node program) instead of this project's channel.
import net from 'node:net';
import { adoptInherited, openInherited, type Channel, type OwnedEnds, type Transport } from '@ipc-compare/core';
import { pipePair, pipeSemantics } from '@ipc-compare/pipe';
import { NodeStreamChannel } from './node-stream-channel.js';

const ID = 'node-net-pipe';

function netChannel(ends: OwnedEnds, onClose: () => void): Channel {
  // libuv closes the fds when the sockets are destroyed; until then they stay marked in use here.
  const readable = new net.Socket({ fd: ends.read.handOver(), readable: true, writable: false });
  const writable = new net.Socket({ fd: ends.write.handOver(), readable: false, writable: true });
  readable.once('close', () => ends.read.released());
  writable.once('close', () => ends.write.released());
  return new NodeStreamChannel({ transport: ID, readable, writable, onClose });
}

export const nodeNetPipeTransport: Transport = {
  id: ID,
  module: '@ipc-compare/bench/baselines',
  semantics: pipeSemantics,
  blockingPath: false,
  async open() {
    return openInherited({ transport: nodeNetPipeTransport, ...pipePair(), makeChannel: netChannel });
  },
  async attach(spec) {
    return netChannel(adoptInherited(spec), () => {});
  },
};
