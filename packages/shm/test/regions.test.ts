// The four region kinds across real processes: what one writes the other sees in its own mapping (the
// same pages, no copy), names refused or removed as the kind says, sizes checked, nothing left.
import { execFile, spawn } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { shmUnlink, xsiRemove, xsiStat } from '@ipc-compare/native';
import { REGION_KINDS, attachRegion, createRegion, type Region, type RegionParams } from '../src/index.js';

const PEER = new URL('./fixtures/region-peer.mjs', import.meta.url).pathname;
const made: Region[] = [];
afterEach(() => {
  for (const r of made.splice(0)) r.close();
});

function create(...args: Parameters<typeof createRegion>): Region {
  const r = createRegion(...args);
  made.push(r);
  return r;
}

interface PeerReport {
  ok: boolean;
  read?: string;
  size?: number;
  code?: string;
  message?: string;
}

/** Runs the fixture in another process (anon: with the memfd as its fd 3); resolves with its report. */
function peer(r: Region | { params: RegionParams; inheritFds: number[] }, args: { readAt?: number; readLen?: number; writeAt?: number; text?: string; setsid?: boolean } = {}): Promise<PeerReport> {
  return new Promise((resolve, reject) => {
    const cmd = args.setsid ? ['setsid', process.execPath] : [process.execPath];
    const p = spawn(cmd[0]!, [...cmd.slice(1), PEER, JSON.stringify({ params: r.params, readAt: 0, readLen: 0, writeAt: 0, ...args })], { stdio: ['ignore', 'pipe', 'inherit', ...r.inheritFds] });
    let out = '';
    p.stdout!.setEncoding('utf8').on('data', (s: string) => (out += s));
    p.once('error', reject);
    p.once('close', () => resolve(JSON.parse(out.trim().split('\n').pop() || '{"ok":false}') as PeerReport));
  });
}

/** A creator in another process makes a region, writes `text` and exits without removing it. */
function createdElsewhere(kind: 'posix' | 'xsi' | 'file', text: string, path: string): Promise<RegionParams> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [PEER, JSON.stringify({ create: kind, text, path })], (err, stdout) => {
      if (err) return reject(err);
      resolve((JSON.parse(stdout) as { params: RegionParams }).params);
    });
  });
}

function text(r: Region, at: number, len: number): string {
  return Buffer.from(new Uint8Array(r.buffer, at, len)).toString();
}

describe.each(REGION_KINDS)('%s region', (kind) => {
  it('another process maps the same pages: each sees what the other wrote, with no copy made', async () => {
    const r = create(kind, 10_000);
    expect(r.buffer.byteLength).toBe(12_288); // whole pages
    new Uint8Array(r.buffer).set(Buffer.from('from the creator'), 8000);
    const rep = await peer(r, { readAt: 8000, readLen: 16, writeAt: 100, text: 'from the other process' });
    expect(rep).toMatchObject({ ok: true, read: 'from the creator', size: 12_288 });
    expect(text(r, 100, 22)).toBe('from the other process');
  });

  it('a region smaller than the peer asks for is refused on attach (never SIGBUS past its end)', async () => {
    const r = create(kind, 4096);
    const rep = await peer({ params: { ...r.params, size: 8192 }, inheritFds: r.inheritFds });
    expect(rep.ok).toBe(false);
    expect(rep.code).toBe('ERR_OUT_OF_RANGE');
  });

  it('after close, views keep working on the mapping (no crash, no unmapped memory); a new attach fails', async () => {
    const r = createRegion(kind, 4096);
    const view = new Int32Array(r.buffer);
    const params = r.params;
    r.close();
    r.close(); // idempotent
    view[7] = 42;
    Atomics.add(view, 7, 1);
    expect(view[7]).toBe(43);
    (globalThis as { gc?: () => void }).gc?.();
    if (kind !== 'anon') {
      const rep = await peer({ params, inheritFds: [] });
      expect(rep.ok).toBe(false);
      expect(rep.code).toMatch(/^(ENOENT|EIDRM|EINVAL)$/);
    }
  });
});

