// A TCP connection as a Channel: the native socket for the blocking path, node:net for the async path
// (core's HandOverChannel: the first async call hands the fd to node:net for good).
import net from 'node:net';
import { HandOverChannel, NodeStreamChannel, type OwnedFd } from '@ipc-compare/core';
import { constants, shutdown } from '@ipc-compare/native';

export function tcpChannel(transport: string, fd: OwnedFd, noDelay: boolean): HandOverChannel {
  return new HandOverChannel({
    transport,
    fd,
    shutdownWrite: (n) => shutdown(n, constants.SHUT_WR),
    makeAsync(n, released) {
      // libuv takes the fd (and makes it non-blocking); it stays marked in use until the socket closes.
      const socket = new net.Socket({ fd: n, readable: true, writable: true, allowHalfOpen: true });
      socket.setNoDelay(noDelay);
      socket.once('close', released);
      return new NodeStreamChannel({ transport, readable: socket, writable: socket });
    },
  });
}
