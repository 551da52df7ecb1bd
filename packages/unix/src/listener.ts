// The named, connection-oriented AF_UNIX kinds (SOCK_STREAM, SOCK_SEQPACKET) meet the same way: the
// creating side listens on a name, the peer connects and presents the token, the names go once
// connected. Only the channel built on the connected socket differs.
import { randomBytes } from 'node:crypto';
import {
  ListenerAcceptor,
  OwnedFd,
  TOKEN_BYTES,
  cleanUpAfter,
  connectWithToken,
  makeOpened,
  specParam,
  validateBoolean,
  validateOptionalInteger,
  validateOptions,
  type Channel,
  type Opened,
  type PeerSpec,
  type Transport,
} from '@ipc-compare/core';
import { listen, peerCred, socket } from '@ipc-compare/native';
import { SocketNames, checkName, type NameOptions } from './names.js';

export const UNIX_MODULE = '@ipc-compare/unix';

export interface ListenerOptions extends NameOptions {
  /** Accept only a peer running as this process's uid (SO_PEERCRED); others are disconnected. */
  sameUidOnly?: boolean;
  /** How long a connection may take to present its token before it is dropped (default 5000 ms). */
  handshakeTimeoutMs?: number;
}

type Kind = 'stream' | 'seqpacket';

const isName = (v: unknown): v is string => typeof v === 'string' && v.length > 0;
const isToken = (v: unknown): v is string => typeof v === 'string' && /^[0-9a-f]{32}$/.test(v);

export function openListener(transport: Transport, kind: Kind, options: ListenerOptions | undefined, makeChannel: (fd: OwnedFd) => Channel): Opened {
  const opts = validateOptions<ListenerOptions>(options);
  if (opts.sameUidOnly !== undefined) validateBoolean(opts.sameUidOnly, 'sameUidOnly');
  validateOptionalInteger(opts as Record<string, unknown>, 'handshakeTimeoutMs', 1, 3_600_000);
  const id = transport.id;
  const listener = OwnedFd.own(socket('unix', kind, true), `${id} listener`); // first: EMFILE here leaves nothing
  let names: SocketNames | undefined;
  let path: string;
  try {
    names = new SocketNames(kind, opts);
    path = names.bind(listener.fd, 'listen');
    listen(listener.fd, 64);
  } catch (err) {
    throw cleanUpAfter(err, () => listener.close(), () => names?.remove());
  }
  const token = randomBytes(TOKEN_BYTES);
  const myUid = process.getuid!();
  const acceptor = new ListenerAcceptor(listener, token, {
    ...(opts.sameUidOnly ? { admit: (fd: number) => peerCred(fd).uid === myUid } : {}),
    ...(opts.handshakeTimeoutMs === undefined ? {} : { handshakeMs: opts.handshakeTimeoutMs }),
  });
  const sockets = names;
  return makeOpened({
    transport,
    peer: { transport: id, params: { path, token: token.toString('hex') } },
    connected: acceptor.ready.then((fd) => {
      const channel = makeChannel(OwnedFd.own(fd, `${id} channel`));
      try {
        sockets.remove(); // connected: nobody else can come in by name
      } catch (err) {
        throw cleanUpAfter(err, () => void channel.close());
      }
      return channel;
    }),
    cancel: () => {
      acceptor.cancel();
      sockets.remove();
    },
  });
}

export async function attachListener(spec: PeerSpec, kind: Kind, makeChannel: (fd: OwnedFd) => Channel): Promise<Channel> {
  const path = specParam(spec, 'path', isName, 'a socket name');
  const token = specParam(spec, 'token', isToken, '32 hex digits');
  checkName(path, 'connect');
  const fd = OwnedFd.own(socket('unix', kind, true), `${spec.transport} channel`);
  try {
    await connectWithToken(fd.fd, { family: 'unix', path }, Buffer.from(token, 'hex'));
  } catch (err) {
    throw cleanUpAfter(err, () => fd.close());
  }
  return makeChannel(fd);
}
