// Core's peer roles, used by the conformance kit and by package tests. Each runs in the peer process
// against the attached channel; what it returns travels back to the parent as JSON.
import { hasCode } from './errors.js';
import { messageChannel } from './framing.js';
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
}

function messages(ctx: RoleContext) {
  return messageChannel(ctx.channel, ctx.transport.semantics.boundaries);
}

/** Receives test messages 0..count-1 (or until end of stream) and checks each one. */
const sink: Role = async (ctx) => {
  const { count, maxMessage, pauseEvery, pauseMs } = ctx.args as CountArgs;
  const ch = messages(ctx);
  let received = 0;
  let paused = 0;
  let bytes = 0;
  const errors: string[] = [];
  while (received < count) {
    const msg = await ch.recv();
    if (msg === null) break;
    const problem = checkTestMessage(received, msg, testMessageSize(received, maxMessage));
    if (problem && errors.length < 5) errors.push(problem);
    received++;
    bytes += msg.byteLength;
    if (pauseEvery && received % pauseEvery === 0) {
      await new Promise((r) => setTimeout(r, pauseMs ?? 1));
      paused++;
    }
  }
  return { received, bytes, errors, paused };
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
 * Sends one message per entry of `sizes` (byte i of message k is k & 0xff), back to back, then waits
 * for end of stream. Boundary probes read them on the other side.
 */
const burst: Role = async ({ channel, args }) => {
  const { sizes } = args as { sizes: number[] };
  for (let k = 0; k < sizes.length; k++) await channel.send(Buffer.alloc(sizes[k]!, k & 0xff));
  for (;;) if ((await channel.recv()) === null) break;
  return { sent: sizes.length };
};

export const roles: Record<string, Role> = { echo, sink, source, flood, drain, duplex, burst, 'await-eof': awaitEof };
