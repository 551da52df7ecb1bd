// The transport interface every mechanism implements (../../../shared/SPEC.md §3).

/** What the course notes claim about a mechanism. The bench measures each claim; nothing here is trusted. */
export interface Semantics {
  /** 'half': one direction per object (pipe, FIFO); 'full': both directions on one object. */
  duplex: 'full' | 'half';
  /** Message boundaries preserved: one send arrives as exactly one recv. */
  boundaries: boolean;
  /** Nothing is dropped under overload: the sender blocks (or gets EAGAIN) instead. */
  reliable: boolean;
  /** Who can be the peer: a related process (inherited fds), any local process, or a remote host. */
  reach: 'related' | 'local' | 'network';
  /** Largest message one send can carry (datagram kinds). Undefined for byte streams. */
  maxMessage?: number;
  /** Can carry open file descriptors (SCM_RIGHTS). */
  passesFds: boolean;
  /**
   * Connection-oriented: when one side closes, the other reads end of stream. False for UDP and
   * AF_UNIX datagram sockets, where a closed peer is only noticed when a send fails.
   */
  endOfStream: boolean;
  /**
   * The receiver reads the bytes where the sender wrote them (shared memory), with no copy through the
   * kernel: bytes the sender writes after publishing are seen by the receiver.
   */
  zeroCopy: boolean;
  /**
   * What is left of the object and its contents once every process that had it is gone: 'none' (it
   * dies with its last fd or mapping), 'kernel' (it stays, contents and all, until removed by name or
   * a reboot: POSIX and XSI shared memory) or 'file' (the contents are in a file, which outlives
   * reboots too).
   */
  persistence: 'none' | 'kernel' | 'file';
}

export interface SendOptions {
  signal?: AbortSignal;
}

export interface RecvOptions {
  signal?: AbortSignal;
}

/** One end of an open connection between two processes. */
export interface Channel extends AsyncDisposable {
  /** Id of the transport that made it (e.g. 'pipe'). */
  readonly transport: string;
  readonly closed: boolean;
  /**
   * Queues `data` and resolves once the kernel has all of it (so awaiting each send is natural
   * back-pressure). Rejects with a Node-style Error (`code` EPIPE, ECONNRESET, …) if the peer is gone.
   */
  send(data: Uint8Array, opts?: SendOptions): Promise<void>;
  /**
   * The next message (boundary-preserving transports) or the next chunk of the byte stream (stream
   * transports: any split of what was sent). Resolves `null` when the peer has closed its end.
   */
  recv(opts?: RecvOptions): Promise<Uint8Array | null>;
  /**
   * Gather send (stream transports): the chunks go out in order, batched into as few syscalls as the
   * kernel allows (writev). This is how small messages beat one-syscall-per-message.
   */
  sendv?(chunks: readonly Uint8Array[], opts?: SendOptions): Promise<void>;
  /** Blocking gather send. */
  sendvSync?(chunks: readonly Uint8Array[]): void;
  /** AF_UNIX: sends data with open fds (SCM_RIGHTS); the receiver gets its own fds for the same files. */
  sendFds?(data: Uint8Array, fds: readonly number[], opts?: SendOptions): Promise<void>;
  /** AF_UNIX: the next chunk or message with the fds that came with it; null at the end. */
  recvFds?(opts?: RecvOptions): Promise<{ data: Uint8Array; fds: Array<{ readonly fd: number; close(): void }>; fdsTruncated: boolean } | null>;
  /** Half-close: flushes, then the peer reads end of stream; this side can still receive. Rejects if close() comes first. */
  end?(): Promise<void>;
  /** Blocking path: writes all of `data` before returning. */
  sendSync?(data: Uint8Array): void;
  /** Blocking path: waits for data, copies it into `into`, returns the byte count; `null` at end of stream. */
  recvSync?(into: Uint8Array): number | null;
  /**
   * Zero-copy send (shared memory): a view of `length` bytes inside the IPC object itself; write the
   * message there, then commitClaim() publishes it.
   */
  claimSync?(length: number): Uint8Array;
  /** Publishes what was written into the view claimSync() returned. */
  commitClaim?(): void;
  /**
   * Zero-copy receive (shared memory): the next message as a view of the IPC object's own memory where
   * it can be (else a copy), valid until the next recv of any kind; null at the end of stream.
   */
  recvViewSync?(): Uint8Array | null;
  /** Syscalls made by this channel's engine, and sends the kernel refused for now (EAGAIN). */
  readonly syscalls?: { reads: number; writes: number; wouldBlock: number };
  /** Datagram kinds: what the last recvSync() could not fit into its buffer (null if it all fit). */
  readonly lastTruncation?: { length: number; received: number } | null;
  /** The fds of the kernel objects this channel uses (for probes and diagnostics; do not close them). */
  fds?(): number[];
  /** Releases everything (fds, files, watchers). Pending sends, recvs and end() reject with ERR_CHANNEL_CLOSED. */
  close(): Promise<void>;
}

/** JSON-only description the other process needs to attach, plus fds it must inherit. */
export interface PeerSpec {
  /** Transport id; the attaching side looks it up among the transports it trusts (TransportRegistry). */
  transport: string;
  /** Transport-specific parameters (JSON). */
  params: unknown;
  /**
   * Fds to hand to the peer. In the creating process these are its own fd numbers; the peer runner
   * passes them as extra stdio slots and rewrites the list to the numbers the peer process sees.
   */
  inheritFds?: number[];
}

export interface ConnectOptions {
  /** Gives up waiting for the peer: connect() rejects with an AbortError and the Opened is closed. */
  signal?: AbortSignal;
}

/**
 * What `Transport.open` returns: the rendezvous this side made (a listener, names, the peer's ends of
 * a pipe), and the spec for the peer. It owns all of that until `connect()` hands over the channel.
 */
export interface Opened extends AsyncDisposable {
  readonly transport: Transport;
  readonly peer: PeerSpec;
  /**
   * Resolves with the connected channel once the peer has attached (at once for inherited fds); the
   * caller owns the channel from then on. Call it once. Rejects if the rendezvous fails or is closed.
   */
  connect(opts?: ConnectOptions): Promise<Channel>;
  /**
   * Closes this process's copies of `peer.inheritFds`; call it once the peer process has inherited
   * them (spawnPeer does), so that end-of-file and EPIPE work. Idempotent.
   */
  handOff(): void;
  /**
   * Gives up the rendezvous: stops waiting, removes names, closes the peer's fds here, and a channel
   * not yet handed over by connect(). A connected channel already handed over is not touched.
   */
  close(): Promise<void>;
}

export interface AttachOptions {
  /**
   * TCP/UDP: the spec may name a host that is not a loopback address. Off by default, so a spec from
   * elsewhere cannot make this process connect across the network.
   */
  allowRemote?: boolean;
}

export interface Transport<OpenOptions = unknown> {
  readonly id: string;
  /** ESM specifier of the module whose `transports` export holds this transport (how peers find it). */
  readonly module: string;
  readonly semantics: Semantics;
  /** Channels have sendSync/recvSync (the blocking path) besides the async one. */
  readonly blockingPath: boolean;
  /** Creating side: makes the IPC object and the rendezvous; the channel comes from `connect()`. */
  open(opts?: OpenOptions): Promise<Opened>;
  /** The other side, usually in another process: attaches to what `open` made. */
  attach(spec: PeerSpec, opts?: AttachOptions): Promise<Channel>;
}
