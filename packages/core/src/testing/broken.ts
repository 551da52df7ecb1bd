// Deliberately broken transports, to show that the conformance kit catches a transport that loses,
// reorders or corrupts messages. Each is a correct transport whose send() misbehaves now and then;
// `reference` (a pipe pair) and `reference-dgram` (a datagram socketpair declared unreliable, like UDP)
// are the same without the fault (the controls). Exported as '@ipc-compare/core/testing/broken' so a
// peer process can attach to them like any transport.
import { pipe2, socketpair } from '@ipc-compare/native';
import { attachInherited, openInherited } from '../inherited.js';
import type { Channel, Opened, PeerSpec, SendOptions, Semantics, Transport } from '../types.js';

/**
 * drop / reorder / corrupt: every `period`-th send. drop-all: every send (an unreliable transport
 * that delivers nothing). late-gather: sendv goes through a promise while send goes direct, so
 * `sendv(B); send(A)` arrives as A, B (the reordering a forwarding proxy once caused).
 * swallow-errors: a send that fails resolves as if delivered. ignore-abort: the AbortSignal is
 * dropped. never-yield: send() resolves at once, before the kernel has anything (a loop of them
 * never lets the event loop run).
 */
export type Fault = 'none' | 'drop' | 'reorder' | 'corrupt' | 'drop-all' | 'late-gather' | 'swallow-errors' | 'ignore-abort' | 'never-yield';

const MODULE = '@ipc-compare/core/testing/broken';
const streamSemantics: Semantics = { duplex: 'half', boundaries: false, reliable: true, reach: 'related', passesFds: false, endOfStream: true, zeroCopy: false, persistence: 'none' };
const dgramSemantics: Semantics = { duplex: 'full', boundaries: true, reliable: false, reach: 'related', maxMessage: 65507, passesFds: false, endOfStream: false, zeroCopy: false, persistence: 'none' };

/** Wraps send() (and sendv) so that they misbehave. */
function faulty(channel: Channel, fault: Fault, period: number): Channel {
  if (fault === 'none') return channel;
  const send = channel.send.bind(channel);
  if (fault === 'late-gather') {
    const sendv = channel.sendv!.bind(channel);
    channel.sendv = (chunks, opts) => Promise.resolve().then(() => sendv(chunks, opts));
    return channel;
  }
  if (fault === 'swallow-errors') {
    channel.send = (data, opts) => send(data, opts).catch(() => {});
    return channel;
  }
  if (fault === 'ignore-abort') {
    channel.send = (data) => send(data);
    return channel;
  }
  if (fault === 'never-yield') {
    channel.send = (data, opts) => {
      send(data, opts).catch(() => {});
      return Promise.resolve();
    };
    return channel;
  }
  let n = 0;
  let held: Uint8Array | null = null;
  channel.send = (data: Uint8Array, opts?: SendOptions): Promise<void> => {
    n++;
    if (fault === 'drop-all') return Promise.resolve();
    if (n % period !== 0) {
      if (held) {
        const late = held;
        held = null;
        void send(data, opts);
        return send(late, opts); // the held one goes out after its successor
      }
      return send(data, opts);
    }
    switch (fault) {
      case 'drop':
        return Promise.resolve();
      case 'reorder':
        held = data;
        return Promise.resolve();
      case 'corrupt': {
        const copy = Buffer.from(data);
        copy[copy.length - 1]! ^= 0x40;
        return send(copy, opts);
      }
    }
    return send(data, opts);
  };
  return channel;
}

function pipes(): { ours: { read: number; write: number }; theirs: { read: number; write: number } } {
  const [toPeerR, toPeerW] = pipe2();
  const [fromPeerR, fromPeerW] = pipe2();
  return { ours: { read: fromPeerR, write: toPeerW }, theirs: { read: toPeerR, write: fromPeerW } };
}

export function brokenTransport(fault: Fault, period = 997): Transport {
  const datagrams = fault === 'drop-all';
  const id = fault === 'none' ? 'reference' : `broken-${fault}`;
  const channel = datagrams ? { kind: 'datagram' as const, maxMessage: 65507 } : {};
  const t: Transport = {
    id,
    module: MODULE,
    semantics: datagrams ? dgramSemantics : streamSemantics,
    blockingPath: true,
    async open(): Promise<Opened> {
      let ends;
      if (datagrams) {
        const [a, b] = socketpair('dgram');
        ends = { ours: { read: a, write: a }, theirs: { read: b, write: b } };
      } else ends = pipes();
      const opened = openInherited({ transport: t, ...ends, channel });
      const connect = opened.connect.bind(opened);
      opened.connect = (o) => connect(o).then((ch) => faulty(ch, fault, period));
      return opened;
    },
    async attach(spec: PeerSpec): Promise<Channel> {
      return faulty(attachInherited(spec, channel), fault, period);
    },
  };
  return t;
}

/** The unreliable control: a datagram socketpair that makes no promise of delivery. */
export const referenceDgram: Transport = { ...brokenTransport('drop-all'), id: 'reference-dgram' };
referenceDgram.attach = async (spec) => attachInherited(spec, { kind: 'datagram', maxMessage: 65507 });
referenceDgram.open = async () => {
  const [a, b] = socketpair('dgram');
  return openInherited({ transport: referenceDgram, ours: { read: a, write: a }, theirs: { read: b, write: b }, channel: { kind: 'datagram', maxMessage: 65507 } });
};

export const transports: Record<string, Transport> = Object.fromEntries(
  [...(['none', 'drop', 'reorder', 'corrupt', 'drop-all', 'late-gather', 'swallow-errors', 'ignore-abort', 'never-yield'] as const).map((f) => brokenTransport(f)), referenceDgram].map((t) => [t.id, t]),
);
