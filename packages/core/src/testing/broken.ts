// Deliberately broken transports, to show that the conformance kit catches a transport that loses,
// reorders or corrupts messages. Each is a correct pipe-pair transport whose send() misbehaves now and
// then; `reference` is the same without the fault (the control). Exported as
// '@ipc-compare/core/testing' so a peer process can attach to them like any transport.
import { pipe2 } from '@ipc-compare/native';
import { attachInherited, openInherited } from '../inherited.js';
import type { Channel, Opened, PeerSpec, SendOptions, Semantics, Transport } from '../types.js';

export type Fault = 'none' | 'drop' | 'reorder' | 'corrupt';

const semantics: Semantics = { duplex: 'half', boundaries: false, reliable: true, reach: 'related', passesFds: false, endOfStream: true };

/** Wraps send() so that every `period`-th call misbehaves. */
function faulty(channel: Channel, fault: Fault, period: number): Channel {
  if (fault === 'none') return channel;
  let n = 0;
  let held: Uint8Array | null = null;
  const send = channel.send.bind(channel);
  channel.send = (data: Uint8Array, opts?: SendOptions): Promise<void> => {
    n++;
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
  };
  return channel;
}

function pipes(): { ours: { read: number; write: number }; theirs: { read: number; write: number } } {
  const [toPeerR, toPeerW] = pipe2();
  const [fromPeerR, fromPeerW] = pipe2();
  return { ours: { read: fromPeerR, write: toPeerW }, theirs: { read: toPeerR, write: fromPeerW } };
}

export function brokenTransport(fault: Fault, period = 997): Transport {
  const id = fault === 'none' ? 'reference' : `broken-${fault}`;
  return {
    id,
    semantics,
    blockingPath: true,
    async open(): Promise<Opened> {
      const opened = openInherited({ transport: id, module: '@ipc-compare/core/testing', ...pipes() });
      faulty(opened.channel, fault, period);
      return opened;
    },
    async attach(spec: PeerSpec): Promise<Channel> {
      return faulty(attachInherited(spec), fault, period);
    },
  };
}

export const transports: Record<string, Transport> = Object.fromEntries(
  (['none', 'drop', 'reorder', 'corrupt'] as const).map((f) => {
    const t = brokenTransport(f);
    return [t.id, t];
  }),
);
