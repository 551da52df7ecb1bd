// Run by the reach probe as an unrelated process (new session, nothing inherited, stdio only for the
// report): attaches to a PeerSpec given on the command line — with its inherited-fd list removed,
// since nothing was inherited — sends one message and reports what happened as JSON on stdout.
import { attachPeerSpec } from '@ipc-compare/core';

const spec = JSON.parse(process.argv[2] ?? 'null') as Record<string, unknown>;
delete spec.inheritFds;
try {
  const { channel } = await attachPeerSpec(spec);
  await channel.send(Buffer.from('reach-probe'));
  await channel.close();
  process.stdout.write(JSON.stringify({ ok: true }));
} catch (err) {
  const e = err as { code?: string; message?: string };
  process.stdout.write(JSON.stringify({ ok: false, code: e.code ?? null, message: e.message ?? String(err) }));
}
