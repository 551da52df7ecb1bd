// Run by the reach probe inside a network namespace: opens a transport listening on the given
// non-loopback address, prints its PeerSpec (one JSON line), then waits for one message and prints
// what arrived (a second JSON line). argv: module specifier, transport id, host.
import type { TransportModule } from '@ipc-compare/core';

const [module, id, host] = process.argv.slice(2);
const t = ((await import(module!)) as TransportModule).transports[id!];
if (!t) throw new Error(`no transport ${id} in ${module}`);
const opened = await t.open({ host });
process.stdout.write(`${JSON.stringify(opened.peer)}\n`);
try {
  const channel = await opened.connect({ signal: AbortSignal.timeout(20_000) });
  const got = await channel.recv({ signal: AbortSignal.timeout(20_000) });
  process.stdout.write(`${JSON.stringify({ got: got ? Buffer.from(got).toString() : null })}\n`);
  await channel.close();
} catch (err) {
  process.stdout.write(`${JSON.stringify({ error: (err as Error).message })}\n`);
} finally {
  await opened.close();
}
