// The benchmark wire protocol (bench/PROTOCOL.md), shared with the C baselines byte for byte.

export const HEADER_BYTES = 16;
export const MSG_MAGIC = 0x43435049; // "IPCC"
export const REPORT_MAGIC = 0x52435049; // "IPCR"
export const FLAG_END = 1;
/** A data message of the throughput warm-up: checked like any other, not counted in the figures. */
export const FLAG_WARMUP = 2;
export const REPORT_BYTES = 56;
export const MIN_THROUGHPUT_SIZE = 32;
export const PATTERNS = 7;

/**
 * Byte j of message seq is (j*131 + (seq % 7)*29 + 17) & 0xff. 131 is odd, so invertible mod 256: each
 * of the 7 patterns is the seq-0 pattern shifted by less than 256 bytes, and one buffer of size + 256
 * bytes holds all seven (the C baseline does the same).
 */
export class Patterns {
  readonly base: Buffer;
  readonly shift: number[] = [];

  constructor(readonly size: number) {
    this.base = Buffer.allocUnsafe(size + 256);
    for (let i = 0; i < this.base.length; i++) this.base[i] = (i * 131 + 17) & 0xff;
    for (let k = 0; k < PATTERNS; k++) {
      let d = 0;
      while (((d * 131) & 0xff) !== ((k * 29) & 0xff)) d++;
      this.shift.push(d);
    }
  }

  /** Expected bytes [from, to) of message seq (offsets within the message). */
  slice(seq: number, from: number, to: number): Buffer {
    const d = this.shift[seq % PATTERNS]!;
    return this.base.subarray(from + d, to + d);
  }

  /** The payload part (after the header) of message seq, shared and read-only. */
  payload(seq: number): Buffer {
    return this.slice(seq, HEADER_BYTES, this.size);
  }
}

export function encodeHeader(seq: number, flags = 0): Buffer {
  const h = Buffer.allocUnsafe(HEADER_BYTES);
  h.writeUInt32LE(MSG_MAGIC, 0);
  h.writeUInt32LE(flags, 4);
  h.writeBigUInt64LE(BigInt(seq), 8);
  return h;
}

export interface ReceiverReport {
  received: number;
  lost: number;
  reordered: number;
  corrupt: number;
  bytes: number;
  /** Of `received`: messages that carried FLAG_WARMUP. */
  warmupReceived: number;
}

export function encodeReport(r: ReceiverReport): Buffer {
  const b = Buffer.alloc(REPORT_BYTES);
  b.writeUInt32LE(REPORT_MAGIC, 0);
  b.writeBigUInt64LE(BigInt(r.received), 8);
  b.writeBigUInt64LE(BigInt(r.lost), 16);
  b.writeBigUInt64LE(BigInt(r.reordered), 24);
  b.writeBigUInt64LE(BigInt(r.corrupt), 32);
  b.writeBigUInt64LE(BigInt(r.bytes), 40);
  b.writeBigUInt64LE(BigInt(r.warmupReceived), 48);
  return b;
}

export function decodeReport(b: Uint8Array): ReceiverReport {
  const buf = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  if (buf.length !== REPORT_BYTES || buf.readUInt32LE(0) !== REPORT_MAGIC) {
    throw new Error(`bad receiver report (${buf.length} bytes, magic 0x${buf.length >= 4 ? buf.readUInt32LE(0).toString(16) : '?'})`);
  }
  const n = (off: number) => Number(buf.readBigUInt64LE(off));
  return { received: n(8), lost: n(16), reordered: n(24), corrupt: n(32), bytes: n(40), warmupReceived: n(48) };
}

/**
 * The receiver's check, fed with stream chunks of any split. Compares each message's payload byte for
 * byte (memcmp, through Buffer.compare) against the pattern, segment by segment as bytes arrive, so a
 * large message is never copied. Counting rules are those of the C baseline (PROTOCOL.md).
 */
export class StreamVerifier {
  readonly report: ReceiverReport = { received: 0, lost: 0, reordered: 0, corrupt: 0, bytes: 0, warmupReceived: 0 };
  readonly #base: Buffer;
  readonly #shift: number[];
  readonly #size: number;
  readonly #header = Buffer.alloc(HEADER_BYTES);
  #pos = 0; // offset inside the current message (slow path: a message split across chunks)
  #seq = 0;
  #flags = 0;
  #magicOk = true;
  #payloadOk = true;
  #expected = 0;
  #ended = false;

