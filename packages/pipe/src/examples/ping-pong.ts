// A parent and its child talking over two real pipes. Run it (after `npm run build`):
//
//   node packages/pipe/dist/examples/ping-pong.js
//
// The same file is both programs: started without arguments it is the parent, which creates the pipes
// and starts itself again as the child, handing over the child's ends as inherited fds.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { FIRST_INHERITED_FD } from '@ipc-compare/core/testing';
import { pipeTransport } from '../index.js';

async function child(specJson: string): Promise<void> {
  // Our ends of the two pipes arrived as fds 4 and 5: the spec says which is which.
  const channel = await pipeTransport.attach(JSON.parse(specJson));
  for (;;) {
    const chunk = await channel.recv();
    if (chunk === null) break; // the parent closed its write end: end of file
    const text = Buffer.from(chunk).toString();
    console.log(`child:  ${chunk.byteLength} bytes received: "${text}"`);
    await channel.send(Buffer.from(text.toUpperCase()));
  }
  await channel.close();
}

async function parent(): Promise<void> {
  const opened = await pipeTransport.open(); // two pipe(2)s: parent → child, child → parent
  const inherit = opened.peer.inheritFds!;
  const spec = { ...opened.peer, inheritFds: inherit.map((_, i) => FIRST_INHERITED_FD + i) };
  const proc = spawn(process.execPath, [fileURLToPath(import.meta.url), 'child', JSON.stringify(spec)], {
    // 0-2: stdio, 3: unused here (spawnPeer puts Node's IPC channel there), 4-5: the child's pipe ends.
    stdio: ['ignore', 'inherit', 'inherit', 'ignore', ...inherit],
  });
  // Close our copies of the child's ends, or the child would never see end of file.
  opened.handOff();
  const ch = await opened.connect(); // a pipe is there at once: nothing to wait for
  for (const word of ['hello', 'pipes go one way', 'so we use two']) {
    await ch.send(Buffer.from(word));
    console.log(`parent: sent ${Buffer.byteLength(word)} bytes`);
    const reply = await ch.recv();
    console.log(`parent: ${reply!.byteLength} bytes received: "${Buffer.from(reply!).toString()}"`);
  }
  await ch.close();
  const [code] = await once(proc, 'exit');
  console.log(`parent: child exited with code ${code}`);
}

if (process.argv[2] === 'child') await child(process.argv[3]!);
else await parent();
