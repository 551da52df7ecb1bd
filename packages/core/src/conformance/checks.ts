// The conformance kit's checks, as plain async functions: each opens the transport in this process,
// attaches a real peer process, exercises one property, and throws (AssertionError or the transport's
// own error) if the transport gets it wrong. `describeConformance` turns them into vitest tests; core's
// own tests run them against deliberately broken transports to show that they fail. No check decides
// on elapsed time: deadlines here are hang guards only, generous enough for a loaded machine.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { getEventListeners } from 'node:events';
import { Poller, pipe2, close as closeFd } from '@ipc-compare/native';
import { hasCode } from '../errors.js';
import { messageChannel } from '../framing.js';
import { TransportRegistry } from '../registry.js';
import { assertNoFdLeaks, snapshotFds } from '../testing/leaks.js';
import { spawnPeer, type PeerProcess, type RoleRef } from '../testing/peer.js';
import { seenCount } from '../testing/roles.js';
import { checkTestMessage, echoPayload, makeTestMessage, testMessageSize } from '../testing/testdata.js';
import type { Channel, Opened, Transport } from '../types.js';

export interface ConformanceOptions {
  /** Options passed to every `transport.open()`. */
  openOptions?: unknown;
  /** Echo sizes (async path). Default 1 B, 100 B, 4 KiB, 64 KiB, 1 MiB, capped by maxMessage. */
  echoSizes?: number[];
  /** Echo sizes for the blocking path (both sides block, so each must fit the kernel buffer). Default ≤ 32 KiB. */
  blockingEchoSizes?: number[];
  /** Messages in the ordering checks. Default 10 000 (2 000 for an unreliable transport). */
  messages?: number;
}

export interface ConformanceCheck {
  name: string;
  /** Whether the check applies to this transport (default: always). */
  applies?: (t: Transport) => boolean;
  run(t: Transport, opts: ConformanceOptions): Promise<void>;
}

const CORE_ROLES = '@ipc-compare/core/roles';
const role = (name: string, args?: unknown): RoleRef => ({ module: CORE_ROLES, name, args });
/** Hang guard for one step (no check waits this long unless something is broken). */
const HANG_MS = 20_000;

let primed = false;

/**
 * Opens, once per process, what Node and libuv open lazily and keep for good (the signal pipe set up
 * by the first child process, the first poll watcher), so the leak check does not count them.
 */
export async function primeProcessResources(): Promise<void> {
  if (primed) return;
  await new Promise<void>((resolve, reject) => {
    const c = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
    c.once('error', reject);
    c.once('close', () => resolve());
  });
  const [r, w] = pipe2(); // a pipe of our own: fd 0 may be /dev/null, which epoll refuses (EPERM)
  new Poller(r, () => {}).close();
  closeFd(r);
  closeFd(w);
  primed = true;
}

interface PeerContext {
  opened: Opened;
  channel: Channel;
  peer: PeerProcess;
}

/**
 * Runs `body` with an opened transport, a peer running `peerRole` and the connected channel, then
 * releases all three (also when `body` throws) and checks that no fd was leaked.
 */
export async function withPeer(t: Transport, opts: ConformanceOptions, peerRole: RoleRef, body: (ctx: PeerContext) => Promise<void>): Promise<void> {
  await primeProcessResources();
  const before = snapshotFds();
  const opened = await t.open(opts.openOptions);
  let peer: PeerProcess | undefined;
  let channel: Channel | undefined;
  try {
    peer = await spawnPeer(opened, peerRole);
    channel = await withDeadline(opened.connect(), HANG_MS, 'connect() once the peer attached');
    await body({ opened, channel, peer });
  } finally {
    await channel?.close().catch(() => {});
    await opened.close();
    await peer?.[Symbol.asyncDispose]();
  }
  await assertNoFdLeaks(before);
}