  constructor(patterns: Patterns) {
    this.#base = patterns.base;
    this.#shift = patterns.shift;
    this.#size = patterns.size;
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** Feeds bytes; returns true once the END message has been checked. Bytes after END are an error. */
  feed(chunk: Uint8Array): boolean {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const len = buf.length;
    const size = this.#size;
    this.report.bytes += len;
    let i = 0;
    while (i < len) {
      if (this.#ended) throw new Error(`${len - i} unexpected bytes after the END message`);
      if (this.#pos === 0 && len - i >= size) {
        // Fast path: the whole message is in this chunk.
        const magicOk = buf.readUInt32LE(i) === MSG_MAGIC;
        const seq = buf.readUInt32LE(i + 8) + buf.readUInt32LE(i + 12) * 2 ** 32;
        const d = this.#shift[seq % PATTERNS]!;
        const payloadOk = magicOk && buf.compare(this.#base, HEADER_BYTES + d, size + d, i + HEADER_BYTES, i + size) === 0;
        this.#account(magicOk, buf.readUInt32LE(i + 4), seq, payloadOk);
        i += size;
        continue;
      }
      if (this.#pos < HEADER_BYTES) {
        const k = Math.min(HEADER_BYTES - this.#pos, len - i);
        buf.copy(this.#header, this.#pos, i, i + k);
        this.#pos += k;
        i += k;
        if (this.#pos === HEADER_BYTES) {
          this.#magicOk = this.#header.readUInt32LE(0) === MSG_MAGIC;
          this.#flags = this.#header.readUInt32LE(4);
          this.#seq = this.#header.readUInt32LE(8) + this.#header.readUInt32LE(12) * 2 ** 32;
          this.#payloadOk = this.#magicOk;
        }
      } else {
        const k = Math.min(size - this.#pos, len - i);
        if (this.#payloadOk) {
          const d = this.#shift[this.#seq % PATTERNS]! + this.#pos;
          if (buf.compare(this.#base, d, d + k, i, i + k) !== 0) this.#payloadOk = false;
        }
        this.#pos += k;
        i += k;
      }
      if (this.#pos === size) {
        this.#pos = 0;
        this.#account(this.#magicOk, this.#flags, this.#seq, this.#payloadOk);
      }
    }
    return this.#ended;
  }

  /**
   * One datagram = one message (datagram mechanisms). A datagram of the wrong length is corrupt. At
   * END the missing ones are `END.seq − received − corrupt` (PROTOCOL.md, datagram section).
   */
  feedDatagram(msg: Uint8Array, length = msg.byteLength): boolean {
    if (this.#ended) throw new Error('a datagram after the END message');
    const buf = Buffer.isBuffer(msg) ? msg : Buffer.from(msg.buffer, msg.byteOffset, msg.byteLength);
    const r = this.report;
    r.bytes += length;
    if (length !== this.#size || buf.readUInt32LE(0) !== MSG_MAGIC) {
      r.corrupt++;
      this.#expected++;
      return false;
    }
    const seq = buf.readUInt32LE(8) + buf.readUInt32LE(12) * 2 ** 32;
    const d = this.#shift[seq % PATTERNS]!;
    const payloadOk = this.#size <= SMALL_COMPARE ? sameBytes(buf, this.#base, HEADER_BYTES, HEADER_BYTES + d, this.#size - HEADER_BYTES) : buf.compare(this.#base, HEADER_BYTES + d, this.#size + d, HEADER_BYTES, this.#size) === 0;
    const flags = buf.readUInt32LE(4);
    if (flags & FLAG_END) {
      if (!payloadOk) r.corrupt++;
      r.lost = Math.max(r.lost, seq - r.received - r.corrupt);
      this.#ended = true;
      return true;
    }
    this.#account(true, flags, seq, payloadOk);
    return false;
  }

  #account(magicOk: boolean, flags: number, seq: number, payloadOk: boolean): void {
    const r = this.report;
    if (!magicOk) {
      r.corrupt++; // the header is garbage: its seq means nothing
      this.#expected++;
      return;
    }
    if (flags & FLAG_END) {
      if (!payloadOk) r.corrupt++;
      if (seq > r.received + r.lost) r.lost = seq - r.received;
      this.#ended = true;
      return;
    }
    if (seq > this.#expected) r.lost += seq - this.#expected;
    else if (seq < this.#expected) r.reordered++;
    if (!payloadOk) r.corrupt++;
    else if (seq >= this.#expected) {
      r.received++;
      if (flags & FLAG_WARMUP) r.warmupReceived++;
    }
    if (seq >= this.#expected) this.#expected = seq + 1;
  }
}

/** Up to this message size the payload is compared in JS: Buffer#compare's binding call costs more. */
const SMALL_COMPARE = 256;

function sameBytes(a: Uint8Array, b: Uint8Array, at: number, bt: number, n: number): boolean {
  for (let i = 0; i < n; i++) if (a[at + i] !== b[bt + i]) return false;
  return true;
}

/**
 * The sender's messages without per-message allocation: one ready-made message per payload pattern,
 * of which only the 16-byte header is rewritten before each send. On the async path a message may
 * still sit in the channel's queue when its pattern comes round again, so each pattern has a pool and
 * the caller gives messages back once their sends have resolved.
 */
export class MessageSource {
  readonly size: number;
  readonly #patterns: Patterns;
  readonly #free: Buffer[][] = Array.from({ length: PATTERNS }, () => []);

  constructor(patterns: Patterns) {
    this.#patterns = patterns;
    this.size = patterns.size;
  }

  /** Message `seq`, ready to send. */
  take(seq: number, flags = 0): Buffer {
    const t = seq % PATTERNS;
    let m = this.#free[t]!.pop();
    if (!m) {
      m = Buffer.allocUnsafe(this.size);
      this.#patterns.base.copy(m, HEADER_BYTES, HEADER_BYTES + this.#patterns.shift[t]!, this.size + this.#patterns.shift[t]!);
      m.writeUInt32LE(MSG_MAGIC, 0);
    }
    m.writeUInt32LE(flags, 4);
    m.writeUInt32LE(seq >>> 0, 8);
    m.writeUInt32LE(Math.floor(seq / 2 ** 32), 12);
    return m;
  }

  /** Gives a message back once the kernel has it (its send resolved). */
  give(m: Buffer): void {
    const seq = m.readUInt32LE(8) + m.readUInt32LE(12) * 2 ** 32;
    this.#free[seq % PATTERNS]!.push(m);
  }
}

/** The ping-pong payload: the seq-0 pattern (PROTOCOL.md, latency). */
export function latencyPayload(size: number): Buffer {
  return Buffer.from(new Patterns(size).slice(0, 0, size));
}