describe('names, modes and persistence', () => {
  it('posix: /dev/shm/ipc-compare-shm-…, mode 0600, O_EXCL refuses an existing name, unlink removes it', () => {
    const r = create('posix', 4096);
    if (r.params.kind !== 'posix') throw new Error('kind');
    const path = `/dev/shm${r.params.name}`;
    expect(r.params.name).toMatch(/^\/ipc-compare-shm-[0-9a-f]{16}$/);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(() => createRegion('posix', 4096, { name: r.params.name })).toThrow(expect.objectContaining({ code: 'EEXIST', syscall: 'shm_open' }));
    expect(statSync(path).size).toBe(4096); // the existing object untouched
    r.unlink();
    expect(existsSync(path)).toBe(false);
  });

  it.each(['posix', 'xsi', 'file'] as const)('%s: the object and its bytes outlive a creator that exited without removing it — persistence, observed', async (kind) => {
    const dir = mkdtempSync(join(tmpdir(), 'ipc-compare-shm-test-'));
    try {
      const made = await createdElsewhere(kind, 'left by a creator that is gone', join(dir, 'region'));
      const r = attachRegion(made);
      try {
        expect(text(r, 0, 30)).toBe('left by a creator that is gone');
      } finally {
        r.close();
        if (made.kind === 'posix') shmUnlink(made.name);
        if (made.kind === 'xsi') xsiRemove(made.id);
      }
      if (made.kind === 'posix') expect(existsSync(`/dev/shm${made.name}`)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('xsi: IPC_PRIVATE, mode 0600, visible to shmctl with its attach count; IPC_RMID once both attached leaves it usable until the last detach', async () => {
    const r = create('xsi', 4096);
    if (r.params.kind !== 'xsi') throw new Error('kind');
    const st = xsiStat(r.params.id);
    expect(st).toMatchObject({ mode: 0o600, attached: 1, removed: false, creatorPid: process.pid, size: 4096 });
    expect(readFileSync('/proc/sysvipc/shm', 'utf8')).toMatch(new RegExp(`^\\s*0\\s+${r.params.id}\\s+600\\s`, 'm'));
    r.unlink();
    expect(xsiStat(r.params.id)).toMatchObject({ removed: true, attached: 1 });
    new Uint8Array(r.buffer)[0] = 1; // still mapped here
    expect((await peer(r)).code).toBe('EIDRM'); // but no one new gets in
  });

  it('file: a 0600 file in a private 0700 directory; a symlink in its place is refused (O_NOFOLLOW); its bytes persist after both processes', async () => {
    const r = create('file', 4096);
    if (r.params.kind !== 'file') throw new Error('kind');
    expect(statSync(r.params.path).mode & 0o777).toBe(0o600);
    expect(statSync(dirname(r.params.path)).mode & 0o777).toBe(0o700);
    const dir = mkdtempSync(join(tmpdir(), 'ipc-compare-shm-test-'));
    try {
      const target = join(dir, 'target');
      writeFileSync(target, Buffer.alloc(8192));
      const link = join(dir, 'link');
      symlinkSync(target, link);
      expect(lstatSync(link).isSymbolicLink()).toBe(true);
      expect((await peer({ params: { kind: 'file', size: 4096, path: link }, inheritFds: [] })).code).toBe('ELOOP');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a full /dev/shm', () => {
  // A mount namespace of its own needs root.
  it.skipIf(process.getuid?.() !== 0)('is ENOSPC when the region is made, never SIGBUS when it is first touched (a 64 KiB /dev/shm in a private mount namespace)', async () => {
    const script = `import { createRegion } from '@ipc-compare/shm';
      try { createRegion('posix', 1 << 20); console.log('made'); } catch (e) { console.log(e.code + ' ' + e.syscall); }
      const { readdirSync } = await import('node:fs'); console.log(readdirSync('/dev/shm').length);`;
    const out = await new Promise<string>((resolve) =>
      execFile('unshare', ['-m', 'sh', '-c', `mount -t tmpfs -o size=64k tmpfs /dev/shm && exec "${process.execPath}" --input-type=module -e "$0"`, script], { cwd: dirname(PEER) }, (_err, stdout) => resolve(stdout)),
    );
    expect(out.trim().split('\n')).toEqual(['ENOSPC posix_fallocate', '0']);
  });
});
