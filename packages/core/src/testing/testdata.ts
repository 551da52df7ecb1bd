// Deterministic test messages: every byte depends on the sequence number, so a lost, duplicated,
// reordered or corrupted message is caught by looking at it alone.

/** Sizes vary from 4 B to ~1.5 KiB, with a 64 KiB message every thousand. */
export function testMessageSize(seq: number, maxMessage = Infinity): number {
  const size = seq % 1000 === 999 ? 65536 + (seq % 7) : 4 + ((seq * 7919) % 1500);
  return Math.max(4, Math.min(size, maxMessage));
}

function patternByte(seq: number, i: number): number {
  return (seq * 31 + i * 7 + 11) & 0xff;
}

export function makeTestMessage(seq: number, size = testMessageSize(seq)): Uint8Array {
  const m = Buffer.allocUnsafe(Math.max(4, size));
  m.writeUInt32LE(seq >>> 0, 0);
  for (let i = 4; i < m.length; i++) m[i] = patternByte(seq, i);
  return m;
}

/** null if `msg` is exactly message `seq`, else what is wrong with it. */
export function checkTestMessage(seq: number, msg: Uint8Array, size = testMessageSize(seq)): string | null {
  if (msg.byteLength < 4) return `message ${seq}: only ${msg.byteLength} bytes`;
  const got = Buffer.from(msg.buffer, msg.byteOffset, msg.byteLength).readUInt32LE(0);
  if (got !== seq >>> 0) return `expected message ${seq}, got message ${got} (${got > seq ? 'messages lost' : 'out of order or duplicated'})`;
  if (msg.byteLength !== size) return `message ${seq}: ${msg.byteLength} bytes, expected ${size}`;
  for (let i = 4; i < msg.byteLength; i++) {
    if (msg[i] !== patternByte(seq, i)) return `message ${seq}: byte ${i} is ${msg[i]}, expected ${patternByte(seq, i)} (corrupted)`;
  }
  return null;
}

/** Bytes of a pattern for echo checks (differs per size so a stale reply does not match). */
export function echoPayload(size: number): Uint8Array {
  const m = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i++) m[i] = (i * 131 + size * 17 + 3) & 0xff;
  return m;
}
