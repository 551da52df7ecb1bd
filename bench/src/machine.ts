// What machine a run was measured on: CPU model and topology, kernel, Node, memory (results.json
// "machine"). Read from node:os, /proc and /sys only.
import { readFileSync, readdirSync } from 'node:fs';
import { availableParallelism, cpus, release, totalmem } from 'node:os';
import { parseCpuList } from '@ipc-compare/core';
import type { CpuTopology, MachineInfo } from './results.js';

function read(path: string): string | null {
  try {
    return readFileSync(path, 'latin1');
  } catch {
    return null; // not Linux, or hidden
  }
}

function cpuList(path: string): number[] | null {
  const text = read(path);
  return text === null ? null : parseCpuList(text);
}

export function cpuTopology(): CpuTopology {
  const status = read('/proc/self/status') ?? '';
  const allowedLine = /^Cpus_allowed_list:\s*(.*)$/m.exec(status);
  const fallback = Array.from({ length: availableParallelism() }, (_, i) => i);
  const allowed = allowedLine ? parseCpuList(allowedLine[1]!) : fallback;
  const online = cpuList('/sys/devices/system/cpu/online') ?? allowed;
  const smtSiblings: number[][] = [];
  const seen = new Set<number>();
  for (const cpu of online) {
    if (seen.has(cpu)) continue;
    const group = (cpuList(`/sys/devices/system/cpu/cpu${cpu}/topology/thread_siblings_list`) ?? [cpu]).filter((c) => online.includes(c));
    if (!group.includes(cpu)) group.push(cpu);
    group.sort((a, b) => a - b);
    for (const c of group) seen.add(c);
    smtSiblings.push(group);
  }
  let nodes: string[] = [];
  try {
    nodes = readdirSync('/sys/devices/system/node').filter((n) => /^node\d+$/.test(n));
  } catch {
    // no NUMA information
  }
  const numaNodes = nodes
    .map((n) => ({ node: Number(n.slice(4)), cpus: cpuList(`/sys/devices/system/node/${n}/cpulist`) ?? [] }))
    .sort((a, b) => a.node - b.node);
  return { model: cpus()[0]?.model ?? 'unknown', online, allowed, smtSiblings, numaNodes };
}

export function machineInfo(): MachineInfo {
  const topology = cpuTopology();
  return {
    cpuModel: topology.model,
    cores: availableParallelism(),
    kernel: release(),
    node: process.version,
    platform: process.platform,
    arch: process.arch,
    memoryBytes: totalmem(),
    virtualized: /\bhypervisor\b/.test(read('/proc/cpuinfo') ?? ''),
    topology,
  };
}
