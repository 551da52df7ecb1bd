// The named, connection-oriented AF_UNIX kinds (SOCK_STREAM, SOCK_SEQPACKET) meet the same way: the
// creating side listens on a name, the peer connects and presents the token, the names go once
// connected. Only the channel built on the connected socket differs.
import { randomBytes } from 'node:crypto';
import { ListenerAcceptor, channelOnceConnected, OwnedFd, TOKEN_BYTES, connectWithToken, specParam, type Channel, type Opened, type PeerSpec } from '@ipc-compare/core';
import { listen, peerCred, socket } from '@ipc-compare/native';
import { SocketNames, bindName, checkName, type NameOptions } from './names.js';

export const UNIX_MODULE = '@ipc-compare/unix';

export interface ListenerOptions extends NameOptions {
  /** Accept only a peer running as this process's uid (SO_PEERCRED); others are disconnected. */
  sameUidOnly?: boolean;
}

type Kind = 'stream' | 'seqpacket';

const isName = (v: unknown): v is string => typeof v === 'string' && v.length > 0;
const isToken = (v: unknown): v is string => typeof v === 'string' && /^[0-9a-f]{32}$/.test(v);

export function openListener(id: string, kind: Kind, opts: ListenerOptions, makeChannel: (fd: OwnedFd) => Channel, maxMessage?: number): Opened {
  const names = new SocketNames(kind, opts);
  const listener = OwnedFd.own(socket('unix', kind, true), `${id} listener`);
  const path = names.name('listen');
  try {
    bindName(listener.fd, path);
    listen(listener.fd, 8);
  } catch (err) {
    listener.close();
    names.remove();
    throw err;
  }
  const token = randomBytes(TOKEN_BYTES);
  const myUid = process.getuid!();
  const admit = opts.sameUidOnly ? (fd: number) => peerCred(fd).uid === myUid : undefined;
  const deferred = channelOnceConnected({
    transport: id,
    ...(maxMessage === undefined ? {} : { maxMessage }),
    waiter: new ListenerAcceptor(listener, token, admit),
    make: (fd: number) => {
      names.remove(); // connected: nobody else can come in by name
      return makeChannel(OwnedFd.own(fd, `${id} channel`));
    },
    cancel: () => names.remove(),
  });
  return { channel: deferred, peer: { transport: id, module: UNIX_MODULE, params: { path, token: token.toString('hex') } }, handOff: () => {} };
}

export async function attachListener(spec: PeerSpec, kind: Kind, makeChannel: (fd: OwnedFd) => Channel): Promise<Channel> {
  const path = specParam(spec, 'path', isName, 'a socket name');
  const token = specParam(spec, 'token', isToken, '32 hex digits');
  checkName(path);
  const fd = OwnedFd.own(socket('unix', kind, true), `${spec.transport} channel`);
  try {
    await connectWithToken(fd.fd, { family: 'unix', path }, Buffer.from(token, 'hex'));
  } catch (err) {
    fd.close();
    throw err;
  }
  return makeChannel(fd);
}
