// Length-prefix framing: whole messages over a byte stream. A frame is a 4-byte big-endian length
// followed by that many bytes (the same layout as Node's 'advanced' child_process serialization).
// Lengths read from the wire are checked against a maximum before anything is allocated.
import { ipcError } from './errors.js';
import { validateBytes as assertBytes, validateInteger } from './validate.js';
import type { Channel, RecvOptions, SendOptions } from './types.js';

export const FRAME_HEADER_BYTES = 4;
/** Default largest frame accepted: 64 MiB. */
export const DEFAULT_MAX_FRAME = 64 * 1024 * 1024;
/** The format cannot describe more than 2^32 − 1 bytes. */
export const MAX_FRAME_LIMIT = 0xffff_ffff;

function checkMaxFrame(maxFrame: number): number {
  validateInteger(maxFrame, 'maxFrame', 0, MAX_FRAME_LIMIT);
  return maxFrame;
}

export function frameHeader(length: number): Uint8Array {
  const h = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
  h.writeUInt32BE(length, 0);
  return h;
}

/** Header and payload in one buffer (one syscall for small messages). */
export function encodeFrame(data: Uint8Array, maxFrame = DEFAULT_MAX_FRAME): Uint8Array {
  assertBytes(data);
  if (data.byteLength > checkMaxFrame(maxFrame)) throw tooLarge(data.byteLength, maxFrame);
  const out = Buffer.allocUnsafe(FRAME_HEADER_BYTES + data.byteLength);
  out.writeUInt32BE(data.byteLength, 0);
  out.set(data, FRAME_HEADER_BYTES);
  return out;
}

/** Incremental decoder: push stream chunks in any split, take whole frames out. */
export class FrameDecoder {
  readonly maxFrame: number;
  readonly #chunks: Uint8Array[] = [];
  #buffered = 0;
  #need = -1; // payload length of the frame being assembled, -1 while reading a header
  #poisoned: Error | null = null;

  constructor(maxFrame = DEFAULT_MAX_FRAME) {
    this.maxFrame = checkMaxFrame(maxFrame);
  }

  /** Bytes held that are not yet part of a returned frame. */
  get buffered(): number {
    return this.#buffered;
  }

  /** True when a frame has started but is not complete (end of stream now would cut it). */
  get midFrame(): boolean {
    return this.#need >= 0 || this.#buffered > 0;
  }

  push(chunk: Uint8Array): void {
    if (chunk.byteLength === 0) return;
    this.#chunks.push(chunk);
    this.#buffered += chunk.byteLength;
  }

  /** Payload length of the next frame if its header has arrived. */
  peekLength(): number | undefined {
    this.#readHeader();
    return this.#need >= 0 ? this.#need : undefined;
  }

  /** The next complete frame, or undefined if more bytes are needed. */
  next(): Uint8Array | undefined {
    this.#readHeader();
    if (this.#need < 0 || this.#buffered < this.#need) return undefined;
    const frame = this.#take(this.#need);
    this.#need = -1;
    return frame;
  }

  #readHeader(): void {
    if (this.#poisoned) throw this.#poisoned;
    if (this.#need >= 0 || this.#buffered < FRAME_HEADER_BYTES) return;
    const h = this.#take(FRAME_HEADER_BYTES);
    const length = ((h[0]! << 24) | (h[1]! << 16) | (h[2]! << 8) | h[3]!) >>> 0;
    if (length > this.maxFrame) {
      this.#poisoned = ipcError('ERR_FRAME_TOO_LARGE', `frame header announces ${length} bytes, more than the ${this.maxFrame}-byte limit`, { length, maxFrame: this.maxFrame });
      throw this.#poisoned;
    }
    this.#need = length;
  }

  #take(n: number): Uint8Array {
    this.#buffered -= n;
    const head = this.#chunks[0];
    if (n === 0) return new Uint8Array(0);
    if (head && head.byteLength >= n) {
      if (head.byteLength === n) this.#chunks.shift();
      else this.#chunks[0] = head.subarray(n);
      return head.subarray(0, n);
    }
    const out = Buffer.allocUnsafe(n);
    let off = 0;
    while (off < n) {
      const c = this.#chunks[0]!;
      const k = Math.min(c.byteLength, n - off);
      out.set(c.subarray(0, k), off);
      off += k;
      if (k === c.byteLength) this.#chunks.shift();
      else this.#chunks[0] = c.subarray(k);
    }
    return out;
  }
}

export interface FramedChannelOptions {
  maxFrame?: number;
}

/** Below this size header and payload are copied into one buffer; above, they go as two writes. */
const COPY_LIMIT = 16 * 1024;

/**
 * Message boundaries over a stream Channel. Every send becomes one frame; every recv returns one whole
 * frame. End of stream in the middle of a frame is an error (ERR_UNEXPECTED_EOF), not a short message.
 */
export class FramedChannel implements Channel {
  readonly inner: Channel;
  readonly maxFrame: number;
  readonly #decoder: FrameDecoder;
  #recvChain: Promise<unknown> = Promise.resolve();
  #scratch: Uint8Array | null = null;

