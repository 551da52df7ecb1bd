// The FIFO transport: two named pipes make a duplex channel between processes that share nothing but
// two paths. The creating side makes them (mode 0600, in a private 0700 directory with a random name
// unless told where), both sides open them by name, and the names are removed as soon as both ends
// are connected — after that no third process can join, and nothing is left behind.
import { mkdtempSync, rmdirSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeferredChannel, FdStreamChannel, OwnedFd, ipcError, specParam, type Channel, type Opened, type PeerSpec, type Semantics, type Transport } from '@ipc-compare/core';
import { close, mkfifo, setNonBlocking } from '@ipc-compare/native';
import { openFifoNow, startFifoOpen, type PendingFifoOpen } from './open.js';

export const FIFO_MODULE = '@ipc-compare/fifo';

export const fifoSemantics: Semantics = {
  duplex: 'half',
  boundaries: false,
  reliable: true,
  reach: 'local',
  passesFds: false,
  endOfStream: true,
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
 * Both opens of one side, and the channel once both have completed. Used by the creating side (via a
 * DeferredChannel: the peer does not exist yet when open() returns) and by the peer (attach awaits it).
 */
class FifoEnds {
  readonly #read: PendingFifoOpen;
  readonly #write: PendingFifoOpen;
  readonly #readPath: string;
  readonly #writePath: string;
  readonly #transport: string;
  readonly #readSize: number | undefined;
  readonly #onConnected: () => void;
  readonly #onClose: () => void;
  #channel: FdStreamChannel | null = null;
  readonly ready: Promise<FdStreamChannel>;

  constructor(o: { transport: string; readPath: string; writePath: string; readSize?: number; onConnected?: () => void; onClose?: () => void }) {
    this.#transport = o.transport;
    this.#readPath = o.readPath;
    this.#writePath = o.writePath;
    this.#readSize = o.readSize;
    this.#onConnected = o.onConnected ?? (() => {});
    this.#onClose = o.onClose ?? (() => {});
    this.#read = startFifoOpen(o.readPath, 'read');
    try {
      this.#write = startFifoOpen(o.writePath, 'write');
    } catch (err) {
      this.#read.cancel();
      void this.#read.fd.then(close, () => {});
      throw err;
    }
    this.ready = Promise.allSettled([this.#read.fd, this.#write.fd]).then(([r, w]) => {
      if (r.status === 'fulfilled' && w.status === 'fulfilled') return this.#build(r.value, w.value);
      // One side failed: release the other and keep nothing open (a channel waitSync() built has fds
      // of its own).
      this.cancel();
      if (r.status === 'fulfilled') close(r.value);
      if (w.status === 'fulfilled') close(w.value);
      throw r.status === 'rejected' ? r.reason : (w as PromiseRejectedResult).reason;
    });
    this.ready.catch(() => {});
  }

  /**
   * The blocking path. The addon has no blocking wait for the opens any more, and the peer may have
   * opened its ends before this side's open callbacks have run: then both FIFOs are opened here
   * again, without waiting (ENXIO while the peer has no read end open), and the fds the callbacks
   * bring later are closed (#build).
   */
  waitSync(): FdStreamChannel {
    if (this.#channel) return this.#channel;
    const w = openFifoNow(this.#writePath, 'write');
    let r: number;
    try {
      r = openFifoNow(this.#readPath, 'read');
    } catch (err) {
      close(w);
      throw err;
    }
    setNonBlocking(w, false);
    setNonBlocking(r, false);
    return this.#build(r, w);
  }

  cancel(): void {
    this.#read.cancel();
    this.#write.cancel();
  }

  #build(readFd: number, writeFd: number): FdStreamChannel {
    if (this.#channel) {
      // waitSync() built it first, from fds of its own: these are duplicates.
      close(readFd);
      close(writeFd);
      return this.#channel;
    }
    this.#channel = new FdStreamChannel({
      transport: this.#transport,
      readFd: OwnedFd.own(readFd, `${this.#transport} channel (read end)`),
      writeFd: OwnedFd.own(writeFd, `${this.#transport} channel (write end)`),
      ...(this.#readSize === undefined ? {} : { readSize: this.#readSize }),
      onClose: this.#onClose,
    });
    this.#onConnected();
    return this.#channel;
  }
}

function checkOptions(o: FifoOpenOptions): void {
  if (o.mode !== undefined && (!Number.isInteger(o.mode) || o.mode < 0 || o.mode > 0o777)) {
    throw ipcError('ERR_INVALID_ARG_VALUE', `mode must be permission bits 0..0o777 (got ${o.mode})`);
  }
  if (o.readSize !== undefined && (!Number.isInteger(o.readSize) || o.readSize < 1)) {
    throw ipcError('ERR_INVALID_ARG_VALUE', `readSize must be a positive integer (got ${o.readSize})`);
  }
  if (o.dir !== undefined && typeof o.dir !== 'string') throw ipcError('ERR_INVALID_ARG_TYPE', 'dir must be a string');
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
  semantics: fifoSemantics,
  blockingPath: true,

  async open(opts: FifoOpenOptions = {}): Promise<Opened> {
    checkOptions(opts);
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
      removeNames();
      throw err;
    }
    const channel = new DeferredChannel({
      transport: 'fifo',
      ready: ends.ready,
      waitSync: () => ends.waitSync(),
      cancel: () => {
        ends.cancel();
        removeNames();
      },
    });
    const params: FifoParams = { toPeer, fromPeer, ...(opts.readSize === undefined ? {} : { readSize: opts.readSize }) };
    return { channel, peer: { transport: 'fifo', module: FIFO_MODULE, params }, handOff: () => {} };
  },

  async attach(spec: PeerSpec): Promise<Channel> {
    const toPeer = specParam(spec, 'toPeer', isString, 'a path');
    const fromPeer = specParam(spec, 'fromPeer', isString, 'a path');
    const { readSize } = spec.params as { readSize?: unknown };
    if (readSize !== undefined && !(typeof readSize === 'number' && Number.isInteger(readSize) && readSize > 0)) {
      throw ipcError('ERR_INVALID_PEER_SPEC', 'invalid PeerSpec for fifo: params.readSize must be a positive integer');
    }
    const ends = new FifoEnds({ transport: 'fifo', readPath: toPeer, writePath: fromPeer, ...(readSize === undefined ? {} : { readSize: readSize as number }) });
    return ends.ready;
  },
};
