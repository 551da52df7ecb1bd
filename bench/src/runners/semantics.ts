// Semantics probes: what each transport does, observed across two real processes, compared with what
// the course notes claim (Transport.semantics). Nothing here trusts the claim; each property has an
// experiment and a one-line account of what it saw. A property that could not be observed here says so
// (observed null, "not observed: why"): it is never filled in from configuration.
import { closeSync, openSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { messageChannel, type Channel, type Transport } from '@ipc-compare/core';
import { makeTestMessage, snapshotFds, spawnPeer, testMessageSize, type PeerProcess } from '@ipc-compare/core/testing';
import { constants, fstat, read, send, sendFds, write } from '@ipc-compare/native';
import type { Mechanism } from '../mechanisms.js';
import { makeNetnsPair, netnsUnavailable } from '../reach/netns.js';
import { runScript } from '../reach/run-script.js';
import { allSettled } from './all-settled.js';
import { probePersistence } from './persistence.js';
import type { PropertyCheck, SemanticsRow } from '../results.js';

const CORE_ROLES = '@ipc-compare/core/roles';
const ATTACH_UNRELATED = fileURLToPath(new URL('../reach/attach-unrelated.js', import.meta.url));
const LISTEN_IN_NETNS = fileURLToPath(new URL('../reach/listen-in-netns.js', import.meta.url));

async function withPeer<T>(t: Transport, openOptions: unknown, role: { name: string; args?: unknown }, body: (channel: Channel, peer: PeerProcess) => Promise<T>): Promise<T> {
  const opened = await t.open(openOptions);
  let peer: PeerProcess | undefined;
  let channel: Channel | undefined;
  try {
    peer = await spawnPeer(opened, { module: CORE_ROLES, ...role });
    channel = await opened.connect();
    return await body(channel, peer);
  } finally {
    await channel?.close().catch(() => {});
    await opened.close();
    await peer?.[Symbol.asyncDispose]();
  }
}

function check<T>(claimed: T, observed: T, evidence: string): PropertyCheck<T> {
  return { claimed, observed, agrees: claimed === observed, evidence };
}

function notObserved<T>(claimed: T, why: string): PropertyCheck<T> {
  return { claimed, observed: null, agrees: null, evidence: `not observed: ${why}` };
}

/** 100 sends of 1…100 bytes, all in the kernel before the first read; does each recv return exactly one? */
async function probeBoundaries(m: Mechanism): Promise<PropertyCheck<boolean>> {
  const sizes = Array.from({ length: 100 }, (_, i) => i + 1);
  const total = sizes.reduce((a, b) => a + b, 0);
  return withPeer(m.transport, m.openOptions, { name: 'burst', args: { sizes } }, async (channel, peer) => {
    await peer.nextControl(); // the peer says all 100 sends are done
    const reads: number[] = [];
    let got = 0;
    while (got < total) {
      const c = await channel.recv();
      if (c === null) throw new Error(`end of stream after ${got} of ${total} bytes`);
      reads.push(c.byteLength);
      got += c.byteLength;
    }
    const exact = reads.length === sizes.length && reads.every((n, i) => n === sizes[i]);
    const shown = reads.length <= 6 ? reads.join(', ') : `${reads.slice(0, 5).join(', ')}, …`;
    return check(m.transport.semantics.boundaries, exact, `100 sends of 1…100 bytes arrived as ${reads.length} read${reads.length === 1 ? '' : 's'} (${shown} bytes)`);
  });
}

/** Which directions each fd of the connected channel allows (a 0-byte read/write on each). */
async function probeDuplex(m: Mechanism): Promise<PropertyCheck<'full' | 'half'>> {
  return withPeer(m.transport, m.openOptions, { name: 'echo' }, async (channel) => {
    await channel.send(Buffer.from('x')); // connected both ways
    await channel.recv();
    const open = snapshotFds();
    const ipc = (channel.fds?.() ?? []).map((fd) => ({ fd, target: open.get(fd) ?? '?' }));
    if (ipc.length === 0) {
      if (!channel.fds) return notObserved(m.transport.semantics.duplex, 'the channel does not say which fds it uses');
      // No fd at all (shared memory): one object, the region. Send 64 messages before reading any
      // echo: if the echoes come back over the same region while this side still sends, it carries
      // both directions at once.
      const n = 64;
      const sending = Promise.all(Array.from({ length: n }, (_, i) => channel.send(Buffer.from([i]))));
      let back = 0;
      while (back < n) if ((await channel.recv()) !== null) back++;
      await sending;
      return check(m.transport.semantics.duplex, 'full', `no fd: one shared region; ${n} messages sent before reading any reply, and their ${n} echoes came back through the same region (a ring each way)`);
    }
    const can = (fn: () => unknown) => {
      try {
        fn();
        return true;
      } catch (err) {
        return (err as { code?: string }).code !== 'EBADF';
      }
    };
    const fds = ipc.map((f) => {
      const r = can(() => read(f.fd, Buffer.alloc(1), 0, 0));
      const w = can(() => write(f.fd, Buffer.alloc(0)));
      return { ...f, both: r && w, dir: r && w ? 'both ways' : r ? 'read only (write → EBADF)' : 'write only (read → EBADF)' };
    });
    const observed = fds.some((f) => f.both) ? 'full' : 'half';
    const list = fds.map((f) => `${f.target.replace(/^\/.*\//, '…/')} ${f.dir}`).join('; ');
    return check(m.transport.semantics.duplex, observed, `${fds.length} fd${fds.length === 1 ? '' : 's'} for the channel: ${list}`);
  });
}

/** 3000 messages sent as fast as possible to a receiver that keeps pausing: does any go missing? */
async function probeReliable(m: Mechanism): Promise<PropertyCheck<boolean>> {
  const count = 3000;
  const max = m.transport.semantics.maxMessage;
  // The receiver is deliberately slower than the sender (it keeps pausing), so a mechanism that can
  // drop does drop, and one that cannot has to hold the sender back.
  const idleMs = m.transport.semantics.endOfStream ? undefined : 1000;
  const args = { count, maxMessage: max, pauseEvery: 100, pauseMs: 2, idleMs };
  return withPeer(m.transport, m.openOptions, { name: 'sink', args }, async (channel, peer) => {
    const ch: Channel = messageChannel(channel, m.transport.semantics.boundaries);
    let last: Promise<void> = Promise.resolve();
    for (let i = 0; i < count; i++) {
      last = ch.send(makeTestMessage(i, testMessageSize(i, max)));
      last.catch(() => {});
      if (i % 64 === 63) await last;
    }
    await last;
    const heldBack = channel.syscalls?.wouldBlock;
    await channel.close();
    const r = (await peer.result()) as { received: number; duplicates: number; reordered: number; errors: string[]; paused: number; seen: string };
    const bits = Buffer.from(r.seen, 'base64');
    let arrived = 0;
    for (let i = 0; i < count; i++) if (bits[i >> 3]! & (1 << (i & 7))) arrived++;
    const lost = count - arrived;
    const corrupt = r.errors.filter((e) => /corrupted|bytes, expected/.test(e));
    const ok = lost === 0 && r.errors.length === 0;
    const held = heldBack === undefined ? '' : heldBack > 0 ? `; the kernel made the sender wait ${heldBack} times (EAGAIN) instead of dropping` : '; the sender never had to wait';
    const evidence = ok
      ? `${count} messages sent faster than the receiver read them (it paused ${r.paused}×): all arrived, in order, intact${held}`
      : `${count} sent to a receiver that kept pausing: ${arrived} arrived, ${lost} lost (${((lost / count) * 100).toFixed(1)}%), ${r.reordered} out of order, ${corrupt.length ? 'some corrupt' : 'none corrupt'}`;
    return check(m.transport.semantics.reliable, ok, evidence);
  });
}

/** An unrelated process (own session, nothing inherited) attaches with just the spec and sends one message. */
async function unrelatedReaches(m: Mechanism): Promise<{ ok: boolean; evidence: string }> {
  const opened = await m.transport.open(m.openOptions);
  try {
    const spec = opened.peer;
    const arriving = opened.connect().then(
      (ch) => ch.recv().then((c) => (ch.close(), c ? Buffer.from(c).toString() : null)),
      () => null,
    );
    const p = runScript(['setsid'], ATTACH_UNRELATED, [JSON.stringify(spec)]);
    const report = JSON.parse((await p.nextLine()) ?? '{"ok":false,"message":"no report"}') as { ok: boolean; code?: string };
    await p.closed;
    if (!report.ok) {
      const how = spec.inheritFds?.length ? `the spec only names ${spec.inheritFds.length} fds to inherit` : 'attach failed';
      return { ok: false, evidence: `a process that inherited nothing could not attach (${report.code}: ${how})` };
    }
    const got = await arriving;
    // What names the object (a path, a port, a shm name or XSI id), not tuning or secrets.
    const notNames = new Set(['token', 'capacity', 'spin', 'wake', 'size', 'kind']);
    const flat = (o: Record<string, unknown>): Array<[string, unknown]> =>
      Object.entries(o).flatMap(([k, v]) => (v !== null && typeof v === 'object' && !Array.isArray(v) ? flat(v as Record<string, unknown>) : [[k, v] as [string, unknown]]));
    const names = flat((spec.params ?? {}) as Record<string, unknown>)
      .filter(([k, v]) => !notNames.has(k) && (typeof v === 'string' || typeof v === 'number'))
      .map(([k, v]) => (typeof v === 'number' ? `${k} ${v}` : (v as string).startsWith('\0') ? `@${(v as string).slice(1)} (abstract)` : (v as string)));
    return { ok: got === 'reach-probe', evidence: `an unrelated process (own session, nothing inherited) attached knowing only ${names.join(', ')}${got === 'reach-probe' ? ' and its message arrived' : ', but its message did not arrive'}` };
  } finally {
    await opened.close();
  }
}

/**
 * Network reach: the listener runs in one network namespace on its veth address, the peer in another
 * connects to that address (allowRemote), and its message must arrive.
 */
async function networkReaches(m: Mechanism): Promise<{ ok: boolean; evidence: string } | string> {
  if (!m.networkOpenOptions) return 'it has no network address to listen on (a path or inherited fds)';
  const why = await netnsUnavailable();
  if (why) return why;
  const pair = await makeNetnsPair();
  try {
    const listener = runScript(pair.exec(pair.a.ns), LISTEN_IN_NETNS, [m.transport.module, m.transport.id, pair.a.address]);
    const specLine = await listener.nextLine();
    if (!specLine || !specLine.startsWith('{"transport"')) return { ok: false, evidence: `the listener in ${pair.a.ns} could not start: ${specLine ?? 'no output'}` };
    const peer = runScript(pair.exec(pair.b.ns), ATTACH_UNRELATED, [specLine, '--allow-remote']);
    const report = JSON.parse((await peer.nextLine()) ?? '{"ok":false}') as { ok: boolean; code?: string; message?: string };
    await peer.closed;
    const outcome = JSON.parse((await listener.nextLine()) ?? '{}') as { got?: string | null; error?: string };
    await listener.closed;
    const where = `a peer in network namespace ${pair.b.ns} (${pair.b.address}) connected over a veth link to ${pair.a.address} in ${pair.a.ns}`;
    if (!report.ok) return { ok: false, evidence: `${where}: attach failed (${report.code}: ${report.message})` };
    return { ok: outcome.got === 'reach-probe', evidence: `${where}${outcome.got === 'reach-probe' ? ', and its message arrived' : `, but its message did not arrive (${outcome.error ?? 'nothing'})`}` };
  } finally {
    await pair.remove();
  }
}

/** The widest reach observed: the peer may be related only, any local process, or on another host. */
async function probeReach(m: Mechanism): Promise<PropertyCheck<'related' | 'local' | 'network'>> {
  const claimed = m.transport.semantics.reach;
  const local = await unrelatedReaches(m);
  if (!local.ok) return check(claimed, 'related', local.evidence);
  const network = await networkReaches(m);
  if (typeof network === 'string') return check(claimed, 'local', `${local.evidence}; network: not tried, ${network}`);
  return check(claimed, network.ok ? 'network' : 'local', `${local.evidence}; ${network.evidence}`);
}

/** A 2000-byte message read into 100 bytes: cut (datagrams) or continued by the next read (streams)? */
async function probeTruncation(m: Mechanism): Promise<PropertyCheck<boolean>> {
  const claimed = m.transport.semantics.boundaries; // one recv per message: what does not fit is lost
  if (!m.transport.blockingPath) return notObserved(claimed, 'no blocking path to read into a small buffer');
  return withPeer(m.transport, m.openOptions, { name: 'burst', args: { sizes: [2000, 10] } }, async (ch) => {
    const small = Buffer.alloc(100);
    const first = ch.recvSync!(small);
    const trunc = ch.lastTruncation ?? null;
    const second = ch.recvSync!(Buffer.alloc(4096));
    if (trunc) {
      return check(claimed, true, `a ${trunc.length}-byte message read into ${trunc.received} bytes: ${first} returned, MSG_TRUNC gave the real length, the other ${trunc.length - trunc.received} bytes were gone (the next read returned the next message, ${second} bytes)`);
    }
    return check(claimed, false, `a 2000-byte send read into 100 bytes: ${first} returned, and the next read went on with the rest (${second} bytes, the next send's included): nothing is lost in a stream`);
  });
}

/** The largest message one send accepts: EMSGSIZE above it (binary search on the channel's socket). */
async function probeMaxMessage(m: Mechanism): Promise<PropertyCheck<number | null>> {
  const claimed = m.transport.semantics.maxMessage ?? null;
  return withPeer(m.transport, m.openOptions, { name: 'echo' }, async (channel) => {
    await channel.send(Buffer.from('x')); // connected
    await channel.recv();
    const fds = channel.fds?.() ?? [];
    const fd = fds[fds.length - 1];
    if (fd === undefined && channel.fds && m.transport.semantics.boundaries) {
      // No fd (shared memory): no kernel limit to ask; send one message far larger than any buffer.
      const big = Buffer.alloc(4 << 20, 0x5a);
      big.writeUInt32LE(0xc0ffee, (4 << 20) - 4);
      const [, back] = await Promise.all([channel.send(big), channel.recv()]);
      const whole = back !== null && back.byteLength === big.length && Buffer.compare(Buffer.from(back), big) === 0;
      return check(claimed, whole ? null : (back?.byteLength ?? 0), whole ? 'no fd, no kernel limit: a 4 MiB message was sent in fragments and came back whole, as one message' : `a 4 MiB message came back as ${back?.byteLength ?? 0} bytes`);
    }
    if (fd === undefined) return notObserved(claimed, 'the channel does not say which fd it uses');
    if (fstat(fd).type !== 'socket') return check(claimed, null, `a ${fstat(fd).type}: a byte stream, a send of any length arrives as bytes (no message size)`);
    // Ask the kernel directly (the channel itself refuses oversize messages before any syscall). A full
    // queue (EAGAIN) still means the size is acceptable; a stream socket takes any size.
    const fits = (n: number) => {
      try {
        send(fd, Buffer.alloc(n), constants.MSG_DONTWAIT);
        return true;
      } catch (err) {
        if ((err as { code?: string }).code === 'EMSGSIZE') return false;
        throw err;
      }
    };
    if (!m.transport.semantics.boundaries) {
      return check(claimed, fits(4 << 20) ? null : 0, 'a stream socket: a 4 MiB send was accepted (no message size; the bytes arrive as a stream)');
    }
    let lo = 1;
    let hi = 1 << 22;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (fits(mid)) lo = mid;
      else hi = mid - 1;
    }
    return check(claimed, lo, `the kernel accepted a ${lo}-byte message and refused ${lo + 1} bytes with EMSGSIZE`);
  });
}