/** Receives until `size` bytes (stream) or one message (boundaries) has arrived. */
async function receiveExactly(ch: Channel, size: number, boundaries: boolean): Promise<Uint8Array> {
  if (boundaries) {
    const m = await ch.recv();
    assert.ok(m, 'end of stream before the reply');
    return m;
  }
  const parts: Uint8Array[] = [];
  let got = 0;
  while (got < size) {
    const c = await ch.recv();
    assert.ok(c, `end of stream after ${got} of ${size} bytes`);
    parts.push(c);
    got += c.byteLength;
  }
  assert.equal(got, size, `received ${got} bytes for a ${size}-byte message`);
  return Buffer.concat(parts);
}

function receiveExactlySync(ch: Channel, size: number, boundaries: boolean): Uint8Array {
  const buf = Buffer.alloc(Math.max(size, 1));
  let got = 0;
  do {
    const n = ch.recvSync!(buf.subarray(got));
    assert.notEqual(n, null, `end of stream after ${got} of ${size} bytes`);
    got += n!;
  } while (!boundaries && got < size);
  return buf.subarray(0, got);
}

function capSizes(sizes: number[], t: Transport): number[] {
  const max = t.semantics.maxMessage ?? Infinity;
  return sizes.filter((s) => s <= max);
}

function sameBytes(got: Uint8Array, want: Uint8Array, what: string): void {
  if (Buffer.compare(got, want) === 0) return;
  let i = 0;
  while (i < Math.min(got.length, want.length) && got[i] === want[i]) i++;
  assert.fail(`${what}: ${got.length} bytes back for ${want.length} sent; first difference at byte ${i}`);
}

async function expectCode(p: Promise<unknown>, what: string, codes?: string[]): Promise<string> {
  try {
    await p;
  } catch (err) {
    assert.ok(hasCode(err), `${what}: rejected without an error code: ${String(err)}`);
    if (codes) assert.ok(codes.includes(err.code), `${what}: code ${err.code} (${err.message}), expected one of ${codes.join(', ')}`);
    return err.code;
  }
  assert.fail(`${what}: succeeded, expected an error${codes ? ` (${codes.join(', ')})` : ''}`);
}

function withDeadline<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new assert.AssertionError({ message: `${what}: nothing happened within ${ms} ms (hang)` })), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Lets the event loop run: I/O callbacks, then immediates. */
const turn = () => new Promise<void>((r) => setImmediate(r));

/** A promise's state without waiting for it. */
function track<T>(p: Promise<T>): { p: Promise<T>; settled: () => boolean } {
  let done = false;
  p.then(
    () => (done = true),
    () => (done = true),
  );
  return { p, settled: () => done };
}

/**
 * Sends until one send stays pending across two turns of the event loop (the peer reads nothing, so
 * the kernel buffer fills). `size` per send; gives up (null) after `limit` bytes.
 */
async function fillUntilPending(ch: Channel, size: number, limit: number, signal?: AbortSignal): Promise<{ pending: Promise<void>; sent: number } | null> {
  const chunk = Buffer.alloc(size, 0x61);
  for (let sent = 0; sent < limit; ) {
    const batch = Array.from({ length: size === 1 ? 1024 : 1 }, () => track(ch.send(chunk, signal ? { signal } : undefined)));
    sent += batch.length * size;
    for (const b of batch) b.p.catch(() => {});
    await turn();
    await turn();
    const waiting = batch.filter((b) => !b.settled());
    if (waiting.length > 0) return { pending: waiting[waiting.length - 1]!.p, sent };
  }
  return null;
}

// ---- the checks -------------------------------------------------------------------------------------

const echoAsync: ConformanceCheck = {
  name: 'echo 1 B … 1 MiB through a peer process (async path)',
  async run(t, opts) {
    const sizes = capSizes(opts.echoSizes ?? [1, 100, 4096, 65536, 1024 * 1024], t);
    await withPeer(t, opts, role('echo'), async ({ channel }) => {
      for (const size of sizes) {
        const msg = echoPayload(size);
        // Receive while sending: a large message fills both kernel buffers before the echo drains.
        const reply = receiveExactly(channel, size, t.semantics.boundaries);
        await channel.send(msg);
        sameBytes(await reply, msg, `echo of ${size} bytes`);
      }
    });
  },
};

