// Peer roles that let a test observe, from inside the child, what it really holds.
import { readlinkSync } from 'node:fs';
import type { Role } from '@ipc-compare/core/testing';
import { accessMode, fstat, read, write } from '@ipc-compare/native';

function codeOf(fn: () => unknown): string {
  try {
    fn();
    return 'ok';
  } catch (err) {
    return (err as { code?: string }).code ?? String(err);
  }
}

/**
 * Describes each inherited fd (kind, access mode, what /proc says it is) and tries the wrong direction
 * on each: write to the read end, read from the write end.
 */
const probe: Role = ({ spec }) => {
  const fds = spec.inheritFds ?? [];
  return fds.map((fd) => ({
    fd,
    type: fstat(fd).type,
    mode: accessMode(fd),
    target: readlinkSync(`/proc/self/fd/${fd}`),
    writeResult: accessMode(fd) === 'read' ? codeOf(() => write(fd, Buffer.from('x'))) : 'not tried',
    readResult: accessMode(fd) === 'write' ? codeOf(() => read(fd, Buffer.alloc(1))) : 'not tried',
  }));
};

export const roles: Record<string, Role> = { probe };