  constructor(inner: Channel, opts: FramedChannelOptions = {}) {
    this.inner = inner;
    this.maxFrame = checkMaxFrame(opts.maxFrame ?? DEFAULT_MAX_FRAME);
    this.#decoder = new FrameDecoder(this.maxFrame);
  }

  get transport(): string {
    return this.inner.transport;
  }

  get closed(): boolean {
    return this.inner.closed;
  }

  send(data: Uint8Array, opts?: SendOptions): Promise<void> {
    try {
      assertBytes(data);
      if (data.byteLength > this.maxFrame) throw tooLarge(data.byteLength, this.maxFrame);
    } catch (err) {
      return Promise.reject(err);
    }
    if (data.byteLength <= COPY_LIMIT) return this.inner.send(encodeFrame(data, this.maxFrame), opts);
    // One gather send: header and payload stay adjacent, and an abort withdraws both or neither.
    if (this.inner.sendv) return this.inner.sendv([frameHeader(data.byteLength), data], opts);
    void this.inner.send(frameHeader(data.byteLength)).catch(() => {});
    return this.inner.send(data);
  }

  recv(opts?: RecvOptions): Promise<Uint8Array | null> {
    // Serialised: two concurrent recv() calls must not interleave their reads of the stream.
    const p = this.#recvChain.then(() => this.#recvOne(opts));
    this.#recvChain = p.catch(() => {});
    return p;
  }

  async #recvOne(opts?: RecvOptions): Promise<Uint8Array | null> {
    for (;;) {
      const frame = this.#decoder.next();
      if (frame) return frame;
      const chunk = await this.inner.recv(opts);
      if (chunk === null) return this.#atEnd();
      this.#decoder.push(chunk);
    }
  }

  sendSync(data: Uint8Array): void {
    const inner = this.#needSync();
    assertBytes(data);
    if (data.byteLength > this.maxFrame) throw tooLarge(data.byteLength, this.maxFrame);
    if (data.byteLength <= COPY_LIMIT) {
      inner.sendSync!(encodeFrame(data, this.maxFrame));
    } else {
      inner.sendSync!(frameHeader(data.byteLength));
      inner.sendSync!(data);
    }
  }

  /** Copies the next whole frame into `into`. A frame larger than `into` throws and stays queued. */
  recvSync(into: Uint8Array): number | null {
    const inner = this.#needSync();
    for (;;) {
      const length = this.#decoder.peekLength();
      if (length !== undefined && length > into.byteLength) {
        throw ipcError('ERR_MESSAGE_TOO_LARGE', `next frame is ${length} bytes, the buffer holds ${into.byteLength}`, { length });
      }
      const frame = this.#decoder.next();
      if (frame) {
        into.set(frame);
        return frame.byteLength;
      }
      this.#scratch ??= Buffer.allocUnsafe(64 * 1024);
      const n = inner.recvSync!(this.#scratch);
      if (n === null) {
        const end = this.#atEnd();
        return end;
      }
      // The scratch buffer is reused, so what the decoder keeps must be a copy.
      this.#decoder.push(Buffer.from(this.#scratch.subarray(0, n)));
    }
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  fds(): number[] {
    return this.inner.fds?.() ?? [];
  }

  #needSync(): Channel {
    if (!this.inner.sendSync || !this.inner.recvSync) {
      throw ipcError('ERR_INVALID_ARG_VALUE', `${this.inner.transport} has no blocking path`);
    }
    return this.inner;
  }

  #atEnd(): null {
    if (this.#decoder.midFrame) {
      throw ipcError('ERR_UNEXPECTED_EOF', `${this.inner.transport}: stream ended inside a frame (${this.#decoder.buffered} bytes of it received)`);
    }
    return null;
  }
}

/** A boundary-preserving view: the channel itself if the transport keeps boundaries, else framed. */
export function messageChannel(channel: Channel, boundaries: boolean, opts?: FramedChannelOptions): Channel {
  return boundaries ? channel : new FramedChannel(channel, opts);
}

function tooLarge(size: number, max: number) {
  return ipcError('ERR_MESSAGE_TOO_LARGE', `message of ${size} bytes exceeds the ${max}-byte limit`, { size, maxSize: max });
}