const echoBlocking: ConformanceCheck = {
  name: 'echo through a peer process (blocking path: sendSync/recvSync on both sides)',
  applies: (t) => t.blockingPath,
  async run(t, opts) {
    const sizes = capSizes(opts.blockingEchoSizes ?? [1, 100, 4096, 32768], t);
    await withPeer(t, opts, role('echo', { path: 'blocking' }), async ({ channel }) => {
      assert.ok(channel.sendSync && channel.recvSync, `${t.id} declares a blocking path but its channel has none`);
      for (const size of sizes) {
        const msg = echoPayload(size);
        channel.sendSync(msg);
        sameBytes(receiveExactlySync(channel, size, t.semantics.boundaries), msg, `blocking echo of ${size} bytes`);
      }
    });
  },
};

/** How long a receiver waits in silence before it concludes a datagram sender is done. */
const IDLE_MS = 2000;
/**
 * Unreliable transports: messages in flight at most (unacknowledged by the receiver). 32 messages of
 * at most 1.5 KiB (one of 64 KiB per thousand) stay far below a socket's receive buffer (208 KiB
 * here), so a receiver that keeps up never makes the kernel drop: nearly everything must arrive.
 */
const WINDOW = 32;
/** The share that must arrive with that pacing (loopback: in practice all of them). */
const PACED_FLOOR = 0.99;

const orderedToPeer: ConformanceCheck = {
  name: 'messages to the peer arrive complete and in order (unreliable kinds: paced, ≥ 99 % arrive, every loss counted, none corrupt or duplicated)',
  async run(t, opts) {
    const reliable = t.semantics.reliable;
    const count = opts.messages ?? (reliable ? 10_000 : 2_000);
    const max = t.semantics.maxMessage;
    const idleMs = t.semantics.endOfStream ? undefined : IDLE_MS;
    const ackEvery = reliable ? undefined : 8;
    await withPeer(t, opts, role('sink', { count, maxMessage: max, idleMs, ackEvery }), async ({ channel, peer }) => {
      const ch = messageChannel(channel, t.semantics.boundaries);
      // The receiver's acks (highest sequence number seen), through the control channel.
      let acked = -1;
      const ack: { notify: (() => void) | null } = { notify: null };
      const acks = (async () => {
        for (;;) {
          const m = (await peer.nextControl()) as { highest: number } | undefined;
          if (m === undefined) return;
          acked = Math.max(acked, m.highest);
          ack.notify?.();
        }
      })();
      const nextAck = (ms: number) =>
        new Promise<boolean>((resolve) => {
          const timer = setTimeout(() => resolve(false), ms);
          ack.notify = () => {
            clearTimeout(timer);
            ack.notify = null;
            resolve(true);
          };
        });
      let stalls = 0;
      for (let i = 0; i < count; i++) {
        // Paced: wait for the receiver to catch up. If the messages an ack would have followed were
        // lost, no ack comes: go on after a while (that loss is then counted like any other), and a
        // receiver that never acks stops the pacing after a few tries.
        while (!reliable && stalls < 3 && i - acked > WINDOW) {
          if (await nextAck(1000)) continue;
          stalls++;
          acked = i - 1;
        }
        await ch.send(makeTestMessage(i, testMessageSize(i, max)));
      }
      // Close after the last send: what is in the kernel is still delivered, then end of stream (or, for
      // datagrams, silence), so a transport that lost messages shows up as a short count, not a hang.
      await channel.close();
      const r = (await peer.result()) as { received: number; duplicates: number; reordered: number; errors: string[]; seen: string };
      await acks;
      const arrived = seenCount(r.seen, count);
      if (reliable) {
        assert.deepEqual(r.errors, [], `peer found bad messages: ${r.errors.join('; ')}`);
        assert.equal(arrived, count, `peer received ${arrived} of ${count} messages`);
      } else {
        const bad = r.errors.filter((e) => /corrupted|bytes, expected|duplicated/.test(e));
        assert.deepEqual(bad, [], `peer found corrupt or duplicated messages: ${bad.join('; ')}`);
        assert.equal(r.duplicates, 0, 'duplicated messages');
        assert.ok(arrived >= Math.ceil(count * PACED_FLOOR), `only ${arrived} of ${count} paced messages arrived (${count - arrived} lost); the floor is ${PACED_FLOOR * 100} %`);
        console.log(`${t.id}: ${count} messages sent paced (window ${WINDOW}), ${arrived} arrived, ${count - arrived} lost, ${r.reordered} out of order`);
      }
    });
  },
};

