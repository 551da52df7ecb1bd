// Two network namespaces joined by a veth pair: a second "host" on this machine, so that network reach
// is observed (a peer in one namespace connects to a listener's non-loopback address in the other)
// rather than inferred from a spec having a host and a port. Needs root and iproute2 (`ip`); every
// name and address lives inside the namespaces made here, and both are removed afterwards.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface NetnsPair {
  /** Namespace of the listener, and its address on the veth link. */
  a: { ns: string; address: string };
  /** Namespace of the peer, and its address. */
  b: { ns: string; address: string };
  /** `ip netns exec <ns>`: a command prefix that runs a program inside a namespace. */
  exec(ns: string): string[];
  remove(): Promise<void>;
}

/** Why network reach cannot be observed here, or null if it can (root and `ip netns` available). */
export async function netnsUnavailable(): Promise<string | null> {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces)';
  try {
    await run('ip', ['netns', 'list']);
    return null;
  } catch (err) {
    return `ip netns is not available (${(err as Error).message.split('\n')[0]})`;
  }
}

export async function makeNetnsPair(): Promise<NetnsPair> {
  const tag = randomBytes(3).toString('hex');
  const net = `10.${200 + (randomBytes(1)[0]! % 50)}.${randomBytes(1)[0]}`;
  const a = { ns: `ipcc-${tag}-a`, address: `${net}.1` };
  const b = { ns: `ipcc-${tag}-b`, address: `${net}.2` };
  const made: string[] = [];
  const remove = async () => {
    for (const ns of made.splice(0)) await run('ip', ['netns', 'del', ns]).catch(() => {}); // the veth pair goes with them
  };
  try {
    for (const ns of [a.ns, b.ns]) {
      await run('ip', ['netns', 'add', ns]);
      made.push(ns);
    }
    await run('ip', ['link', 'add', `va${tag}`, 'netns', a.ns, 'type', 'veth', 'peer', 'name', `vb${tag}`, 'netns', b.ns]);
    for (const [side, dev] of [[a, `va${tag}`], [b, `vb${tag}`]] as const) {
      await run('ip', ['-n', side.ns, 'addr', 'add', `${side.address}/24`, 'dev', dev]);
      await run('ip', ['-n', side.ns, 'link', 'set', dev, 'up']);
      await run('ip', ['-n', side.ns, 'link', 'set', 'lo', 'up']);
    }
  } catch (err) {
    await remove();
    throw err;
  }
  return { a, b, exec: (ns) => ['ip', 'netns', 'exec', ns], remove };
}
