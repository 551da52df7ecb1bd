// Which hosts a spec may make this process connect to: loopback only, unless the caller allows more.
import { isIP } from 'node:net';
import { ipcError } from './errors.js';
import type { AttachOptions } from './types.js';

export function isLoopback(host: string): boolean {
  if (isIP(host) === 4) return host.startsWith('127.');
  const h = host.toLowerCase();
  return h === '::1' || h.startsWith('::ffff:127.');
}

/** Throws ERR_REMOTE_NOT_ALLOWED for a non-loopback host unless `opts.allowRemote`. */
export function checkAttachHost(transport: string, host: string, opts: AttachOptions | undefined): void {
  if (isLoopback(host) || opts?.allowRemote === true) return;
  throw ipcError('ERR_REMOTE_NOT_ALLOWED', `${transport}: the spec names ${host}, which is not a loopback address; attach with { allowRemote: true } to connect across the network`, { host });
}

/** 'inet' or 'inet6' for an IP address; ERR_INVALID_ARG_VALUE for anything else (no name lookups). */
export function ipFamily(host: string): 'inet' | 'inet6' {
  const v = isIP(host);
  if (v === 0) throw ipcError('ERR_INVALID_ARG_VALUE', `host must be an IPv4 or IPv6 address (got ${JSON.stringify(host)})`);
  return v === 4 ? 'inet' : 'inet6';
}