const orderedFromPeer: ConformanceCheck = {
  name: '10 000 messages from the peer arrive complete and in order',
  applies: (t) => t.semantics.reliable,
  async run(t, opts) {
    const count = opts.messages ?? 10_000;
    const max = t.semantics.maxMessage;
    await withPeer(t, opts, role('source', { count, maxMessage: max }), async ({ channel, peer }) => {
      const ch = messageChannel(channel, t.semantics.boundaries);
      let received = 0;
      while (received < count) {
        // Datagram transports never say "end": the count (or a long silence) does.
        const msg = await (t.semantics.endOfStream ? ch.recv() : ch.recv({ signal: AbortSignal.timeout(HANG_MS) }));
        if (msg === null) break;
        const problem = checkTestMessage(received, msg, testMessageSize(received, max));
        assert.equal(problem, null, problem ?? '');
        received++;
      }
      assert.equal(received, count, `received ${received} of ${count} messages before end of stream`);
      if (t.semantics.endOfStream) assert.equal(await ch.recv(), null, 'end of stream after the last message');
      await peer.result();
    });
  },
};

const orderAcrossMethods: ConformanceCheck = {
  name: 'sends keep program order across send, sendv and sendFds',
  async run(t, opts) {
    const rounds = 200;
    await withPeer(t, opts, role('sequence', { count: rounds * 5, idleMs: t.semantics.endOfStream ? undefined : IDLE_MS }), async ({ channel, peer }) => {
      const be = (n: number) => {
        const b = Buffer.alloc(4);
        b.writeUInt32BE(n);
        return b;
      };
      const passed = openSync('/dev/null', 'r');
      try {
        const sends: Array<Promise<void>> = [];
        let n = 0;
        for (let k = 0; k < rounds; k++) {
          // Nothing awaited in between: every send is queued behind the one before it.
          sends.push(channel.send(be(n++)));
          sends.push(channel.sendv ? channel.sendv([be(n++), be(n++)]) : channel.send(Buffer.concat([be(n++), be(n++)])));
          sends.push(t.semantics.passesFds && channel.sendFds ? channel.sendFds(be(n++), [passed]) : channel.send(be(n++)));
          sends.push(channel.send(be(n++)));
        }
        await withDeadline(Promise.all(sends), HANG_MS, 'the interleaved sends');
        if (t.semantics.endOfStream) await channel.end?.();
        const r = (await peer.result()) as { seqs: number[]; errors: string[] };
        assert.deepEqual(r.errors, []);
        const firstOut = r.seqs.findIndex((s, i) => i > 0 && s <= r.seqs[i - 1]!);
        assert.equal(firstOut, -1, `message ${r.seqs[firstOut]} arrived after ${r.seqs[firstOut - 1]}: out of program order`);
        if (t.semantics.reliable) assert.deepEqual(r.seqs, Array.from({ length: n }, (_, i) => i), 'every send arrived, in order');
      } finally {
        closeSync(passed);
      }
    });
  },
};

const closeSettlesPending: ConformanceCheck = {
  name: 'close() settles every pending operation: a held-back send, end() and recv() all reject with ERR_CHANNEL_CLOSED',
  async run(t, opts) {
    await withPeer(t, opts, role('hold'), async ({ channel, peer }) => {
      const recv = track(channel.recv());
      let send: ReturnType<typeof track<void>> | null = null;
      let end: ReturnType<typeof track<void>> | null = null;
      if (t.semantics.reliable) {
        // The peer reads nothing: the kernel buffer fills and a send stays queued in the channel.
        const filled = await fillUntilPending(channel, Math.min(65536, t.semantics.maxMessage ?? 65536), 256 << 20);
        assert.ok(filled, `${t.id}: no send was ever held back by a peer that reads nothing (a reliable transport must make the sender wait)`);
        send = track(filled.pending);
        if (t.semantics.endOfStream && channel.end) end = track(channel.end());
      }
      await turn();
      assert.equal(recv.settled(), false, 'recv() settled although the peer sent nothing');
      await channel.close();
      const pending = [recv, send, end].filter((x): x is NonNullable<typeof x> => x !== null);
      for (const x of pending) await withDeadline(expectCode(x.p, 'a pending operation after close()', ['ERR_CHANNEL_CLOSED']), HANG_MS, 'pending operations after close()');
      peer.send('go');
      await peer.result();
    });
  },
};

