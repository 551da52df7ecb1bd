// Core's peer roles, used by the conformance kit and by package tests. Each runs in the peer process
// against the attached channel; what it returns travels back to the parent as JSON.
import { readSync } from 'node:fs';
import { hasCode } from '../errors.js';
import { messageChannel } from '../framing.js';
import type { Role, RoleContext } from './role.js';
import { checkTestMessage, makeTestMessage, testMessageSize } from './testdata.js';

interface PathArgs {
  path?: 'async' | 'blocking';
}

/** Sends back everything it receives (chunks or messages, as they come) until end of stream. */
const echo: Role = async ({ channel, args }) => {
  let messages = 0;
  let bytes = 0;
  if ((args as PathArgs | undefined)?.path === 'blocking') {
    const buf = Buffer.allocUnsafe(1024 * 1024);
    for (;;) {
      const n = channel.recvSync!(buf);
      if (n === null) break;
      channel.sendSync!(buf.subarray(0, n));
      messages++;
      bytes += n;
    }
  } else {
    for (;;) {
      const chunk = await channel.recv();
      if (chunk === null) break;
      await channel.send(chunk);
      messages++;
      bytes += chunk.byteLength;
    }
  }
  return { messages, bytes };
};

interface CountArgs {
  count: number;
  maxMessage?: number;
  /** A deliberately slow receiver: pause `pauseMs` after every `pauseEvery` messages. */
  pauseEvery?: number;
  pauseMs?: number;
  /** Stop after this long a silence (the only end a datagram transport has). */
  idleMs?: number;
  /** Tell the parent (control channel) the highest sequence number seen, every this many messages. */
  ackEvery?: number;
}

function messages(ctx: RoleContext) {
  return messageChannel(ctx.channel, ctx.transport.semantics.boundaries);
}

/**
 * Receives test messages 0..count-1 and checks each one, until `count` have come, end of stream, or
 * (`idleMs`) a silence that long. Reports which sequence numbers arrived (a bitmap, so the sender
 * counts the losses itself), duplicates, messages out of order, and what was wrong with any message.
 */
const sink: Role = async (ctx) => {
  const { count, maxMessage, pauseEvery, pauseMs, idleMs, ackEvery } = ctx.args as CountArgs;
  const ch = messages(ctx);
  const seen = Buffer.alloc(Math.ceil(count / 8));
  let received = 0;
  let highest = -1;
  let duplicates = 0;
  let reordered = 0;
  let paused = 0;
  let bytes = 0;
  const errors: string[] = [];
  const note = (e: string) => errors.length < 5 && errors.push(e);
  while (received < count) {
    let msg: Uint8Array | null;
    try {
      msg = await ch.recv(idleMs ? { signal: AbortSignal.timeout(idleMs) } : undefined);
    } catch (err) {
      if ((err as { name?: string }).name === 'AbortError') break; // silence: the sender is done
      throw err;
    }
    if (msg === null) break;
    received++;
    bytes += msg.byteLength;
    const seq = msg.byteLength >= 4 ? Buffer.from(msg.buffer, msg.byteOffset, msg.byteLength).readUInt32LE(0) : -1;
    if (seq < 0 || seq >= count) {
      note(`a ${msg.byteLength}-byte message that is none of the ${count} sent (corrupted)`);
      continue;
    }
    const problem = checkTestMessage(seq, msg, testMessageSize(seq, maxMessage));
    if (problem && !/^expected message/.test(problem)) note(problem);
    if (seen[seq >> 3]! & (1 << (seq & 7))) {
      duplicates++;
      note(`message ${seq} arrived twice (duplicated)`);
    } else seen[seq >> 3]! |= 1 << (seq & 7);
    if (seq < highest) {
      reordered++;
      note(`message ${seq} after message ${highest} (out of order)`);
    }
    highest = Math.max(highest, seq);
    if (ackEvery && received % ackEvery === 0) void ctx.control.send({ highest });
    if (pauseEvery && received % pauseEvery === 0) {
      await new Promise((r) => setTimeout(r, pauseMs ?? 1));
      paused++;
    }
  }
  return { received, duplicates, reordered, bytes, errors, paused, seen: seen.toString('base64') };
};

