// Peer roles for this package's tests. fd-receiver: receive fds and prove they are the sender's open
// files by using them — read a file from the sender's offset, write into a pipe the sender reads,
// accept connections on a listening socket the sender made — then close them and report any fd left
// open. held-sink: core's sink, started only when the parent says so (a receiver that reads nothing
// until the sender has been held back).
import { readSync, writeSync } from 'node:fs';
import { roles as coreRoles } from '@ipc-compare/core/roles';
import type { Role } from '@ipc-compare/core/testing';
import { newFds, snapshotFds } from '@ipc-compare/core/testing';
import { accept, close, constants, fstat, poll } from '@ipc-compare/native';

/** What each passed fd is and what to do with it, sent as the message's JSON text. */
export type FdUse = 'read' | 'write' | 'accept' | 'ignore';

interface Item {
  use: FdUse;
  type: string;
  result: string;
}

function useFd(fd: number, use: FdUse): string {
  switch (use) {
    case 'read': {
      const buf = Buffer.alloc(4096);
      const n = readSync(fd, buf, 0, buf.length, null); // null: from the current offset, shared with the sender
      return buf.subarray(0, n).toString();
    }
    case 'write':
      writeSync(fd, `written by the receiver, pid ${process.pid}`);
      return 'written';
    case 'accept': {
      if (poll(fd, constants.POLLIN, 5000) === 0) return 'nobody connected';
      const c = accept(fd);
      writeSync(c, `accepted by the receiver, pid ${process.pid}`);
      close(c);
      return `accepted`;
    }
    case 'ignore':
      return 'closed unused';
  }
}

const fdReceiver: Role = async ({ channel, args }) => {
  const { messages } = args as { messages: number };
  const before = snapshotFds();
  const items: Item[] = [];
  let fdsTruncated = 0;
  for (let k = 0; k < messages; k++) {
    const got = await channel.recvFds!();
    if (got === null) break;
    const uses = JSON.parse(Buffer.from(got.data).toString()) as FdUse[];
    if (got.fdsTruncated) fdsTruncated++;
    got.fds.forEach((f, i) => {
      const use = uses[i] ?? 'ignore';
      items.push({ use, type: fstat(f.fd).type, result: useFd(f.fd, use) });
      f.close(); // the receiver closes what it got, used or not
    });
  }
  // Accepted connections are closed with their fds above; anything else still open is a leak.
  const leaked = newFds(before).filter((f) => /^(pipe|socket|anon_inode|\/)/.test(f.target) && !f.target.startsWith('/dev/null'));
  return { items, fdsTruncated, leaked: leaked.map((f) => f.target) };
};

/** Reads nothing until a control message comes, then runs core's sink with the same args. */
const heldSink: Role = async (ctx) => {
  await ctx.control.next();
  return coreRoles.sink!(ctx);
};

export const roles: Record<string, Role> = { 'fd-receiver': fdReceiver, 'held-sink': heldSink };