const abortWithdraws: ConformanceCheck = {
  name: 'an aborted send still queued is withdrawn (never delivered), and end() then completes',
  applies: (t) => t.semantics.reliable,
  async run(t, opts) {
    await withPeer(t, opts, role('hold'), async ({ channel, peer }) => {
      const ac = new AbortController();
      // One-byte sends: each is in the kernel whole or not at all, so the queued ones are untouched.
      const filled = await fillUntilPending(channel, 1, 256 << 20, ac.signal);
      assert.ok(filled, `${t.id}: no send was ever held back by a peer that reads nothing`);
      const settledBefore = filled.sent;
      const queued = track(filled.pending);
      // Many sends wait under this one signal: the engine listens to it once, not once per send.
      const listeners = getEventListeners(ac.signal, 'abort').length;
      assert.ok(listeners <= 1, `${listeners} abort listeners on the one signal shared by the queued sends (one per send piles up)`);
      ac.abort();
      await withDeadline(expectCode(queued.p, 'the aborted queued send', ['ABORT_ERR']), HANG_MS, 'the aborted send');
      // The peer starts reading: whatever was not withdrawn drains (an engine may still hold sends it
      // could not withdraw, e.g. node:net's own buffer), and end() must then go through.
      peer.send('go');
      if (t.semantics.endOfStream && channel.end) await withDeadline(channel.end(), HANG_MS, 'end() after the queued sends were aborted');
      else await channel.close();
      const r = (await peer.result()) as { bytes: number };
      assert.ok(r.bytes < settledBefore, `the peer received ${r.bytes} bytes of ${settledBefore} sent: withdrawn sends arrived anyway`);
      assert.ok(r.bytes > 0, 'nothing arrived at all');
    });
  },
};

const yieldsToLoop: ConformanceCheck = {
  name: 'a tight `for (;;) await send()` loop lets timers run',
  async run(t, opts) {
    await withPeer(t, opts, role('drain'), async ({ channel }) => {
      let fired = false;
      const timer = setTimeout(() => (fired = true), 0);
      const msg = Buffer.alloc(64, 0x33);
      let sent = 0;
      const LIMIT = 200_000;
      while (!fired && sent < LIMIT) {
        await channel.send(msg);
        sent++;
      }
      clearTimeout(timer);
      assert.ok(fired, `a 0 ms timer had not fired after ${LIMIT} awaited sends: the send loop starves the event loop`);
    });
  },
};

const closeGivesEof: ConformanceCheck = {
  name: 'close on either side is a clean end of stream on the other',
  applies: (t) => t.semantics.endOfStream,
  async run(t, opts) {
    // This side closes: the peer's recv() resolves null.
    await withPeer(t, opts, role('await-eof'), async ({ channel, peer }) => {
      await channel.send(Buffer.from('last words'));
      await channel.close();
      const r = (await peer.result()) as { eof: boolean; bytes: number };
      assert.deepEqual({ eof: r.eof, bytes: r.bytes }, { eof: true, bytes: 10 });
    });
    // The peer closes (its role returns): this side reads what was sent, then null.
    await withPeer(t, opts, role('source', { count: 3 }), async ({ channel, peer }) => {
      const ch = messageChannel(channel, t.semantics.boundaries);
      for (let i = 0; i < 3; i++) assert.equal(checkTestMessage(i, (await ch.recv())!), null);
      assert.equal(await withDeadline(ch.recv(), HANG_MS, 'end of stream after the peer closed'), null);
      assert.equal(await ch.recv(), null, 'end of stream is sticky');
      await peer.result();
    });
  },
};

