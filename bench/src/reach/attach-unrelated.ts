// Run by the reach probe as an unrelated process (new session or another network namespace, nothing
// inherited, stdio only for the report): attaches to a PeerSpec given on the command line — with its
// inherited-fd list removed, since nothing was inherited — sends one message and reports what
// happened as JSON on stdout. `--allow-remote` lets it connect to a non-loopback host.
import { TransportRegistry } from '@ipc-compare/core';
import { mechanisms } from '../mechanisms.js';

const allowRemote = process.argv.includes('--allow-remote');
const spec = JSON.parse(process.argv.find((a, i) => i >= 2 && a !== '--allow-remote') ?? 'null') as Record<string, unknown>;
delete spec.inheritFds;
const registry = new TransportRegistry(mechanisms.flatMap((m) => [m.transport, ...(m.nodeBaseline ? [m.nodeBaseline.transport] : [])]));
try {
  const { channel } = await registry.attach(spec, { allowRemote });
  await channel.send(Buffer.from('reach-probe'));
  await channel.close();
  process.stdout.write(JSON.stringify({ ok: true }));
} catch (err) {
  const e = err as { code?: string; message?: string };
  process.stdout.write(JSON.stringify({ ok: false, code: e.code ?? null, message: e.message ?? String(err) }));
}
