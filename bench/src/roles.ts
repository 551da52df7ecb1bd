// Peer roles of the benchmark (run in the second process by spawnPeer): the pong side of the latency
// ping-pong and the receiving side of the throughput stream, each on the async or the blocking path.
import type { Channel } from '@ipc-compare/core';
import type { Role } from '@ipc-compare/core/testing';
import { constants, poll } from '@ipc-compare/native';
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
const pong: Role = async ({ channel, transport, args }) => {
  const { size, path, writes } = args as PongArgs;
  const datagrams = transport.semantics.boundaries;
  let count = 0;
  if (path === 'blocking') {
    const buf = Buffer.allocUnsafe(size);
    const parts = splitForWrites(buf, writes);
    for (;;) {
      let got = 0;
      do {
        const n = channel.recvSync!(got === 0 ? buf : buf.subarray(got));
        if (n === null || (datagrams && n === 0)) return { count }; // end, or the empty "stop" datagram
        got += n;
      } while (!datagrams && got < size);
      if (got !== size) throw new Error(`a ${got}-byte message for a ${size}-byte ping`);
      for (const part of parts) channel.sendSync!(part);
      count++;
    }
  }
  for (;;) {
    const msg = await recvMessage(channel, size, datagrams);
    if (msg === null || msg.byteLength === 0) return { count };
    for (const part of splitForWrites(msg, writes)) await channel.send(part);
    count++;
  }
};

/** One whole `size`-byte message from a stream (null at a clean end of stream). */
export async function recvMessage(channel: Channel, size: number, datagrams = false): Promise<Uint8Array | null> {
  const first = await channel.recv();
  if (first === null || first.byteLength === size || (datagrams && first.byteLength === 0)) return first;
  if (datagrams) throw new Error(`a ${first.byteLength}-byte datagram where ${size} bytes were expected`);
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

/** Datagram mechanisms: the receiver gives up on END this long after the last datagram (PROTOCOL.md). */
const DATAGRAM_IDLE_MS = 500;

/**
 * Receives the throughput stream, checks every message (sequence and payload), sends the 48-byte
 * report after END, then waits for the sender to close (it still reads this process's CPU time).
 */
const receiver: Role = async (ctx) => {
  if (ctx.transport.semantics.boundaries) return receiveDatagrams(ctx);
  const { channel, args } = ctx;
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

/**
 * The datagram receiver: one message per datagram, END or 500 ms of silence ends it, the report goes
 * back as one datagram. With no end of stream to wait for, it returns after sending the report.
 */
async function receiveDatagrams({ channel, args, control, transport }: Parameters<Role>[0]): Promise<unknown> {
  const { size, path } = args as ReceiverArgs;
  const verifier = new StreamVerifier(new Patterns(size));
  // A reliable transport with an end of stream (SEQPACKET, shared memory) loses no END: no silence rule.
  const idle = !(transport.semantics.reliable && transport.semantics.endOfStream);
  let started = false;
  if (path === 'blocking') {
    const buf = Buffer.allocUnsafe(Math.max(size, 65536));
    const [fd] = channel.fds!();
    while (!verifier.ended) {
      if (idle && started && poll(fd!, constants.POLLIN, DATAGRAM_IDLE_MS) === 0) break; // silence: all ENDs lost
      const n = channel.recvSync!(buf);
      if (n === null) break;
      started = true;
      verifier.feedDatagram(buf, n); // no subarray per message
    }
    channel.sendSync!(encodeReport(verifier.report));
  } else {
    while (!verifier.ended) {
      let m: Uint8Array | null;
      try {
        m = await channel.recv(idle && started ? { signal: AbortSignal.timeout(DATAGRAM_IDLE_MS) } : undefined);
      } catch (err) {
        if ((err as { name?: string }).name === 'AbortError') break;
        throw err;
      }
      if (m === null) break;
      started = true;
      verifier.feedDatagram(m);
    }
    await channel.send(encodeReport(verifier.report));
  }
  await control.next(); // no end of stream to wait for: the sender says when it has read our CPU time
  return verifier.report;
}

export const roles: Record<string, Role> = { pong, receiver };
