// Peer roles of the benchmark (run in the second process by spawnPeer): the pong side of the latency
// ping-pong and the receiving side of the throughput stream, each on the async or the blocking path.
import type { Channel, Role } from '@ipc-compare/core';
import { Patterns, StreamVerifier, encodeReport } from './protocol.js';

export type Path = 'async' | 'blocking';

export interface PongArgs {
  size: number;
  path: Path;
  /** Send each reply as this many writes (PROTOCOL.md, latency). */
  writes?: 1 | 2;
}

/** The parts a message is written in: whole, or first ⌈size/2⌉ bytes then the rest. */
export function splitForWrites(msg: Uint8Array, writes: 1 | 2 | undefined): Uint8Array[] {
  if (writes !== 2) return [msg];
  const half = msg.byteLength - Math.floor(msg.byteLength / 2);
  return [msg.subarray(0, half), msg.subarray(half)];
}

export interface ReceiverArgs {
  size: number;
  path: Path;
}

/** Echoes every `size`-byte message (reassembled from a stream) until end of stream. */
const pong: Role = async ({ channel, args }) => {
  const { size, path, writes } = args as PongArgs;
  let count = 0;
  if (path === 'blocking') {
    const buf = Buffer.allocUnsafe(size);
    const parts = splitForWrites(buf, writes);
    for (;;) {
      let got = 0;
      while (got < size) {
        const n = channel.recvSync!(got === 0 ? buf : buf.subarray(got));
        if (n === null) return { count };
        got += n;
      }
      for (const part of parts) channel.sendSync!(part);
      count++;
    }
  }
  for (;;) {
    const msg = await recvMessage(channel, size);
    if (msg === null) return { count };
    for (const part of splitForWrites(msg, writes)) await channel.send(part);
    count++;
  }
};

/** One whole `size`-byte message from a stream (null at a clean end of stream). */
export async function recvMessage(channel: Channel, size: number): Promise<Uint8Array | null> {
  const first = await channel.recv();
  if (first === null || first.byteLength === size) return first;
  const parts = [first];
  let got = first.byteLength;
  while (got < size) {
    const c = await channel.recv();
    if (c === null) throw new Error(`end of stream inside a ${size}-byte message (${got} bytes in)`);
    parts.push(c);
    got += c.byteLength;
  }
  if (got !== size) throw new Error(`stream out of step: ${got} bytes for a ${size}-byte message`);
  return Buffer.concat(parts, size);
}

/**
 * Receives the throughput stream, checks every message (sequence and payload), sends the 48-byte
 * report after END, then waits for the sender to close (it still reads this process's CPU time).
 */
const receiver: Role = async ({ channel, args }) => {
  const { size, path } = args as ReceiverArgs;
  const verifier = new StreamVerifier(new Patterns(size));
  if (path === 'blocking') {
    const buf = Buffer.allocUnsafe(Math.max(size, 65536));
    while (!verifier.ended) {
      const n = channel.recvSync!(buf);
      if (n === null) throw new Error('end of stream before the END message');
      verifier.feed(buf.subarray(0, n));
    }
    channel.sendSync!(encodeReport(verifier.report));
    if (channel.recvSync!(buf) !== null) throw new Error('unexpected data after the END message');
  } else {
    while (!verifier.ended) {
      const chunk = await channel.recv();
      if (chunk === null) throw new Error('end of stream before the END message');
      verifier.feed(chunk);
    }
    await channel.send(encodeReport(verifier.report));
    if ((await channel.recv()) !== null) throw new Error('unexpected data after the END message');
  }
  return verifier.report;
};

export const roles: Record<string, Role> = { pong, receiver };
