// One direction of a channel: a single-producer/single-consumer ring of records in shared memory
// (layout.ts). Everything here is JavaScript on the SharedArrayBuffer — no addon call while the
// other side is awake:
//  - the producer copies a record in, then publishes `head` with Atomics.store; the consumer reads
//    `head` with Atomics.load before it reads the bytes (sequentially consistent atomics order the
//    plain copies around them, across processes too: they are hardware atomics on shared pages);
//  - each side caches the other's index and reloads it only when the cached value says "full" or
//    "empty" (rigtorp's SPSCQueue), so the shared cache lines move only when they must;
//  - futex(2) only when a side sleeps: it stores 1 in its waiting word, checks the ring once more,
//    and sleeps while the word is 1; the other side, after publishing, loads the word and, when it is
//    1, clears it and wakes. Both orders of these stores and loads are seen by one side or the other,
//    so no wake-up is lost.
import { futexWake } from '@ipc-compare/native';
import { MORE, PAD, R_DATA_WAITING, R_HEAD, R_READER_CLOSED, R_SPACE_NEEDED, R_SPACE_WAITING, R_TAIL, R_WRITER_CLOSED, controlOffset, dataOffset } from './layout.js';

/** Record header bytes: the length word and a reserved one, so the payload starts 8-aligned. */
const HEADER = 8;
// V8 copies to and from a SharedArrayBuffer with a relaxed-atomic memcpy that moves whole words only
// when source and target are equally aligned, else byte by byte: 4-aligned payloads ran at ≈ 4 GB/s,
// 8-aligned ones at memory speed.
const align8 = (n: number) => (n + 7) & ~7;
/** Up to this many bytes a record is copied out by a loop: making a subarray view costs more. */
const SMALL = 64;

/** What both ends of one ring share: the views and the word indexes. */
class RingView {
  readonly buffer: SharedArrayBuffer;
  readonly i32: Int32Array;
  readonly data: Uint8Array;
  readonly words: Uint32Array;
  readonly capacity: number;
  readonly mask: number;
  readonly head: number;
  readonly tail: number;
  readonly dataWaiting: number;
  readonly spaceWaiting: number;
  readonly writerClosed: number;
  readonly readerClosed: number;
  readonly spaceNeeded: number;

  constructor(buffer: SharedArrayBuffer, ring: 0 | 1, capacity: number) {
    this.buffer = buffer;
    this.i32 = new Int32Array(buffer);
    const d = dataOffset(ring, capacity);
    this.data = new Uint8Array(buffer, d, capacity);
    this.words = new Uint32Array(buffer, d, capacity / 4);
    this.capacity = capacity;
    this.mask = capacity - 1;
    const c = controlOffset(ring) / 4;
    this.head = c + R_HEAD / 4;
    this.tail = c + R_TAIL / 4;
    this.dataWaiting = c + R_DATA_WAITING / 4;
    this.spaceWaiting = c + R_SPACE_WAITING / 4;
    this.writerClosed = c + R_WRITER_CLOSED / 4;
    this.readerClosed = c + R_READER_CLOSED / 4;
    this.spaceNeeded = c + R_SPACE_NEEDED / 4;
  }

  /** After a store the other side may be asleep for: wake it if it said so. */
  wakeIfWaiting(word: number): boolean {
    if (Atomics.load(this.i32, word) === 0) return false;
    Atomics.store(this.i32, word, 0);
    futexWake(this.buffer, word * 4, 1);
    return true;
  }

}

/** What a blocking or async wait needs from either end of a ring. */
export interface RingWaiter {
  /** Can this side go on (or is the other side gone)? */
  ready(): boolean;
  /**
   * Announces that this side is going to sleep on `waitWord`, then checks `ready()` once more. True:
   * sleep (futex-wait while the word is 1). False: no need (the word is cleared again).
   */
  prepareSleep(): boolean;
  readonly waitWord: number;
}

export class RingProducer implements RingWaiter {
  readonly view: RingView;
  /** The room (bytes) a wait for room waits for: set it before ready()/prepareSleep(). */
  need = 0;
  /** The largest fragment: a quarter of the ring, so producer and consumer can overlap on a long message. */
  readonly maxFragment: number;
  #head: number;
  #tailCache: number;
  wakes = 0;

  constructor(buffer: SharedArrayBuffer, ring: 0 | 1, capacity: number) {
    this.view = new RingView(buffer, ring, capacity);
    this.maxFragment = capacity / 4;
    this.#head = Atomics.load(this.view.i32, this.view.head);
    this.#tailCache = Atomics.load(this.view.i32, this.view.tail);
  }

