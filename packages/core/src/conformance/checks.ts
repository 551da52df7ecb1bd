// The conformance kit's checks, as plain async functions: each opens the transport in this process,
// attaches a real peer process, exercises one property, and throws (AssertionError or the transport's
// own error) if the transport gets it wrong. `describeConformance` turns them into vitest tests; core's
// own tests run them against deliberately broken transports to show that they fail.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { Poller } from '@ipc-compare/native';
import { hasCode } from '../errors.js';
import { messageChannel } from '../framing.js';
import { assertNoFdLeaks, snapshotFds } from '../leaks.js';
import { spawnPeer, type PeerProcess, type RoleRef } from '../peer.js';
import { attachPeerSpec, loadTransport } from '../registry.js';
import { checkTestMessage, echoPayload, makeTestMessage, testMessageSize } from '../testdata.js';
import type { Channel, Opened, Transport } from '../types.js';

export interface ConformanceOptions {
  /** Options passed to every `transport.open()`. */
  openOptions?: unknown;
  /** Echo sizes (async path). Default 1 B, 100 B, 4 KiB, 64 KiB, 1 MiB, capped by maxMessage. */
  echoSizes?: number[];
  /** Echo sizes for the blocking path (both sides block, so each must fit the kernel buffer). Default ≤ 32 KiB. */
  blockingEchoSizes?: number[];
  /** Messages in the ordering checks. Default 10 000. */
  messages?: number;
  /** A dead peer must be noticed within this many ms. Default 1000 (SPEC §5). */
  deathNoticeMs?: number;
}

export interface ConformanceCheck {
  name: string;
  /** Whether the check applies to this transport (default: always). */
  applies?: (t: Transport) => boolean;
  run(t: Transport, opts: ConformanceOptions): Promise<void>;
}

const CORE_ROLES = '@ipc-compare/core/roles';
const role = (name: string, args?: unknown): RoleRef => ({ module: CORE_ROLES, name, args });

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
  const p = new Poller(0, () => {});
  p.close();
  primed = true;
}

/**
 * Runs `body` with an opened transport and a peer running `peerRole`, then releases both (also when
 * `body` throws) and checks that no fd was leaked.
 */