const peerKilledWhileSending: ConformanceCheck = {
  name: 'peer killed while this side sends: a coded error, within a few sends, no hang, no SIGPIPE',
  async run(t, opts) {
    await withPeer(t, opts, role('drain'), async ({ channel, peer }) => {
      const chunk = Buffer.alloc(Math.min(65536, t.semantics.maxMessage ?? 65536), 1);
      for (let i = 0; i < 16; i++) await channel.send(chunk); // the peer is reading
      peer.kill('SIGKILL');
      await peer.exited;
      const killedAt = performance.now();
      let after = 0;
      const sending = (async () => {
        for (;;) {
          await channel.send(chunk);
          after++;
        }
      })();
      await withDeadline(expectCode(sending, 'sending to a dead peer'), HANG_MS, 'sending to a dead peer');
      // What the kernel still accepts for a dead reader is bounded by its buffer, never unbounded.
      assert.ok(after <= 4096, `${after} sends succeeded after the peer was gone`);
      console.log(`${t.id}: the dead peer was noticed after ${after} send(s), ${(performance.now() - killedAt).toFixed(1)} ms`);
    });
  },
};

const peerKilledWhilePending: ConformanceCheck = {
  name: 'peer killed while a send is held back: that send rejects with a coded error, never resolves as delivered',
  applies: (t) => t.semantics.reliable,
  async run(t, opts) {
    await withPeer(t, opts, role('hold'), async ({ channel, peer }) => {
      const filled = await fillUntilPending(channel, Math.min(65536, t.semantics.maxMessage ?? 65536), 256 << 20);
      assert.ok(filled, `${t.id}: no send was ever held back by a peer that reads nothing`);
      peer.kill('SIGKILL');
      await peer.exited;
      await withDeadline(expectCode(filled.pending, 'the held-back send after the peer died'), HANG_MS, 'the held-back send after the peer died');
    });
  },
};

const peerKilledWhileReceiving: ConformanceCheck = {
  name: 'peer killed while it sends: this side sees end of stream or a coded error, no hang',
  // Without a connection there is nothing to see while only receiving: the next send says it.
  applies: (t) => t.semantics.endOfStream,
  async run(t, opts) {
    await withPeer(t, opts, role('flood', { size: Math.min(4096, t.semantics.maxMessage ?? 4096) }), async ({ channel, peer }) => {
      for (let i = 0; i < 8; i++) assert.ok(await channel.recv(), 'peer stopped sending early');
      peer.kill('SIGKILL');
      const draining = (async () => {
        for (;;) if ((await channel.recv()) === null) return 'eof';
      })().catch((err: unknown) => {
        assert.ok(hasCode(err), `recv failed without an error code: ${String(err)}`);
        return err.code;
      });
      const end = await withDeadline(draining, HANG_MS, 'receiving from a dead peer');
      assert.ok(end === 'eof' || typeof end === 'string');
      const exit = await peer.exited;
      assert.equal(exit.signal, 'SIGKILL');
    });
  },
};

const peerGetsEpipe: ConformanceCheck = {
  name: 'this side closes while the peer sends: the peer gets EPIPE/ECONNRESET/ECONNREFUSED as an error, not a SIGPIPE death',
  async run(t, opts) {
    await withPeer(t, opts, role('flood', { size: Math.min(4096, t.semantics.maxMessage ?? 4096) }), async ({ channel, peer }) => {
      for (let i = 0; i < 4; i++) assert.ok(await channel.recv());
      await channel.close();
      const r = (await peer.result()) as { code: string | null };
      // Streams say EPIPE or ECONNRESET; a datagram socket whose peer is gone says ECONNREFUSED.
      assert.ok(r.code === 'EPIPE' || r.code === 'ECONNRESET' || r.code === 'ECONNREFUSED', `peer's send failed with ${r.code}`);
      const exit = await peer.exited;
      assert.deepEqual(exit, { code: 0, signal: null });
    });
  },
};

