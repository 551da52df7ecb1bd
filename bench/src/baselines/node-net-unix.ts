// The Node built-in baseline for UNIX stream sockets: node:net end to end (createServer().listen(path),
// net.connect(path)) on a socket file in a private directory, with the same token handshake as the
// unix-stream transport — what a Node program would pick for local IPC.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeferredChannel, NodeStreamChannel, TOKEN_BYTES, ipcError, specParam, type Channel, type Transport } from '@ipc-compare/core';
import { unixStreamSemantics } from '@ipc-compare/unix';

const ID = 'node-net-unix';
const ACK = Buffer.from('ipc-compare:ack\n');

/** Reads exactly n bytes off a fresh socket, pushing anything beyond them back for the channel. */
function readExactly(socket: net.Socket, n: number, timeoutMs = 5000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let got = 0;
    const timer = setTimeout(() => finish(ipcError('ERR_PEER_TIMEOUT', 'handshake timed out')), timeoutMs);
    const onData = (d: Buffer) => {
      parts.push(d);
      got += d.length;
      if (got >= n) {
        const all = Buffer.concat(parts);
        if (all.length > n) socket.unshift(all.subarray(n));
        finish(null, all.subarray(0, n));
      }
    };
    const onEnd = () => finish(ipcError('ERR_PEER_REFUSED', 'closed during the handshake'));
    const finish = (err: Error | null, buf?: Buffer) => {
      clearTimeout(timer);
      socket.off('data', onData).off('end', onEnd).off('error', finish);
      socket.pause();
      if (err) reject(err);
      else resolve(buf!);
    };
    socket.on('data', onData).once('end', onEnd).once('error', finish);
    socket.resume(); // paused on connect (pauseOnConnect): nothing is read until now
  });
}

export const nodeNetUnixTransport: Transport = {
  id: ID,
  semantics: { ...unixStreamSemantics, passesFds: false },
  blockingPath: false,
  async open() {
    const dir = mkdtempSync(join(tmpdir(), 'ipc-compare-node-net-'));
    const path = join(dir, 'sock');
    const token = randomBytes(TOKEN_BYTES);
    const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true });
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(path, resolve));
    const removeAll = () => {
      server.close();
      rmSync(dir, { recursive: true, force: true });
    };
    const ready = new Promise<Channel>((resolve) => {
      server.on('connection', (socket: net.Socket) => {
        readExactly(socket, TOKEN_BYTES).then(
          (got) => {
            if (!timingSafeEqual(got, token)) return socket.destroy();
            socket.write(ACK);
            removeAll(); // one peer: no more connections, no name left
            resolve(new NodeStreamChannel({ transport: ID, readable: socket, writable: socket }));
          },
          () => socket.destroy(),
        );
      });
    });
    const channel = new DeferredChannel({
      transport: ID,
      ready,
      waitSync: () => {
        throw ipcError('ERR_CHANNEL_MODE', `${ID} has no blocking path`);
      },
      cancel: removeAll,
    });
    return { channel, peer: { transport: ID, module: '@ipc-compare/bench/baselines', params: { path, token: token.toString('hex') } }, handOff: () => {} };
  },
  async attach(spec) {
    const path = specParam(spec, 'path', (v): v is string => typeof v === 'string', 'a path');
    const token = specParam(spec, 'token', (v): v is string => typeof v === 'string' && v.length === 32, 'a token');
    const socket = net.connect({ path, allowHalfOpen: true });
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    socket.write(Buffer.from(token, 'hex'));
    try {
      if (!(await readExactly(socket, ACK.length)).equals(ACK)) throw ipcError('ERR_PEER_REFUSED', 'bad handshake');
    } catch (err) {
      socket.destroy();
      throw err;
    }
    return new NodeStreamChannel({ transport: ID, readable: socket, writable: socket });
  },
};