export async function withPeer(
  t: Transport,
  opts: ConformanceOptions,
  peerRole: RoleRef,
  body: (ctx: { opened: Opened; channel: Channel; peer: PeerProcess }) => Promise<void>,
): Promise<void> {
  await primeProcessResources();
  const before = snapshotFds();
  const opened = await t.open(opts.openOptions);
  let peer: PeerProcess | undefined;
  try {
    peer = await spawnPeer(opened, peerRole);
    await body({ opened, channel: opened.channel, peer });
  } finally {
    await opened.channel.close().catch(() => {});
    opened.handOff();
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
    if (codes) assert.ok(codes.includes(err.code), `${what}: code ${err.code}, expected one of ${codes.join(', ')}`);
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
const IDLE_MS = 1000;

const orderedToPeer: ConformanceCheck = {
  name: '10 000 messages to the peer arrive complete and in order (unreliable kinds: intact, losses counted)',
  async run(t, opts) {
    const count = opts.messages ?? 10_000;
    const max = t.semantics.maxMessage;
    const idleMs = t.semantics.endOfStream ? undefined : IDLE_MS;
    await withPeer(t, opts, role('sink', { count, maxMessage: max, idleMs }), async ({ channel, peer }) => {
      const ch = messageChannel(channel, t.semantics.boundaries);
      for (let i = 0; i < count; i++) await ch.send(makeTestMessage(i, testMessageSize(i, max)));
      // Close after the last send: what is in the kernel is still delivered, then end of stream (or, for
      // datagrams, silence), so a transport that lost messages shows up as a short count, not a hang.
      await channel.close();
      const r = (await peer.result()) as { received: number; lost: number; reordered: number; errors: string[] };
      if (t.semantics.reliable) {
        assert.deepEqual(r.errors, [], `peer found bad messages: ${r.errors.join('; ')}`);
        assert.equal(r.received, count, `peer received ${r.received} of ${count} messages`);
      } else {
        // Allowed to lose, never to corrupt: every message that arrived is intact, and the count adds up.
        const corrupt = r.errors.filter((e) => /corrupted|bytes, expected/.test(e));
        assert.deepEqual(corrupt, [], `peer found corrupt messages: ${corrupt.join('; ')}`);
        assert.equal(r.received - r.reordered + r.lost, count, `received ${r.received}, lost ${r.lost}, reordered ${r.reordered} do not add up to ${count}`);
        console.log(`${t.id}: ${count} messages sent back to back, ${r.received} received, ${r.lost} lost, ${r.reordered} out of order`);
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
        const msg = await (t.semantics.endOfStream ? ch.recv() : ch.recv({ signal: AbortSignal.timeout(IDLE_MS * 5) }));
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
      assert.equal(await withDeadline(ch.recv(), 5000, 'end of stream after the peer closed'), null);
      assert.equal(await ch.recv(), null, 'end of stream is sticky');
      await peer.result();
    });
  },
};

const peerKilledWhileSending: ConformanceCheck = {
  name: 'peer killed while this side sends: a coded error within 1 s, no hang, no SIGPIPE',
  async run(t, opts) {
    const limit = opts.deathNoticeMs ?? 1000;
    await withPeer(t, opts, role('drain'), async ({ channel, peer }) => {
      const chunk = Buffer.alloc(Math.min(65536, t.semantics.maxMessage ?? 65536), 1);
      for (let i = 0; i < 16; i++) await channel.send(chunk); // the peer is reading
      peer.kill('SIGKILL');
      await peer.exited;
      const killedAt = performance.now();
      const sending = (async () => {
        for (;;) await channel.send(chunk);
      })();
      await withDeadline(expectCode(sending, 'sending to a dead peer'), limit, 'sending to a dead peer');
      assert.ok(performance.now() - killedAt <= limit, 'the error came later than the limit');
    });
  },
};

const peerKilledWhileReceiving: ConformanceCheck = {
  name: 'peer killed while it sends: this side sees end of stream or a coded error within 1 s',
  // Without a connection there is nothing to see while only receiving: the next send says it.
  applies: (t) => t.semantics.endOfStream,
  async run(t, opts) {
    const limit = opts.deathNoticeMs ?? 1000;
    await withPeer(t, opts, role('flood', { size: Math.min(4096, t.semantics.maxMessage ?? 4096) }), async ({ channel, peer }) => {
      for (let i = 0; i < 8; i++) assert.ok(await channel.recv(), 'peer stopped sending early');
      peer.kill('SIGKILL');
      const killedAt = performance.now();
      const draining = (async () => {
        for (;;) {
          if ((await channel.recv()) === null) return 'eof';
        }
      })().catch((err: unknown) => {
        assert.ok(hasCode(err), `recv failed without an error code: ${String(err)}`);
        return err.code;
      });
      const end = await withDeadline(draining, limit + 1000, 'receiving from a dead peer');
      assert.ok(performance.now() - killedAt <= limit + 1000, `took ${performance.now() - killedAt} ms`);
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
    const opened = await t.open(opts.openOptions);
    const spec = opened.peer;
    try {
      // Malformed and unknown specs.
      await expectCode(attachPeerSpec(null), 'null spec', ['ERR_INVALID_PEER_SPEC']);
      await expectCode(attachPeerSpec({ transport: t.id }), 'spec without module', ['ERR_INVALID_PEER_SPEC']);
      await expectCode(attachPeerSpec({ ...spec, inheritFds: [-1] }), 'negative fd', ['ERR_INVALID_PEER_SPEC']);
      await expectCode(loadTransport({ ...spec, transport: 'no-such-transport' }), 'unknown transport', ['ERR_UNKNOWN_TRANSPORT']);
      await expectCode(loadTransport({ ...spec, module: '@ipc-compare/no-such-package' }), 'unknown module', ['ERR_UNKNOWN_TRANSPORT']);
      await expectCode(t.attach({ ...spec, params: 42 }), 'params of the wrong shape', ['ERR_INVALID_PEER_SPEC']);
      // Bad sends.
      await expectCode(opened.channel.send('text' as unknown as Uint8Array), 'send(string)', ['ERR_INVALID_ARG_TYPE']);
      if (t.semantics.maxMessage !== undefined) {
        await expectCode(opened.channel.send(new Uint8Array(t.semantics.maxMessage + 1)), 'send over maxMessage', ['ERR_MESSAGE_TOO_LARGE', 'EMSGSIZE']);
      }
      // Attaching the same spec twice in one process: the second must not share the first one's fds.
      if (spec.inheritFds?.length) {
        const first = await t.attach(spec);
        try {
          await expectCode(t.attach(spec), 'attaching the same spec twice', ['ERR_FD_IN_USE']);
        } finally {
          await first.close();
        }
      }
    } finally {
      await opened.channel.close();
      opened.handOff();
    }
    // After close: sends fail, and the stale spec no longer attaches (closed fds, removed names).
    await expectCode(opened.channel.send(new Uint8Array(1)), 'send after close', ['ERR_CHANNEL_CLOSED']);
    await expectCode(opened.channel.recv(), 'recv after close', ['ERR_CHANNEL_CLOSED']);
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

export const conformanceChecks: readonly ConformanceCheck[] = [
  echoAsync,
  echoBlocking,
  orderedToPeer,
  orderedFromPeer,
  closeGivesEof,
  peerKilledWhileSending,
  peerKilledWhileReceiving,
  peerGetsEpipe,
  badInput,
];

/** Runs one check by name (for tests of the kit itself). */
export async function runCheck(name: string, t: Transport, opts: ConformanceOptions = {}): Promise<void> {
  const check = conformanceChecks.find((c) => c.name.startsWith(name));
  if (!check) throw new Error(`no conformance check named ${name}`);
  await check.run(t, opts);
}

