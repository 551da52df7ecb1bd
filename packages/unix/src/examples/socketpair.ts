// socketpair(): a full-duplex pipe between a parent and its child. Run it (after `npm run build`):
//
//   node packages/unix/dist/examples/socketpair.js
//
// One call makes two connected sockets; the child inherits one (as fd 3), the parent keeps the other.
// Unlike a pipe, each end can both write and read: here both sides send first and read after — with
// two pipes that works too, with one pipe it cannot. The parent also passes the child an open file.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { openSync, readSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FdChannel, OwnedFd } from '@ipc-compare/core';
import { close, socketpair } from '@ipc-compare/native';

async function child(): Promise<void> {
  const fd = OwnedFd.adopt(3, 'child end');
  const ch = new FdChannel({ transport: 'socketpair', readFd: fd, writeFd: fd, receiveFds: 4 });
  await ch.send(Buffer.from('hello from the child'));
  const got = (await ch.recvFds())!;
  console.log(`child:  received "${Buffer.from(got.data).toString()}" and ${got.fds.length} fd`);
  for (const f of got.fds) {
    const buf = Buffer.alloc(100);
    const n = readSync(f.fd, buf, 0, 100, 0);
    console.log(`child:  the passed file says "${buf.subarray(0, n).toString().trim()}"`);
    f.close();
  }
  await ch.close();
}

async function parent(): Promise<void> {
  const [mine, theirs] = socketpair('stream');
  const proc = spawn(process.execPath, [fileURLToPath(import.meta.url), 'child'], { stdio: ['ignore', 'inherit', 'inherit', theirs] });
  close(theirs); // the child has it now
  const own = OwnedFd.own(mine, 'parent end');
  const ch = new FdChannel({ transport: 'socketpair', readFd: own, writeFd: own, receiveFds: 4 });
  const file = join(tmpdir(), `socketpair-example-${process.pid}.txt`);
  writeFileSync(file, 'written by the parent\n');
  const fd = openSync(file, 'r');
  // Both sides send before reading: full duplex on one socket.
  await ch.sendFds(Buffer.from('hello from the parent'), [fd]);
  const reply = await ch.recv();
  console.log(`parent: received "${Buffer.from(reply!).toString()}"`);
  await once(proc, 'exit');
  await ch.close();
  unlinkSync(file);
}

if (process.argv[2] === 'child') await child();
else await parent();
