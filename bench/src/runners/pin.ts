// Pins this process (all its threads) for the duration of one measurement, then gives back the CPUs
// it had, so the next row's placement starts from a clean slate.
import { pinProcess } from '@ipc-compare/core';
import { getAffinity } from '@ipc-compare/native';

const original = getAffinity(process.pid);

export async function withPinnedSelf<T>(cpu: number | null, body: () => Promise<T>): Promise<T> {
  if (cpu === null) return body();
  pinProcess(process.pid, [cpu]);
  try {
    return await body();
  } finally {
    pinProcess(process.pid, original);
  }
}
