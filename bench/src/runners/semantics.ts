// Semantics probes: what each transport does, observed across two real processes, compared with what
// the course notes claim (Transport.semantics). Nothing here trusts the claim; each property has an
// experiment and a one-line account of what it saw.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { makeTestMessage, messageChannel, snapshotFds, testMessageSize, spawnPeer, type Channel, type Opened, type PeerProcess, type Transport } from '@ipc-compare/core';
import { closeSync, openSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { constants, fstat, read, send, sendFds, write } from '@ipc-compare/native';
import type { Mechanism } from '../mechanisms.js';
import type { PropertyCheck, SemanticsRow } from '../results.js';

const CORE_ROLES = '@ipc-compare/core/roles';

async function withPeer<T>(t: Transport, openOptions: unknown, role: { name: string; args?: unknown }, body: (o: Opened, peer: PeerProcess) => Promise<T>): Promise<T> {
  const opened = await t.open(openOptions);
  let peer: PeerProcess | undefined;
  try {
    peer = await spawnPeer(opened, { module: CORE_ROLES, ...role });
    return await body(opened, peer);
  } finally {
    await opened.channel.close().catch(() => {});
    await peer?.[Symbol.asyncDispose]();
  }
}

function check<T>(claimed: T, observed: T, evidence: string): PropertyCheck<T> {
  return { claimed, observed, agrees: claimed === observed, evidence };
}

/** 100 sends of 1…100 bytes; does each recv return exactly one of them? */
async function probeBoundaries(m: Mechanism): Promise<PropertyCheck<boolean>> {
  const sizes = Array.from({ length: 100 }, (_, i) => i + 1);
  const total = sizes.reduce((a, b) => a + b, 0);
  return withPeer(m.transport, m.openOptions, { name: 'burst', args: { sizes } }, async (o) => {
    await sleep(200); // all 100 sends are in the kernel before the first read
    const reads: number[] = [];
    let got = 0;
    while (got < total) {
      const c = await o.channel.recv();
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
  return withPeer(m.transport, m.openOptions, { name: 'echo' }, async (o) => {
    await o.channel.send(Buffer.from('x')); // connected both ways
    await o.channel.recv();
    const open = snapshotFds();
    const ipc = (o.channel.fds?.() ?? []).map((fd) => ({ fd, target: open.get(fd) ?? '?' }));
    if (ipc.length === 0) throw new Error(`${m.id}: the channel does not say which fds it uses`);
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
  return withPeer(m.transport, m.openOptions, { name: 'sink', args }, async (o, peer) => {
    const ch: Channel = messageChannel(o.channel, m.transport.semantics.boundaries);
    let last: Promise<void> = Promise.resolve();
    for (let i = 0; i < count; i++) {
      last = ch.send(makeTestMessage(i, testMessageSize(i, max)));
      last.catch(() => {});
      if (i % 64 === 63) await last;
    }
    await last;
    const heldBack = o.channel.syscalls?.wouldBlock;
    await o.channel.close();
    const r = (await peer.result()) as { received: number; lost: number; reordered: number; errors: string[]; paused: number };
    const corrupt = r.errors.filter((e) => /corrupted|bytes, expected/.test(e));
    const ok = r.received === count && r.lost === 0 && r.errors.length === 0;
    const held = heldBack === undefined ? '' : heldBack > 0 ? `; the kernel made the sender wait ${heldBack} times (EAGAIN) instead of dropping` : '; the sender never had to wait';
    const evidence = ok
      ? `${count} messages sent faster than the receiver read them (it paused ${r.paused}×): all arrived, in order, intact${held}`
      : `${count} sent to a receiver that kept pausing: ${r.received} arrived, ${r.lost} lost (${((r.lost / count) * 100).toFixed(1)}%), ${r.reordered} out of order, ${corrupt.length ? 'some corrupt' : 'none corrupt'}`;
    return check(m.transport.semantics.reliable, ok, evidence);
  });
}

/** Can a process that inherited nothing, started in its own session, attach with just the spec? */
async function probeReach(m: Mechanism): Promise<PropertyCheck<'related' | 'local' | 'network'>> {
  const script = fileURLToPath(new URL('../unrelated-attach.js', import.meta.url));
  const opened = await m.transport.open(m.openOptions);
  try {
    const spec = opened.peer;
    const child = spawn('setsid', [process.execPath, script, JSON.stringify(spec)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
    const arrived = opened.channel.recv().then(
      (c) => (c ? Buffer.from(c).toString() : null),
      () => null,
    );
    await new Promise((r) => child.once('close', r));
    const r = JSON.parse(out || '{"ok":false,"message":"no report"}') as { ok: boolean; code?: string; message?: string };
    if (!r.ok) {
      const how = spec.inheritFds?.length ? `the spec only names ${spec.inheritFds.length} fds to inherit` : 'attach failed';
      return check(m.transport.semantics.reach, 'related', `a process that inherited nothing could not attach (${r.code}: ${how})`);
    }
    const got = await Promise.race([arrived, sleep(2000).then(() => null)]);
    const params = (spec.params ?? {}) as Record<string, unknown>;
    const byAddress = typeof params.host === 'string' && typeof params.port === 'number';
    const observed = byAddress ? 'network' : 'local';
    const names = Object.values(params).filter((v): v is string => typeof v === 'string' && /^[/\0]/.test(v)).map((v) => (v.startsWith('\0') ? `@${v.slice(1)} (abstract)` : v));
    const how = byAddress ? `knowing only ${String(params.host)}:${String(params.port)} (an IP address: the same works from another host)` : `knowing only ${names.join(', ')}`;
    return check(m.transport.semantics.reach, observed, `an unrelated process (own session, nothing inherited) attached ${how}${got === 'reach-probe' ? ' and its message arrived' : ''}`);
  } finally {
    await opened.channel.close().catch(() => {});
    opened.handOff();
  }
}

/** A 2000-byte message read into 100 bytes: cut (datagrams) or continued by the next read (streams)? */
async function probeTruncation(m: Mechanism): Promise<PropertyCheck<boolean>> {
  const claimed = m.transport.semantics.boundaries; // one recv per message: what does not fit is lost
  if (!m.transport.blockingPath) return check(claimed, claimed, 'not probed: no blocking path to read into a small buffer');
  return withPeer(m.transport, m.openOptions, { name: 'burst', args: { sizes: [2000, 10] } }, async (o) => {
    const ch = o.channel;
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
  if (!m.transport.semantics.boundaries) return check(claimed, null, 'a byte stream: no message size (a send of any length arrives as bytes)');
  return withPeer(m.transport, m.openOptions, { name: 'echo' }, async (o) => {
    await o.channel.send(Buffer.from('x')); // connected
    await o.channel.recv();
    const [fd] = o.channel.fds!();
    // Ask the kernel directly (the channel itself refuses oversize messages before any syscall). A full
    // queue (EAGAIN) still means the size is acceptable.
    const fits = (n: number) => {
      try {
        send(fd!, Buffer.alloc(n), constants.MSG_DONTWAIT);
        return true;
      } catch (err) {
        if ((err as { code?: string }).code === 'EMSGSIZE') return false;
        throw err;
      }
    };
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
  const file = join(tmpdir(), `ipc-compare-fdprobe-${process.pid}-${Date.now()}`);
  const secret = `passed by pid ${process.pid}`;
  writeFileSync(file, secret, { mode: 0o600 });
  const fileFd = openSync(file, 'r');
  unlinkSync(file);
  try {
    return await withPeer(m.transport, m.openOptions, { name: 'fd-probe' }, async (o, peer) => {
      await (o.channel as { ready?: Promise<void> }).ready; // a channel still connecting: wait for it
      const fds = o.channel.fds?.() ?? [];
      const wfd = fds[fds.length - 1];
      if (wfd === undefined) return check(claimed, false, 'the channel has no fd to try SCM_RIGHTS on');
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

export async function probeSemantics(m: Mechanism): Promise<SemanticsRow> {
  return {
    mechanism: m.id,
    boundaries: await probeBoundaries(m),
    duplex: await probeDuplex(m),
    reliable: await probeReliable(m),
    reach: await probeReach(m),
    truncation: await probeTruncation(m),
    maxMessage: await probeMaxMessage(m),
    passesFds: await probePassesFds(m),
  };
}
