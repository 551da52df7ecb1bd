// The mechanisms the harness knows: the TypeScript transport, how to open it, which paths it has, and
// the C baseline program (bench/c/build/<name>) that does the same thing.
import type { Transport } from '@ipc-compare/core';
import { fifoTransport } from '@ipc-compare/fifo';
import { pipeTransport } from '@ipc-compare/pipe';
import { shmAnonTransport, shmFileTransport, shmPosixTransport, shmXsiTransport, type RegionKind } from '@ipc-compare/shm';
import { tcpTransport } from '@ipc-compare/tcp';
import { udpTransport } from '@ipc-compare/udp';
import { socketpairTransport, unixDgramTransport, unixSeqpacketTransport, unixStreamTransport } from '@ipc-compare/unix';
import { nodeDgramUdpTransport, nodeNetPipeTransport, nodeNetTcpTransport, nodeNetUnixTransport } from './baselines/index.js';
import type { Path } from './roles.js';

export interface Mechanism {
  id: string;
  /** One line for the table's legend. */
  title: string;
  transport: Transport;
  openOptions?: unknown;
  paths: Path[];
  /** Name of the C baseline program, or null if there is none. */
  cBaseline: string | null;
  /** Extra arguments for the C program (e.g. --nodelay 0). */
  cArgs?: string[];
  /** Latency: each message is sent as this many writes, on both sides (2 shows Nagle). Default 1. */
  latencyWrites?: 1 | 2;
  /** Only these suites (default: all). */
  suites?: Array<'latency' | 'throughput' | 'semantics'>;
  /** Latency sizes for this mechanism instead of the profile's. */
  latencySizes?: number[];
  /** The same kernel object driven by Node's own API (async path), or null. */
  nodeBaseline: { transport: Transport; title: string } | null;
  /** Open options that make it listen on `host` (IP mechanisms): how the reach probe tries a network peer. */
  networkOpenOptions?: (host: string) => unknown;
  /**
   * Left out of `--quick` unless named with --mechanisms: the same ring as shm-anon over another
   * kind of region, measured alike (the quick profile keeps to its 3-minute budget).
   */
  notInQuick?: true;
  /** Shared memory: the kind of region under the channel (the persistence probe makes one of its own). */
  region?: RegionKind;
}