/**
 * Can the mechanism carry an open fd? Tries SCM_RIGHTS (sendmsg with a file's fd) on the channel's
 * own fd, and has the peer read the file through whatever fd it received. The file has no name any
 * more by then: the fd is the only way to it.
 */
async function probePassesFds(m: Mechanism): Promise<PropertyCheck<boolean>> {
  const claimed = m.transport.semantics.passesFds;
  const file = join(tmpdir(), `ipc-compare-fdprobe-${process.pid}-${Math.random().toString(36).slice(2)}`);
  const secret = `passed by pid ${process.pid}`;
  writeFileSync(file, secret, { mode: 0o600, flag: 'wx' });
  const fileFd = openSync(file, 'r');
  unlinkSync(file);
  try {
    return await withPeer(m.transport, m.openOptions, { name: 'fd-probe' }, async (channel, peer) => {
      const fds = channel.fds?.() ?? [];
      const wfd = fds[fds.length - 1];
      if (wfd === undefined) return notObserved(claimed, 'the channel has no fd to try SCM_RIGHTS on');
      try {
        sendFds(wfd, Buffer.from('f'), [fileFd]);
      } catch (err) {
        return check(claimed, false, `sendmsg with SCM_RIGHTS on the channel's ${fstat(wfd).type} fd failed with ${(err as { code?: string }).code}: only AF_UNIX sockets carry fds`);
      }
      const r = (await peer.result()) as { bytes: number; contents: string[] };
      const ok = r.contents[0] === secret;
      return check(
        claimed,
        ok,
        ok
          ? `a file's fd sent with SCM_RIGHTS on the channel's socket: the peer read "${secret}" through the fd it received (the file had no name any more)`
          : `sendmsg did not fail, but the peer received ${r.bytes} byte(s) and ${r.contents.length} fd(s): the kernel ignores SCM_RIGHTS on a socket that is not AF_UNIX`,
      );
    });
  } finally {
    closeSync(fileFd);
  }
}

