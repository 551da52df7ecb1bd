// Entry point of a peer process (started by spawnPeer). Pins itself if asked, attaches to the
// PeerSpec, runs the role, reports the result over Node's IPC channel and exits.
import { constants as osConstants } from 'node:os';
import { setParentDeathSignal } from '@ipc-compare/native';
import { pinProcess } from '../placement.js';
import { TransportRegistry, type TransportModule } from '../registry.js';
import { serializeError, type PeerConfig, type PeerMessage } from './peer.js';
import { loadRole, type RoleContext } from './role.js';

function report(message: PeerMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send || !process.connected) return resolve();
    process.send(message, undefined, {}, () => resolve());
  });
}

async function main(): Promise<void> {
  // Never outlive the process that started us, even if it is SIGKILLed mid-test.
  if (setParentDeathSignal(osConstants.signals.SIGKILL)) process.exit(1);
  const config = JSON.parse(process.argv[2] ?? 'null') as PeerConfig;
  if (config.cpus) pinProcess(process.pid, config.cpus);
  const role = await loadRole(config.role);
  // Only the modules the parent named are loaded; the spec just picks one of their transports.
  const registry = new TransportRegistry();
  for (const m of config.transportModules) registry.add(((await import(m)) as TransportModule).transports);
  const { transport, channel } = await registry.attach(config.spec, config.attach);
  const controlQueue: unknown[] = [];
  const controlWaiters: Array<(v: unknown) => void> = [];
  process.on('message', (m: PeerMessage) => {
    if (m.type !== 'control') return;
    const w = controlWaiters.shift();
    if (w) w(m.value);
    else controlQueue.push(m.value);
  });
  const ctx: RoleContext = {
    channel,
    transport,
    spec: config.spec,
    args: config.role.args,
    control: {
      send: (value) => report({ type: 'control', value }),
      next: () =>
        controlQueue.length > 0 ? Promise.resolve(controlQueue.shift()) : new Promise((resolve) => controlWaiters.push(resolve)),
    },
  };
  await report({ type: 'ready', pid: process.pid });
  try {
    const value = await role(ctx);
    await report({ type: 'result', value: value ?? null });
  } finally {
    await channel.close();
  }
}

main().then(
  () => {
    process.disconnect?.();
    process.exitCode = 0;
  },
  async (err: unknown) => {
    await report({ type: 'error', error: serializeError(err) });
    process.exit(1);
  },
);
