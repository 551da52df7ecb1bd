// Run by the persistence probe as a creator that crashes: it makes the IPC object — a region with a
// marker written into it (`region KIND`), or a transport's rendezvous (`transport ID`) — prints what
// names it as one JSON line, and kills itself with SIGKILL: no close, no exit handler, nothing removed.
import { createRegion, type RegionKind } from '@ipc-compare/shm';
import { mechanisms } from '../mechanisms.js';

const [mode, arg] = process.argv.slice(2);
let line: unknown;
if (mode === 'region') {
  const region = createRegion(arg as RegionKind, 4096);
  const marker = `persistence probe: written by pid ${process.pid}`;
  Buffer.from(region.buffer).write(marker);
  line = { params: region.params, marker, pid: process.pid };
} else {
  const m = mechanisms.find((x) => x.id === arg);
  if (!m) throw new Error(`no mechanism ${arg}`);
  const opened = await m.transport.open(m.openOptions);
  line = { spec: opened.peer, pid: process.pid };
}
process.stdout.write(`${JSON.stringify(line)}\n`); // a pipe: written synchronously on Linux
process.kill(process.pid, 'SIGKILL');
