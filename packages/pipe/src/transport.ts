// The pipe transport: two pipe(2)s make a duplex channel between a parent and the child it starts.
// A pipe is one-way, so: parent → child on one pipe, child → parent on the other. The child's ends
// reach it by inheritance (extra stdio slots), which is why only a related process can use a pipe.
import { attachInherited, cleanUpAfter, inheritedFds, ipcError, openInherited, specInteger, validateOptions, validateOptionalInteger, type Channel, type Opened, type PeerSpec, type Semantics, type Transport } from '@ipc-compare/core';
import { accessMode, close, fstat, pipe2, setPipeSize } from '@ipc-compare/native';

export interface PipeOpenOptions {
  /** Ask the kernel for this capacity per pipe (F_SETPIPE_SZ; default 64 KiB, the kernel's default). */
  capacity?: number;
  /** Bytes asked of each read(2) on the async path, on both ends (default 64 KiB). */
  readSize?: number;
}

export const PIPE_MODULE = '@ipc-compare/pipe';

export const pipeSemantics: Semantics = {
  duplex: 'half',
  boundaries: false,
  reliable: true,
  reach: 'related',
  passesFds: false,
  endOfStream: true,
  zeroCopy: false,
  persistence: 'none',
};

function checkOptions(value: unknown): PipeOpenOptions {
  const o = validateOptions<PipeOpenOptions>(value);
  validateOptionalInteger(o as Record<string, unknown>, 'capacity', 1, 0x7fffffff);
  validateOptionalInteger(o as Record<string, unknown>, 'readSize', 1, 1 << 30);
  return o;
}

/**
 * Creates the two pipes of a duplex channel (parent → child, child → parent) and returns the ends each
 * side keeps; on any failure closes whatever was already created.
 */
export function pipePair(capacity?: number): { ours: { read: number; write: number }; theirs: { read: number; write: number } } {
  const made: number[] = [];
  try {
    const [toPeerR, toPeerW] = pipe2();
    made.push(toPeerR, toPeerW);
    const [fromPeerR, fromPeerW] = pipe2();
    made.push(fromPeerR, fromPeerW);
    if (capacity !== undefined) {
      setPipeSize(toPeerW, capacity);
      setPipeSize(fromPeerW, capacity);
    }
    return { ours: { read: fromPeerR, write: toPeerW }, theirs: { read: toPeerR, write: fromPeerW } };
  } catch (err) {
    throw cleanUpAfter(err, ...made.map((fd) => () => close(fd)));
  }
}

/** Refuses an inherited fd that is not the expected end of a pipe (a socket, a file, the wrong end). */
function checkPipeEnd(fd: number, want: 'read' | 'write', spec: PeerSpec): void {
  const { type } = fstat(fd);
  const mode = accessMode(fd);
  if (type !== 'fifo' || mode !== want) {
    throw ipcError('ERR_INVALID_PEER_SPEC', `invalid PeerSpec for ${spec.transport}: fd ${fd} is a ${type} open for ${mode}, expected the ${want} end of a pipe`);
  }
}

export const pipeTransport: Transport<PipeOpenOptions> = {
  id: 'pipe',
  module: PIPE_MODULE,
  semantics: pipeSemantics,
  blockingPath: true,

  async open(options?: PipeOpenOptions): Promise<Opened> {
    const opts = checkOptions(options);
    const { ours, theirs } = pipePair(opts.capacity);
    const channel = opts.readSize === undefined ? {} : { readSize: opts.readSize };
    return openInherited({ transport: pipeTransport, ours, theirs, channel, params: channel });
  },

  async attach(spec: PeerSpec): Promise<Channel> {
    // Checked before taking ownership, so a refused spec leaves its fds as they were.
    const ends = inheritedFds(spec);
    checkPipeEnd(ends.read, 'read', spec);
    checkPipeEnd(ends.write, 'write', spec);
    const readSize = specInteger(spec, 'readSize', 1, 1 << 30, true);
    return attachInherited(spec, readSize === undefined ? {} : { readSize });
  },
};