/** Sequence numbers the sink saw, decoded from its bitmap. */
export function seenCount(seenBase64: string, count: number): number {
  const seen = Buffer.from(seenBase64, 'base64');
  let n = 0;
  for (let i = 0; i < count; i++) if (seen[i >> 3]! & (1 << (i & 7))) n++;
  return n;
}

/**
 * Reads nothing until the parent says so (control message), then drains to the end: a peer that
 * lets this side's sends pile up. Reports what arrived.
 */
const hold: Role = async ({ channel, transport, control }) => {
  await control.next();
  let bytes = 0;
  let messages = 0;
  try {
    for (;;) {
      const c = await channel.recv(transport.semantics.endOfStream ? undefined : { signal: AbortSignal.timeout(500) });
      if (c === null) break;
      bytes += c.byteLength;
      messages++;
    }
  } catch (err) {
    if ((err as { name?: string }).name !== 'AbortError' && !hasCode(err)) throw err;
  }
  return { bytes, messages };
};

/**
 * Receives 4-byte big-endian sequence numbers (any split on a stream, one per message otherwise)
 * until `count` have come or the stream ends, and reports them in arrival order.
 */
const sequence: Role = async ({ channel, transport, args }) => {
  const { count, idleMs } = args as { count: number; idleMs?: number };
  const boundaries = transport.semantics.boundaries;
  const seqs: number[] = [];
  const errors: string[] = [];
  let pending = Buffer.alloc(0);
  while (seqs.length < count) {
    let c: Uint8Array | null;
    try {
      c = await channel.recv(idleMs ? { signal: AbortSignal.timeout(idleMs) } : undefined);
    } catch (err) {
      if ((err as { name?: string }).name === 'AbortError') break;
      throw err;
    }
    if (c === null) break;
    if (boundaries && c.byteLength !== 4) errors.push(`a ${c.byteLength}-byte message where 4 bytes were sent`);
    pending = Buffer.concat([pending, c]);
    while (pending.length >= 4) {
      seqs.push(pending.readUInt32BE(0));
      pending = pending.subarray(4);
    }
  }
  return { seqs, errors };
};

/** Sends test messages 0..count-1, then returns (the channel is closed after, so the parent sees EOF). */
const source: Role = async (ctx) => {
  const { count, maxMessage } = ctx.args as CountArgs;
  const ch = messages(ctx);
  for (let i = 0; i < count; i++) await ch.send(makeTestMessage(i, testMessageSize(i, maxMessage)));
  return { sent: count };
};

/** Sends chunks until a send fails; reports how it failed instead of dying (no SIGPIPE death). */
const flood: Role = async ({ channel, args }) => {
  const size = (args as { size?: number } | undefined)?.size ?? 4096;
  const chunk = Buffer.alloc(size, 0x5a);
  let sent = 0;
  try {
    for (;;) {
      await channel.send(chunk);
      sent++;
    }
  } catch (err) {
    return { sent, code: hasCode(err) ? err.code : null, message: (err as Error).message };
  }
};

/** Receives until end of stream or an error; reports which. */
const drain: Role = async ({ channel }) => {
  let bytes = 0;
  try {
    for (;;) {
      const chunk = await channel.recv();
      if (chunk === null) return { bytes, end: 'eof' };
      bytes += chunk.byteLength;
    }
  } catch (err) {
    return { bytes, end: hasCode(err) ? err.code : String(err) };
  }
};

/** Waits for end of stream; reports any bytes that arrived before it. */
const awaitEof: Role = async ({ channel }) => {
  let bytes = 0;
  const started = Date.now();
  for (;;) {
    const chunk = await channel.recv();
    if (chunk === null) return { eof: true, bytes, waitedMs: Date.now() - started };
    bytes += chunk.byteLength;
  }
};