  /** Room for a record of `bytes` (header included)? Reloads the consumer's tail only when needed. */
  hasRoom(bytes: number): boolean {
    const v = this.view;
    if (v.capacity - ((this.#head - this.#tailCache) | 0) >= bytes) return true;
    this.#tailCache = Atomics.load(v.i32, v.tail);
    return v.capacity - ((this.#head - this.#tailCache) | 0) >= bytes;
  }

  /** Bytes a record for the next fragment of a message with `left` bytes to go needs. */
  recordBytes(left: number): number {
    return HEADER + align8(Math.min(left, this.maxFragment));
  }

  /**
   * Writes the fragments of `data` from byte `from` on while they fit, and publishes them. Returns -1
   * once the last fragment is in, else the offset to go on from when there is room.
   */
  write(data: Uint8Array, from: number): number {
    let off = from;
    let wrote = false;
    for (;;) {
      const len = Math.min(data.length - off, this.maxFragment);
      if (!this.hasRoom(HEADER + align8(len))) break;
      const last = off + len === data.length;
      this.#record(data, off, len, !last);
      off += len;
      wrote = true;
      if (last) {
        off = -1;
        break;
      }
    }
    if (wrote) this.#publish();
    return off;
  }

  #record(src: Uint8Array, off: number, len: number, more: boolean): void {
    const v = this.view;
    const p = this.#head & v.mask;
    v.words[p >> 2] = more ? (len | MORE) >>> 0 : len;
    v.words[(p >> 2) + 1] = 0;
    const q = (p + HEADER) & v.mask;
    const first = Math.min(len, v.capacity - q);
    v.data.set(first === src.length && off === 0 ? src : src.subarray(off, off + first), q);
    if (len > first) v.data.set(src.subarray(off + first, off + len), 0);
    this.#head = (this.#head + HEADER + align8(len)) | 0;
  }

  /**
   * Zero-copy send, step 1: room for one record of `len` bytes (≤ maxFragment) in one piece. When the
   * record would wrap around the end of the ring, a padding record fills the rest of the ring first
   * (published with the record). Returns the offset of the record's bytes in `view.data`, or -1: no
   * room yet (call again; `claimBytes(len)` is the room needed).
   */
  claim(len: number): number {
    const v = this.view;
    const p = this.#head & v.mask;
    const toEnd = v.capacity - p;
    const size = HEADER + align8(len);
    if (size <= toEnd) return this.hasRoom(size) ? (p + HEADER) & v.mask : -1;
    if (!this.hasRoom(toEnd + size)) return -1;
    v.words[p >> 2] = toEnd - HEADER;
    v.words[(p >> 2) + 1] = PAD;
    this.#head = (this.#head + toEnd) | 0;
    return HEADER;
  }

  /** The room a claim of `len` bytes needs at most (the record and a padding record before it). */
  claimBytes(len: number): number {
    return 2 * (HEADER + align8(len));
  }

  /** Zero-copy send, step 2: the claimed record's `len` bytes are written; publish them. */
  commitClaim(len: number): void {
    const v = this.view;
    const p = this.#head & v.mask;
    v.words[p >> 2] = len;
    v.words[(p >> 2) + 1] = 0;
    this.#head = (this.#head + HEADER + align8(len)) | 0;
    this.#publish();
  }

  #publish(): void {
    const v = this.view;
    Atomics.store(v.i32, v.head, this.#head);
    if (v.wakeIfWaiting(v.dataWaiting)) this.wakes++;
  }

  /** The consumer closed its end: nothing sent will be read. */
  get readerClosed(): boolean {
    return Atomics.load(this.view.i32, this.view.readerClosed) !== 0;
  }

  /** End of stream for the consumer, once it has read what is in the ring. */
  closeWriter(): void {
    const v = this.view;
    Atomics.store(v.i32, v.writerClosed, 1);
    if (v.wakeIfWaiting(v.dataWaiting)) this.wakes++;
  }

  /** Room for `need` bytes, or the reader left. */
  ready(): boolean {
    return this.hasRoom(this.need) || this.readerClosed;
  }

  /** Announces a sleep until there is room for `need` bytes (false: there is room already, or the reader left). */
  prepareSleep(): boolean {
    const v = this.view;
    Atomics.store(v.i32, v.spaceNeeded, this.need); // before the announcement the consumer acts on
    Atomics.store(v.i32, v.spaceWaiting, 1);
    if (!this.ready()) return true;
    Atomics.store(v.i32, v.spaceWaiting, 0);
    return false;
  }

  get waitWord(): number {
    return this.view.spaceWaiting;
  }
}

/** A fragment header as read from the ring (pad: padding to skip, not part of any message). */
export interface Fragment {
  length: number;
  more: boolean;
  pad: boolean;
}

export class RingConsumer implements RingWaiter {
  readonly view: RingView;
  readonly #fragment: Fragment = { length: 0, more: false, pad: false };
  #tail: number;
  #headCache: number;
  wakes = 0;

  constructor(buffer: SharedArrayBuffer, ring: 0 | 1, capacity: number) {
    this.view = new RingView(buffer, ring, capacity);
    this.#tail = Atomics.load(this.view.i32, this.view.tail);
    this.#headCache = Atomics.load(this.view.i32, this.view.head);
  }

  /** Anything published that is not read yet? Reloads the producer's head only when needed. */
  hasData(): boolean {
    if (this.#headCache !== this.#tail) return true;
    this.#headCache = Atomics.load(this.view.i32, this.view.head);
    return this.#headCache !== this.#tail;
  }

  /** The next fragment's header (call only when hasData()); valid until the next peek. */
  peek(): Readonly<Fragment> {
    const w = (this.#tail & this.view.mask) >> 2;
    const h = this.view.words[w]!;
    const f = this.#fragment; // one object, filled again by each peek: nothing to allocate per message
    f.length = h & 0x7fffffff;
    f.more = h >= MORE;
    f.pad = this.view.words[w + 1] === PAD;
    return f;
  }

  /**
   * The next fragment's bytes in place (a view into the ring) and moves past it without giving the
   * space back: it stays the reader's until commit(). Null when the bytes wrap around the end.
   */
  takeView(length: number): Uint8Array | null {
    const v = this.view;
    const q = ((this.#tail & v.mask) + HEADER) & v.mask;
    if (q + length > v.capacity) return null;
    this.#tail = (this.#tail + HEADER + align8(length)) | 0;
    return v.data.subarray(q, q + length);
  }

  /** Copies the next fragment (of `length` bytes, from peek()) to `dest` at `at` (up to dest's end) and moves past it. */
  take(length: number, dest: Uint8Array | null, at: number): void {
    const v = this.view;
    if (dest !== null) {
      const n = Math.min(length, dest.length - at);
      const q = ((this.#tail & v.mask) + HEADER) & v.mask;
      const first = Math.min(n, v.capacity - q);
      if (first === n && n <= SMALL) {
        const d = v.data;
        for (let i = 0; i < n; i++) dest[at + i] = d[q + i]!; // no subarray view to make for a few bytes
      } else {
        dest.set(v.data.subarray(q, q + first), at);
        if (n > first) dest.set(v.data.subarray(0, n - first), at + first);
      }
    }
    this.#tail = (this.#tail + HEADER + align8(length)) | 0;
  }

  /**
   * Gives the space of what was taken back to the producer. A producer waiting for room is woken once
   * the room it asked for (spaceNeeded) is free — not for every record taken, which on one CPU would
   * have the two sides take turns one small message at a time. It needs at most a quarter of the ring,
   * so a consumer that drains the ring always wakes it; one that stops early wakes it if its need fits.
   */
  commit(): void {
    const v = this.view;
    Atomics.store(v.i32, v.tail, this.#tail);
    if (Atomics.load(v.i32, v.spaceWaiting) === 0) return;
    const free = v.capacity - ((Atomics.load(v.i32, v.head) - this.#tail) | 0);
    if (free < Atomics.load(v.i32, v.spaceNeeded)) return;
    if (v.wakeIfWaiting(v.spaceWaiting)) this.wakes++;
  }

  /** The producer ended: once empty, this is the end of stream. */
  get writerClosed(): boolean {
    return Atomics.load(this.view.i32, this.view.writerClosed) !== 0;
  }

  /** This side is gone: the producer's waits for room end (its sends fail). */
  closeReader(): void {
    const v = this.view;
    Atomics.store(v.i32, v.readerClosed, 1);
    v.wakeIfWaiting(v.spaceWaiting);
  }

  /** Data to read, or the writer ended. */
  ready(): boolean {
    return this.hasData() || this.writerClosed;
  }

  /** Announces a sleep until data comes (false: it is there already, or the writer ended). */
  prepareSleep(): boolean {
    const v = this.view;
    Atomics.store(v.i32, v.dataWaiting, 1);
    if (!this.ready()) return true;
    Atomics.store(v.i32, v.dataWaiting, 0);
    return false;
  }

  get waitWord(): number {
    return this.view.dataWaiting;
  }
}
