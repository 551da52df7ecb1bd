// The FIFO transport: two named pipes make a duplex channel between processes that share nothing but
// two paths. The creating side makes them (mode 0600, in a private 0700 directory with a random name
// unless told where), both sides open them by name, and the names are removed as soon as both ends
// are connected — after that no third process can join, and nothing is left behind.
import { mkdtempSync, rmdirSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FdChannel, OwnedFd, cleanUpAfter, makeOpened, specInteger, specParam, validateInteger, validateOptionalInteger, validateOptions, validateString, type Channel, type Opened, type PeerSpec, type Semantics, type Transport } from '@ipc-compare/core';
import { close, mkfifo } from '@ipc-compare/native';
import { startFifoOpen, type PendingFifoOpen } from './open.js';

export const FIFO_MODULE = '@ipc-compare/fifo';

export const fifoSemantics: Semantics = {
  duplex: 'half',
  boundaries: false,
  reliable: true,
  reach: 'local',
  passesFds: false,
  endOfStream: true,
  zeroCopy: false,
  persistence: 'none',
};

export interface FifoOpenOptions {
  /** Directory to create the two FIFOs in (it must exist and stays). Default: a new private directory. */
  dir?: string;
  /** Permission bits of the FIFOs (default 0o600: owner only). */
  mode?: number;
  /** Bytes asked of each read(2) on the async path, both ends (default 64 KiB). */
  readSize?: number;
}

export interface FifoParams {
  /** FIFO the creating side writes and the peer reads. */
  toPeer: string;
  /** FIFO the peer writes and the creating side reads. */
  fromPeer: string;
  readSize?: number;
}

const isString = (v: unknown): v is string => typeof v === 'string' && v.length > 0;

/**
 * Both opens of one side, and the channel once both have completed (the creating side's `connected`,
 * and what the peer's attach awaits). Each open waits for its partner on a thread of the addon's own.
 */
class FifoEnds {
  readonly #read: PendingFifoOpen;
  readonly #write: PendingFifoOpen;
  readonly ready: Promise<FdChannel>;

  constructor(o: { transport: string; readPath: string; writePath: string; readSize?: number; onConnected?: () => void; onClose?: () => void }) {
    this.#read = startFifoOpen(o.readPath, 'read');
    try {
      this.#write = startFifoOpen(o.writePath, 'write');
    } catch (err) {
      throw cleanUpAfter(err, () => this.#read.cancel(), () => void this.#read.fd.then(close, () => {}));
    }
    this.ready = Promise.allSettled([this.#read.fd, this.#write.fd]).then(([r, w]) => {
      if (r.status === 'fulfilled' && w.status === 'fulfilled') {
        const channel = new FdChannel({
          transport: o.transport,
          readFd: OwnedFd.own(r.value, `${o.transport} channel (read end)`),
          writeFd: OwnedFd.own(w.value, `${o.transport} channel (write end)`),
          ...(o.readSize === undefined ? {} : { readSize: o.readSize }),
          ...(o.onClose ? { onClose: o.onClose } : {}),
        });
        o.onConnected?.();
        return channel;
      }
      // One side failed: release the other and keep nothing open.
      const failure = r.status === 'rejected' ? r.reason : (w as PromiseRejectedResult).reason;
      throw cleanUpAfter(failure, () => r.status === 'fulfilled' && close(r.value), () => w.status === 'fulfilled' && close(w.value));
    });
    this.ready.catch(() => {});
  }

  /**
   * Releases both pending opens (each then settles, ECANCELED or with its fd, which `ready` closes).
   * Throws if one could not be released (the other still is).
   */
  cancel(): void {
    let failure: unknown = null;
    for (const pending of [this.#read, this.#write]) {
      try {
        pending.cancel();
      } catch (err) {
        failure ??= err;
      }
    }
    if (failure) throw failure;
  }
}

function checkOptions(value: unknown): FifoOpenOptions {
  const o = validateOptions<FifoOpenOptions>(value);
  if (o.mode !== undefined) validateInteger(o.mode, 'mode', 0, 0o777);
  validateOptionalInteger(o as Record<string, unknown>, 'readSize', 1, 1 << 30);
  if (o.dir !== undefined) validateString(o.dir, 'dir');
  return o;
}

/** Removes what open() created; safe to call more than once. */
function remover(paths: string[], dir: string | null): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    for (const p of paths) {
      try {
        unlinkSync(p);
      } catch (err) {
        if ((err as { code?: string }).code !== 'ENOENT') throw err;
      }
    }
    if (dir) rmdirSync(dir);
  };
}

export const fifoTransport: Transport<FifoOpenOptions> = {
  id: 'fifo',
  module: FIFO_MODULE,
  semantics: fifoSemantics,
  blockingPath: true,

  async open(options?: FifoOpenOptions): Promise<Opened> {
    const opts = checkOptions(options);
    const ownDir = opts.dir === undefined ? mkdtempSync(join(tmpdir(), 'ipc-compare-fifo-')) : null; // 0700
    const dir = opts.dir ?? ownDir!;
    const toPeer = join(dir, 'to-peer');
    const fromPeer = join(dir, 'from-peer');
    const created: string[] = [];
    const removeNames = remover(created, ownDir);
    let ends: FifoEnds;
    try {
      for (const p of [toPeer, fromPeer]) {
        mkfifo(p, opts.mode ?? 0o600); // EEXIST if taken: a name is never reused
        created.push(p);
      }
      ends = new FifoEnds({ transport: 'fifo', readPath: fromPeer, writePath: toPeer, ...(opts.readSize === undefined ? {} : { readSize: opts.readSize }), onConnected: removeNames, onClose: removeNames });
    } catch (err) {
      throw cleanUpAfter(err, removeNames);
    }
    const params: FifoParams = { toPeer, fromPeer, ...(opts.readSize === undefined ? {} : { readSize: opts.readSize }) };
    return makeOpened({
      transport: fifoTransport,
      peer: { transport: 'fifo', params },
      connected: ends.ready,
      cancel: () => {
        ends.cancel();
        removeNames();
      },
    });
  },

  async attach(spec: PeerSpec): Promise<Channel> {
    const toPeer = specParam(spec, 'toPeer', isString, 'a path');
    const fromPeer = specParam(spec, 'fromPeer', isString, 'a path');
    const readSize = specInteger(spec, 'readSize', 1, 1 << 30, true);
    const ends = new FifoEnds({ transport: 'fifo', readPath: toPeer, writePath: fromPeer, ...(readSize === undefined ? {} : { readSize }) });
    return ends.ready;
  },
};