const badInput: ConformanceCheck = {
  name: 'bad input gives coded errors and leaks nothing',
  async run(t, opts) {
    await primeProcessResources();
    const before = snapshotFds();
    const registry = new TransportRegistry([t]);
    const opened = await t.open(opts.openOptions);
    const spec = opened.peer;
    let connecting: Promise<Channel> | null = null;
    try {
      // Malformed and unknown specs.
      await expectCode(registry.attach(null), 'null spec', ['ERR_INVALID_PEER_SPEC']);
      await expectCode(registry.attach({ transport: t.id }), 'spec without params', ['ERR_INVALID_PEER_SPEC']);
      await expectCode(registry.attach({ ...spec, inheritFds: [-1] }), 'negative fd', ['ERR_INVALID_PEER_SPEC']);
      await expectCode(registry.attach({ ...spec, transport: 'no-such-transport' }), 'unknown transport', ['ERR_UNKNOWN_TRANSPORT']);
      await expectCode(t.attach({ ...spec, params: 42 }), 'params of the wrong shape', ['ERR_INVALID_PEER_SPEC']);
      // Attaching the same spec twice in one process: the second must not share the first one's fds.
      if (spec.inheritFds?.length) {
        const first = await t.attach(spec);
        try {
          await expectCode(t.attach(spec), 'attaching the same spec twice', ['ERR_FD_IN_USE']);
        } finally {
          await first.close();
        }
      }
      // connect() twice is a usage error, not a second channel.
      connecting = opened.connect();
      connecting.catch(() => {});
      await expectCode(opened.connect(), 'connect() twice', ['ERR_INVALID_STATE']);
    } finally {
      await opened.close();
      // Inherited fds connect at once (that channel is ours to close); a listener's connect() fails now.
      const ch = await connecting?.catch(() => null);
      await ch?.close();
    }
    // After close: the stale spec no longer attaches (closed fds, removed names).
    const stale = await t.attach(spec).then(
      async (ch) => {
        await ch.close();
        return null;
      },
      (err: unknown) => err,
    );
    assert.ok(hasCode(stale), `attaching a closed transport's spec should fail with a code, got ${String(stale)}`);
    await assertNoFdLeaks(before);
  },
};

const badSends: ConformanceCheck = {
  name: 'bad sends and receives give coded errors; after close every call says ERR_CHANNEL_CLOSED',
  async run(t, opts) {
    await withPeer(t, opts, role('drain'), async ({ channel }) => {
      await expectCode(channel.send('text' as unknown as Uint8Array), 'send(string)', ['ERR_INVALID_ARG_TYPE']);
      if (t.semantics.maxMessage !== undefined) {
        await expectCode(channel.send(new Uint8Array(t.semantics.maxMessage + 1)), 'send over maxMessage', ['ERR_MESSAGE_TOO_LARGE']);
      }
      if (channel.recvSync) assert.throws(() => channel.recvSync!(new Uint8Array(0)), { code: 'ERR_INVALID_ARG_VALUE' });
      await channel.close();
      await expectCode(channel.send(new Uint8Array(1)), 'send after close', ['ERR_CHANNEL_CLOSED']);
      await expectCode(channel.recv(), 'recv after close', ['ERR_CHANNEL_CLOSED']);
      if (channel.end) await expectCode(channel.end(), 'end after close', ['ERR_CHANNEL_CLOSED']);
    });
  },
};

export const conformanceChecks: readonly ConformanceCheck[] = [
  echoAsync,
  echoBlocking,
  orderedToPeer,
  orderedFromPeer,
  orderAcrossMethods,
  closeSettlesPending,
  abortWithdraws,
  yieldsToLoop,
  closeGivesEof,
  peerKilledWhileSending,
  peerKilledWhilePending,
  peerKilledWhileReceiving,
  peerGetsEpipe,
  badInput,
  badSends,
];

/** Runs one check by name (for tests of the kit itself). */
export async function runCheck(name: string, t: Transport, opts: ConformanceOptions = {}): Promise<void> {
  const check = conformanceChecks.find((c) => c.name.startsWith(name));
  if (!check) throw new Error(`no conformance check named ${name}`);
  await check.run(t, opts);
}
