// The persistence probe: what is left of a shared-memory region once the process that made it is
// gone. A creator process (reach/persist-creator.ts) makes a region, writes a marker into it and is
// SIGKILLed — a crash: nothing closed, nothing removed. Then this process looks for the region by
// what named it and reads the marker: anon through /proc/PID/fd (a memfd's only name is its fd), posix
// and xsi by mapping them again, file with read(2), no mapping at all — and the filesystem the file is
// on says whether its bytes outlive a reboot too. Whatever the creator left is removed afterwards.
import { readFileSync, statfsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { attachRegion, removeRegion, type RegionKind, type RegionParams } from '@ipc-compare/shm';
import type { Mechanism } from '../mechanisms.js';
import { runScript } from '../reach/run-script.js';
import type { PropertyCheck } from '../results.js';

type Persistence = 'none' | 'kernel' | 'file';
const PERSIST_CREATOR = fileURLToPath(new URL('../reach/persist-creator.js', import.meta.url));
const TMPFS_MAGIC = 0x01021994;

interface Crashed {
  params: RegionParams;
  marker: string;
  pid: number;
}

async function crashedCreator(kind: RegionKind): Promise<Crashed> {
  const p = runScript([], PERSIST_CREATOR, ['region', kind]);
  const line = await p.nextLine();
  await p.closed;
  if (line === null) throw new Error(`the region's creator printed nothing (${p.child.signalCode ?? `exit ${p.child.exitCode}`})`);
  if (p.child.signalCode !== 'SIGKILL') throw new Error(`the region's creator was to die of SIGKILL, not ${p.child.signalCode ?? `exit ${p.child.exitCode}`}`);
  return JSON.parse(line) as Crashed;
}

/** The marker's bytes as found, or the error code that stopped the search. */
function lookFor(c: Crashed): { text: string; how: string } | { code: string; how: string } {
  const p = c.params;
  const read = (how: string, bytes: () => Buffer) => {
    try {
      return { text: bytes().subarray(0, c.marker.length).toString(), how };
    } catch (err) {
      return { code: (err as { code?: string }).code ?? String(err), how };
    }
  };
  switch (p.kind) {
    case 'anon':
      return read(`opening /proc/${c.pid}/fd/${p.fd} (a memfd's only name)`, () => readFileSync(`/proc/${c.pid}/fd/${p.fd}`));
    case 'file':
      return read(`reading ${p.path} with read(2) (no mapping)`, () => readFileSync(p.path));
    case 'posix':
    case 'xsi':
      return read(p.kind === 'posix' ? `shm_open("${p.name}") and mapping it again` : `shmat(${p.id}) again`, () => {
        const r = attachRegion(p);
        try {
          return Buffer.from(r.buffer.slice(0, c.marker.length));
        } finally {
          r.close();
        }
      });
  }
}

export async function probePersistence(m: Mechanism): Promise<PropertyCheck<Persistence | null>> {
  const claimed = m.transport.semantics.persistence;
  if (!m.region) {
    return {
      claimed,
      observed: null,
      agrees: null,
      evidence: 'not observed: the probe keeps a crashed creator\'s object for shared-memory regions only (a pipe\'s or socket\'s buffer belongs to its open fds; FIFO and socket names stay behind, holding no data)',
    };
  }
  const c = await crashedCreator(m.region);
  try {
    const found = lookFor(c);
    const killed = `its creator (pid ${c.pid}) wrote a marker and was killed (SIGKILL)`;
    if ('code' in found) return { claimed, observed: 'none', agrees: claimed === 'none', evidence: `${killed}; ${found.how} failed with ${found.code}: nothing of it was left` };
    if (found.text !== c.marker) return { claimed, observed: 'none', agrees: claimed === 'none', evidence: `${killed}; ${found.how} found other bytes (${JSON.stringify(found.text.slice(0, 24))}…)` };
    let observed: Persistence = 'kernel';
    let where = 'in memory (tmpfs or the kernel\'s own pages): it stays until removed, or a reboot';
    if (c.params.kind === 'file') {
      const type = statfsSync(c.params.path).type;
      observed = type === TMPFS_MAGIC ? 'kernel' : 'file';
      where = type === TMPFS_MAGIC ? 'in a file on tmpfs: memory, gone at a reboot' : `in a file on a disk filesystem (statfs type 0x${type.toString(16)}): it outlives a reboot too`;
    }
    return { claimed, observed, agrees: claimed === observed, evidence: `${killed}; ${found.how} still found the marker: the bytes are ${where}` };
  } finally {
    removeRegion(c.params);
  }
}
