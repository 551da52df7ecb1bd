// The Node built-in baseline for UDP: node:dgram end to end (createSocket, bind, connect, send,
// 'message'), the same greeting with a token as the UDP transport, no native code on the data path.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import dgram, { type Socket } from 'node:dgram';
import { TOKEN_BYTES, ipcError, makeOpened, specParam, type Channel, type Transport } from '@ipc-compare/core';
import { UDP_MAX_DATAGRAM, udpSemantics } from '@ipc-compare/udp';
import { NodeDgramChannel } from './node-dgram-channel.js';

const ID = 'node-dgram-udp';
const ACK = Buffer.from('ipc-compare:ack\n');

function bound(): Promise<Socket> {
  const s = dgram.createSocket('udp4');
  return new Promise((resolve, reject) => {
    s.once('error', reject);
    s.bind(0, '127.0.0.1', () => resolve(s));
  });
}

function connected(s: Socket, port: number, address: string): Promise<void> {
  return new Promise((resolve) => s.connect(port, address, () => resolve()));
}

export const nodeDgramUdpTransport: Transport = {
  id: ID,
  module: '@ipc-compare/bench/baselines',
  semantics: udpSemantics,
  blockingPath: false,
  async open() {
    const socket = await bound();
    const token = randomBytes(TOKEN_BYTES);
    const ready = new Promise<Channel>((resolve) => {
      const onMessage = (msg: Buffer, rinfo: { address: string; port: number }) => {
        if (msg.length !== TOKEN_BYTES || !timingSafeEqual(msg, token)) return;
        socket.off('message', onMessage);
        void connected(socket, rinfo.port, rinfo.address).then(() => {
          const ch = new NodeDgramChannel({ transport: ID, socket, maxMessage: UDP_MAX_DATAGRAM, expectFrom: rinfo });
          socket.send(ACK, () => resolve(ch));
        });
      };
      socket.on('message', onMessage);
    });
    const { port } = socket.address();
    return makeOpened({ transport: nodeDgramUdpTransport, peer: { transport: ID, params: { port, token: token.toString('hex') } }, connected: ready, cancel: () => socket.close() });
  },
  async attach(spec) {
    const port = specParam(spec, 'port', (v): v is number => Number.isInteger(v), 'a port');
    const token = specParam(spec, 'token', (v): v is string => typeof v === 'string' && v.length === 32, 'a token');
    const socket = await bound();
    await connected(socket, port, '127.0.0.1');
    const acked = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(ipcError('ERR_PEER_TIMEOUT', 'no answer from the peer')), 5000);
      socket.once('message', () => {
        clearTimeout(timer);
        resolve();
      });
      socket.once('error', reject);
    });
    socket.send(Buffer.from(token, 'hex'));
    try {
      await acked;
    } catch (err) {
      socket.close();
      throw err;
    }
    return new NodeDgramChannel({ transport: ID, socket, maxMessage: UDP_MAX_DATAGRAM, connected: Promise.resolve() });
  },
};
