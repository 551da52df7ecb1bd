// The layout of a channel's region, shared with the C programs (c/shm-ring.h): all words 32-bit,
// native byte order, at these byte offsets. Two single-producer/single-consumer rings, one per
// direction: ring 0 carries the creator's messages to the attacher, ring 1 the other way.
//
//   0    magic 'IPCR' (0x52435049 little-endian)   4  version (3)   8  capacity (bytes per ring)
//   12   creator pid                              16  attacher pid (0 until attached)
//   20   attached: 0, then 1 (a futex word: the creator sleeps on it until the peer is there)
//   128 + 256·r   ring r's control block, three cache lines so the two sides never share one:
//        +0   head: bytes ever published by the producer (wraps at 2^32)
//        +64  tail: bytes ever consumed by the consumer
//        +128 dataWaiting: 1 while the consumer is (about to be) asleep on this word (futex)
//        +132 spaceWaiting: 1 while the producer waits for room
//        +136 writerClosed: the producer ended (end of stream once drained)
//        +140 readerClosed: the consumer closed (the producer's sends fail with EPIPE)
//        +144 spaceNeeded: the bytes a waiting producer needs (set before spaceWaiting): the consumer
//             wakes it once that much is free, not for every record it takes
//   640 + capacity·r   ring r's data: records, each an 8-byte header and its bytes, 8-aligned,
//        wrapping around the end (a header never straddles it; the bytes may). Header word 0: length
//        in bits 0–30, bit 31 set when more fragments of the same message follow (a message larger
//        than a quarter of the ring is sent in fragments and reassembled: boundaries are kept at any
//        size); word 1: 0 for a record, PAD (1) for padding — `length` bytes to skip, up to the end
//        of the ring, put there by a zero-copy claim so that its bytes lie in one piece (the 8-byte
//        header also keeps the bytes 8-aligned, which V8's shared-memory copy needs to move whole
//        words).
export const MAGIC = 0x52435049;
export const VERSION = 3;
export const H_MAGIC = 0;
export const H_VERSION = 4;
export const H_CAPACITY = 8;
export const H_CREATOR = 12;
export const H_ATTACHER = 16;
export const H_ATTACHED = 20;
export const CONTROL = 128;
export const CONTROL_BYTES = 256;
export const R_HEAD = 0;
export const R_TAIL = 64;
export const R_DATA_WAITING = 128;
export const R_SPACE_WAITING = 132;
export const R_WRITER_CLOSED = 136;
export const R_READER_CLOSED = 140;
export const R_SPACE_NEEDED = 144;
export const DATA = CONTROL + 2 * CONTROL_BYTES;
export const MORE = 0x80000000;
/** Header word 1 of a padding record. */
export const PAD = 1;

/** Default bytes per ring: 256 KiB, four times a pipe's default capacity. */
export const DEFAULT_CAPACITY = 256 * 1024;

export function regionBytes(capacity: number): number {
  return DATA + 2 * capacity;
}

export function controlOffset(ring: 0 | 1): number {
  return CONTROL + ring * CONTROL_BYTES;
}

export function dataOffset(ring: 0 | 1, capacity: number): number {
  return DATA + ring * capacity;
}
