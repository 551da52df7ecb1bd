// Node built-in baselines over node:net end to end — createServer().listen(), net.connect() — with the
// same token handshake as the project's listener transports: what a Node program would write for a
// UNIX socket path (node-net-unix) or TCP over loopback (node-net-tcp).
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TOKEN_BYTES, ipcError, makeOpened, specParam, type Channel, type Semantics, type Transport } from '@ipc-compare/core';
import { tcpSemantics } from '@ipc-compare/tcp';
import { unixStreamSemantics } from '@ipc-compare/unix';
import { NodeStreamChannel } from './node-stream-channel.js';

export const BASELINES_MODULE = '@ipc-compare/bench/baselines';
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

type Where = { path: string } | { host: string; port: number };

interface NodeNetKind {
  id: string;
  semantics: Semantics;
  /** Where to listen, and what to remove afterwards. */
  place(): { where: Where; remove: () => void };
  /** The address from a spec. */
  target(spec: Parameters<Transport['attach']>[0]): Where;
  noDelay: boolean;
}

function nodeNetTransport(k: NodeNetKind): Transport {
  const socketChannel = (socket: net.Socket) => {
    if (k.noDelay) socket.setNoDelay(true);
    return new NodeStreamChannel({ transport: k.id, readable: socket, writable: socket });
  };
  const t: Transport = {
    id: k.id,
    module: BASELINES_MODULE,
    semantics: k.semantics,
    blockingPath: false,
    async open() {
      const { where, remove } = k.place();
      const token = randomBytes(TOKEN_BYTES);
      const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true });
      await new Promise<void>((resolve, reject) => server.once('error', reject).listen('path' in where ? where.path : { host: where.host, port: where.port }, resolve));
      const params = 'path' in where ? { path: where.path } : { host: where.host, port: (server.address() as net.AddressInfo).port };
      const stop = () => {
        server.close();
        remove();
      };
      const connected = new Promise<Channel>((resolve) => {
        server.on('connection', (socket: net.Socket) => {
          readExactly(socket, TOKEN_BYTES).then(
            (got) => {
              if (!timingSafeEqual(got, token)) return socket.destroy();
              socket.write(ACK);
              stop(); // one peer: no more connections, no name left
              resolve(socketChannel(socket));
            },
            () => socket.destroy(),
          );
        });
      });
      return makeOpened({ transport: t, peer: { transport: k.id, params: { ...params, token: token.toString('hex') } }, connected, cancel: stop });
    },
    async attach(spec) {
      const where = k.target(spec);
      const token = specParam(spec, 'token', (v): v is string => typeof v === 'string' && v.length === 32, 'a token');
      const socket = net.connect({ ...('path' in where ? { path: where.path } : { host: where.host, port: where.port }), allowHalfOpen: true });
      await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
      socket.write(Buffer.from(token, 'hex'));
      try {
        if (!(await readExactly(socket, ACK.length)).equals(ACK)) throw ipcError('ERR_PEER_REFUSED', 'bad handshake');
      } catch (err) {
        socket.destroy();
        throw err;
      }
      return socketChannel(socket);
    },
  };
  return t;
}

export const nodeNetUnixTransport = nodeNetTransport({
  id: 'node-net-unix',
  semantics: { ...unixStreamSemantics, passesFds: false },
  noDelay: false,
  place() {
    const dir = mkdtempSync(join(tmpdir(), 'ipc-compare-node-net-'));
    return { where: { path: join(dir, 'sock') }, remove: () => rmSync(dir, { recursive: true, force: true }) };
  },
  target: (spec) => ({ path: specParam(spec, 'path', (v): v is string => typeof v === 'string', 'a path') }),
});

export const nodeNetTcpTransport = nodeNetTransport({
  id: 'node-net-tcp',
  semantics: tcpSemantics,
  noDelay: true,
  place: () => ({ where: { host: '127.0.0.1', port: 0 }, remove: () => {} }),
  target: (spec) => ({
    host: '127.0.0.1',
    port: specParam(spec, 'port', (v): v is number => Number.isInteger(v) && (v as number) > 0 && (v as number) < 65536, 'a port'),
  }),
});
