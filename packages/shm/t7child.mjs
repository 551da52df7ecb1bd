import { shmPosixTransport as t } from '@ipc-compare/shm';
const ch = await t.attach(JSON.parse(process.argv[2]));
const buf = Buffer.alloc(65536);
let n = 0;
for (;;) { const r = ch.recvSync(buf); if (r === null) break; n++; }
console.log('child got', n, JSON.stringify(ch.syscalls));
await ch.close();
