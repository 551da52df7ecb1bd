// The receiver's check must catch what the C baseline catches: loss, reordering, corruption, stale
// bytes, however the stream is split.
import { describe, expect, it } from 'vitest';
import { FLAG_END, FLAG_WARMUP, HEADER_BYTES, MessageSource, Patterns, REPORT_BYTES, StreamVerifier, decodeReport, encodeHeader, encodeReport } from '../src/protocol.js';

function streamOf(size: number, seqs: number[], end: number, warmup = 0): Buffer {
  const p = new Patterns(size);
  const parts = seqs.map((s) => Buffer.concat([encodeHeader(s, s < warmup ? FLAG_WARMUP : 0), p.payload(s)]));
  parts.push(Buffer.concat([encodeHeader(end, FLAG_END), p.payload(end)]));
  return Buffer.concat(parts);
}

function verify(size: number, wire: Buffer, step: number) {
  const v = new StreamVerifier(new Patterns(size));
  for (let i = 0; i < wire.length; i += step) v.feed(wire.subarray(i, i + step));
  expect(v.ended).toBe(true);
  return v.report;
}

describe('StreamVerifier', () => {
  it('accepts a clean stream split at any point', () => {
    for (const size of [32, 100, 4096]) {
      const wire = streamOf(size, [0, 1, 2, 3, 4, 5, 6, 7, 8], 9);
      for (const step of [1, 7, 16, size - 1, size, size + 3, wire.length]) {
        expect(verify(size, wire, step)).toEqual({ received: 9, lost: 0, reordered: 0, corrupt: 0, bytes: wire.length, warmupReceived: 0 });
      }
    }
  });

  it('checks warm-up messages like the others and counts them apart (stream and datagrams)', () => {
    const size = 48;
    const wire = streamOf(size, [0, 1, 2, 3, 4, 5], 6, 4);
    expect(verify(size, wire, 7)).toMatchObject({ received: 6, warmupReceived: 4, lost: 0, corrupt: 0 });
    // A warm-up message lost and one corrupt: both seen, the counts say which were warm-up.
    const bad = streamOf(size, [0, 2, 3, 4], 5, 3);
    bad[size + HEADER_BYTES + 1]! ^= 1; // payload of seq 2 (warm-up)
    expect(verify(size, bad, size)).toMatchObject({ received: 3, warmupReceived: 1, corrupt: 1 });
    const v = new StreamVerifier(new Patterns(size));
    for (let i = 0; i < wire.length; i += size) v.feedDatagram(wire.subarray(i, i + size));
    expect(v.report).toMatchObject({ received: 6, warmupReceived: 4, lost: 0 });
  });

  it('counts lost, reordered and corrupt messages', () => {
    const size = 64;
    expect(verify(size, streamOf(size, [0, 1, 3, 4], 5), 13)).toMatchObject({ received: 4, lost: 1 });
    expect(verify(size, streamOf(size, [0, 2, 1, 3], 4), 64)).toMatchObject({ reordered: 1, lost: 1 });
    const wire = streamOf(size, [0, 1, 2], 3);
    wire[size + HEADER_BYTES + 5]! ^= 1; // a payload byte of message 1
    expect(verify(size, wire, 10)).toMatchObject({ received: 2, corrupt: 1 });
    const magic = streamOf(size, [0, 1, 2], 3);
    magic[size]! ^= 0xff; // the magic of message 1
    expect(verify(size, magic, 64)).toMatchObject({ corrupt: 1 });
  });

  it('datagrams: one corrupt payload byte is caught at sizes compared in JS (≤ 256 B) and by Buffer#compare above; a length reads only that much of a bigger buffer', () => {
    for (const size of [64, 256, 4096]) {
      const wire = streamOf(size, [0, 1, 2], 3);
      wire[size + size - 1]! ^= 1; // the last payload byte of message 1
      const v = new StreamVerifier(new Patterns(size));
      const into = Buffer.alloc(size + 100, 0xee); // what a recv buffer holds past the datagram
      for (let i = 0; i < wire.length; i += size) {
        wire.copy(into, 0, i, i + size);
        v.feedDatagram(into, size);
      }
      expect(v.report, `${size} B`).toMatchObject({ received: 2, corrupt: 1, lost: 0, bytes: wire.length });
    }
  });

  it('catches stale bytes: message 1 carrying message 0 payload', () => {
    const size = 128;
    const p = new Patterns(size);
    const wire = Buffer.concat([
      encodeHeader(0),
      p.payload(0),
      encodeHeader(1),
      p.payload(0), // stale: the previous message's bytes
      encodeHeader(2, FLAG_END),
      p.payload(2),
    ]);
    expect(verify(size, wire, 50)).toMatchObject({ received: 1, corrupt: 1 });
  });

  it('refuses bytes after END', () => {
    const size = 32;
    const wire = Buffer.concat([streamOf(size, [0], 1), Buffer.from('x')]);
    const v = new StreamVerifier(new Patterns(size));
    expect(() => v.feed(wire)).toThrow(/unexpected bytes after the END/);
  });

  it('the report round-trips and a bad one is refused', () => {
    const r = { received: 5, lost: 1, reordered: 2, corrupt: 3, bytes: 2 ** 40, warmupReceived: 4 };
    const wire = encodeReport(r);
    expect(wire.length).toBe(REPORT_BYTES);
    expect(REPORT_BYTES).toBe(56);
    expect(wire.readBigUInt64LE(48)).toBe(4n); // warmupReceived at offset 48 (PROTOCOL.md)
    expect(decodeReport(wire)).toEqual(r);
    expect(() => decodeReport(Buffer.alloc(REPORT_BYTES))).toThrow(/bad receiver report/);
    expect(() => decodeReport(wire.subarray(0, 48))).toThrow(/bad receiver report/);
  });
});

describe('MessageSource', () => {
  it('produces exactly what the header encoder and patterns say, reusing given-back buffers', () => {
    const size = 200;
    const p = new Patterns(size);
    const src = new MessageSource(p);
    for (const seq of [0, 1, 6, 7, 2 ** 33 + 5]) {
      const m = src.take(seq);
      expect(Buffer.compare(m, Buffer.concat([encodeHeader(seq), p.payload(seq)]))).toBe(0);
      src.give(m);
    }
    const a = src.take(3);
    src.give(a);
    expect(src.take(10)).toBe(a); // same pattern (10 % 7 === 3): reused
    expect(src.take(10, FLAG_END).readUInt32LE(4)).toBe(FLAG_END);
  });
});