export const mechanisms: readonly Mechanism[] = [
  {
    id: 'pipe',
    title: 'pipe(2) pair between parent and child',
    transport: pipeTransport,
    paths: ['blocking', 'async'],
    cBaseline: 'pipe',
    nodeBaseline: { transport: nodeNetPipeTransport, title: 'node:net Socket over the same pipe(2) fds' },
  },
  {
    id: 'fifo',
    title: 'two FIFOs (mkfifo), opened by path',
    transport: fifoTransport,
    paths: ['blocking', 'async'],
    cBaseline: 'fifo',
    nodeBaseline: null,
  },
  {
    id: 'tcp',
    title: 'TCP over 127.0.0.1, TCP_NODELAY; Node baseline: node:net listen/connect on 127.0.0.1',
    transport: tcpTransport,
    paths: ['blocking', 'async'],
    cBaseline: 'tcp',
    nodeBaseline: { transport: nodeNetTcpTransport, title: 'node:net listen/connect on 127.0.0.1 (setNoDelay)' },
    networkOpenOptions: (host) => ({ host }),
  },
  {
    id: 'udp',
    title: 'UDP over 127.0.0.1, connected sockets (one datagram per message)',
    transport: udpTransport,
    paths: ['blocking', 'async'],
    cBaseline: 'udp',
    nodeBaseline: { transport: nodeDgramUdpTransport, title: 'node:dgram end to end' },
    networkOpenOptions: (host) => ({ host }),
  },
  {
    id: 'unix-stream',
    title: 'AF_UNIX SOCK_STREAM, listener on a path; Node baseline: node:net on a socket path',
    transport: unixStreamTransport,
    paths: ['blocking', 'async'],
    cBaseline: 'unix_stream',
    nodeBaseline: { transport: nodeNetUnixTransport, title: 'node:net listen/connect on a socket path' },
  },
  {
    id: 'socketpair',
    title: 'socketpair(AF_UNIX, SOCK_STREAM), one end inherited by the child',
    transport: socketpairTransport,
    paths: ['blocking', 'async'],
    cBaseline: 'socketpair',
    nodeBaseline: null,
  },
  {
    id: 'unix-dgram',
    title: 'AF_UNIX SOCK_DGRAM, bound to paths and connected',
    transport: unixDgramTransport,
    paths: ['blocking', 'async'],
    cBaseline: 'unix_dgram',
    nodeBaseline: null,
  },
  {
    id: 'unix-seqpacket',
    title: 'AF_UNIX SOCK_SEQPACKET, listener on a path',
    transport: unixSeqpacketTransport,
    paths: ['blocking', 'async'],
    cBaseline: 'unix_seqpacket',
    nodeBaseline: null,
  },
  // Shared memory: the same two rings over each kind of region. The blocking rows sleep in futex(2)
  // after a short spin; the spin rows never sleep (busy-poll, one CPU per waiting side: read their CPU
  // per message); the async rows wait on a waiter thread.
  {
    id: 'shm-anon',
    title: 'shared memory: memfd inherited by the child (C: mmap MAP_SHARED|MAP_ANONYMOUS + fork), two SPSC rings, futex wake-up',
    transport: shmAnonTransport,
    paths: ['blocking', 'async'],
    cBaseline: 'shm',
    cArgs: ['--region', 'anon'],
    nodeBaseline: null,
    region: 'anon',
  },
  {
    id: 'shm-posix',
    title: 'shared memory: POSIX shm_open by name, two SPSC rings, futex wake-up',
    transport: shmPosixTransport,
    paths: ['blocking', 'async'],
    cBaseline: 'shm',
    cArgs: ['--region', 'posix'],
    nodeBaseline: null,
    region: 'posix',
    notInQuick: true,
  },
  {
    id: 'shm-xsi',
    title: 'shared memory: XSI shmget/shmat by id, two SPSC rings, futex wake-up',
    transport: shmXsiTransport,
    paths: ['blocking', 'async'],
    cBaseline: 'shm',
    cArgs: ['--region', 'xsi'],
    nodeBaseline: null,
    region: 'xsi',
    notInQuick: true,
  },
  {
    id: 'shm-file',
    title: 'shared memory: a file mmap(MAP_SHARED) in a private directory, two SPSC rings, futex wake-up',
    transport: shmFileTransport,
    paths: ['blocking', 'async'],
    cBaseline: 'shm',
    cArgs: ['--region', 'file'],
    nodeBaseline: null,
    region: 'file',
    notInQuick: true,
  },
  {
    id: 'shm-anon-spin',
    title: 'shared memory (memfd), SPINNING: the blocking path busy-polls the ring and never sleeps (C: the same, --wake spin)',
    transport: shmAnonTransport,
    openOptions: { wake: 'spin' },
    paths: ['blocking'],
    cBaseline: 'shm',
    cArgs: ['--region', 'anon', '--wake', 'spin'],
    nodeBaseline: null,
    suites: ['latency', 'throughput'],
  },
  // Nagle's algorithm: only a message written in two parts shows it (write-write-read), so both rows
  // split every message in two; they differ only in TCP_NODELAY.
  {
    id: 'tcp-2w',
    title: 'TCP, each message written in two parts, TCP_NODELAY on',
    transport: tcpTransport,
    openOptions: { noDelay: true },
    paths: ['blocking', 'async'],
    cBaseline: 'tcp',
    nodeBaseline: null,
    cArgs: ['--nodelay', '1'],
    latencyWrites: 2,
    suites: ['latency'],
    latencySizes: [64],
  },
  {
    id: 'tcp-nagle-2w',
    title: 'TCP, each message written in two parts, Nagle on (TCP_NODELAY off)',
    transport: tcpTransport,
    openOptions: { noDelay: false },
    paths: ['blocking', 'async'],
    cBaseline: 'tcp',
    nodeBaseline: null,
    cArgs: ['--nodelay', '0'],
    latencyWrites: 2,
    suites: ['latency'],
    latencySizes: [64],
  },
];

export function findMechanisms(ids: string[] | undefined): Mechanism[] {
  if (!ids) return [...mechanisms];
  return ids.map((id) => {
    const m = mechanisms.find((x) => x.id === id);
    if (!m) throw new Error(`unknown mechanism "${id}" (known: ${mechanisms.map((x) => x.id).join(', ')})`);
    return m;
  });
}