/**
 * Full duplex: sends `bytes` while receiving `bytes`, both at once, on the one channel. On a
 * half-duplex object this cannot work; on a socket both directions move together.
 */
const duplex: Role = async ({ channel, args }) => {
  const { bytes } = args as { bytes: number };
  const chunk = Buffer.alloc(64 * 1024, 0x42);
  const t0 = performance.now();
  let firstByteMs = -1;
  const receiving = (async () => {
    let got = 0;
    while (got < bytes) {
      const c = await channel.recv();
      if (c === null) break;
      if (firstByteMs < 0) firstByteMs = performance.now() - t0;
      got += c.byteLength;
    }
    return got;
  })();
  let sent = 0;
  while (sent < bytes) {
    const n = Math.min(chunk.length, bytes - sent);
    await channel.send(chunk.subarray(0, n));
    sent += n;
  }
  const sendDoneMs = performance.now() - t0;
  return { sent, received: await receiving, firstByteMs, sendDoneMs };
};

/**
 * Sends one message per entry of `sizes` (byte i of message k is k & 0xff), back to back, tells the
 * parent (control message) when all are sent, then waits for end of stream. Boundary probes read them.
 */
const burst: Role = async ({ channel, transport, args, control }) => {
  const { sizes } = args as { sizes: number[] };
  for (let k = 0; k < sizes.length; k++) await channel.send(Buffer.alloc(sizes[k]!, k & 0xff));
  // Every send is in the kernel now: say so, so the reader can look at what is there all at once.
  await control.send({ sent: sizes.length });
  // A connection: stay until the other side has read and closed. Datagrams are already in its queue.
  if (transport.semantics.endOfStream) for (;;) if ((await channel.recv()) === null) break;
  return { sent: sizes.length };
};

/**
 * Receives one message and whatever fds came with it; reads each passed file from offset 0 and reports
 * what it says. A channel that cannot receive fds reads plain data (the kernel drops any fds then).
 */
const fdProbe: Role = async ({ channel }) => {
  if (!channel.recvFds) {
    const data = await channel.recv();
    return { bytes: data?.byteLength ?? 0, contents: [] };
  }
  const got = await channel.recvFds();
  const contents = (got?.fds ?? []).map((f) => {
    const buf = Buffer.alloc(256);
    const n = readSync(f.fd, buf, 0, buf.length, 0);
    f.close();
    return buf.subarray(0, n).toString();
  });
  return { bytes: got?.data.byteLength ?? 0, contents, fdsTruncated: got?.fdsTruncated ?? false };
};

/**
 * The zero-copy probe's sender: sends 16 bytes of 'A' — written in place in the IPC object when the
 * channel can (claimSync/commitClaim), else from its own buffer — and, once the parent says it has
 * the message, overwrites that same memory with 'B' and says so. Whether the parent's bytes changed
 * is the observation.
 */
const rewriteAfterSend: Role = async ({ channel, transport, control }) => {
  const inPlace = channel.claimSync !== undefined && channel.commitClaim !== undefined;
  let mem: Uint8Array;
  if (inPlace) {
    mem = channel.claimSync!(16);
    mem.fill(0x41);
    channel.commitClaim!();
  } else {
    mem = Buffer.alloc(16, 0x41);
    await channel.send(mem);
  }
  await control.send({ inPlace });
  await control.next();
  mem.fill(0x42);
  await control.send({ rewrote: true });
  if (transport.semantics.endOfStream) for (;;) if ((await channel.recv()) === null) break;
  return { inPlace };
};

export const roles: Record<string, Role> = {
  echo,
  sink,
  source,
  flood,
  drain,
  duplex,
  burst,
  hold,
  sequence,
  'fd-probe': fdProbe,
  'await-eof': awaitEof,
  'rewrite-after-send': rewriteAfterSend,
};