/**
 * Zero-copy: the peer sends 16 bytes of 'A' and, once this side has them, overwrites the memory it
 * sent from with 'B' (rewrite-after-send). Do the bytes received here change? They do only if both
 * sides look at one copy of them: shared memory, written in place (claimSync) and read in place
 * (recvViewSync). A kernel-buffered mechanism copied them at send, and again at receive.
 */
async function probeZeroCopy(m: Mechanism): Promise<PropertyCheck<boolean>> {
  return withPeer(m.transport, m.openOptions, { name: 'rewrite-after-send' }, async (channel, peer) => {
    const { inPlace } = (await peer.nextControl()) as { inPlace: boolean };
    const got = channel.recvViewSync ? channel.recvViewSync() : await channel.recv();
    if (got === null || got.byteLength === 0 || got.some((b) => b !== 0x41)) throw new Error(`zero-copy probe: expected 16 bytes of 'A', got ${got === null ? 'end of stream' : Buffer.from(got).toString('latin1')}`);
    const view = got.buffer instanceof SharedArrayBuffer ? 'a view into the shared mapping (recvViewSync)' : 'its own buffer';
    peer.send('overwrite');
    await peer.nextControl(); // the peer has written 'B' over what it sent
    const changed = got.every((b) => b === 0x42);
    const wrote = inPlace ? 'wrote 16 bytes of A in place in the ring (claimSync), published them' : 'sent 16 bytes of A from its buffer';
    const evidence = changed
      ? `the sender ${wrote}, and once the receiver held them in ${view} overwrote them with B: the receiver's bytes turned to B — one copy, shared by both`
      : `the sender ${wrote}, then overwrote that memory with B: the receiver's bytes (${view}) stayed A — they had been copied`;
    return check(m.transport.semantics.zeroCopy, changed, evidence);
  });
}

export async function probeSemantics(m: Mechanism): Promise<SemanticsRow> {
  // Reliability first, alone: it needs a receiver slower than its sender, and peers of other probes
  // starting meanwhile would change which side is slower. The other probes observe what the kernel
  // does whatever the timing, each on a channel of its own, and most of their time is a peer
  // process starting up: they run at once.
  const reliable = await probeReliable(m);
  const [boundaries, duplex, reach, truncation, maxMessage, passesFds, zeroCopy, persistence] = await allSettled([
    () => probeBoundaries(m),
    () => probeDuplex(m),
    () => probeReach(m),
    () => probeTruncation(m),
    () => probeMaxMessage(m),
    () => probePassesFds(m),
    () => probeZeroCopy(m),
    () => probePersistence(m),
  ]);
  return { mechanism: m.id, boundaries, duplex, reliable, reach, truncation, maxMessage, passesFds, zeroCopy, persistence };
}
