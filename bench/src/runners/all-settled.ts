// Probes that run at once: every one is waited for, even when another failed (each cleans up after
// itself, and none may still be running when the next mechanism's probes start).

/** Starts every probe, waits for all of them, then returns their results in order or throws the first error. */
export async function allSettled<T extends unknown[]>(probes: { [K in keyof T]: () => Promise<T[K]> }): Promise<T> {
  const settled = await Promise.allSettled(probes.map((probe) => probe()));
  const failure = settled.find((r) => r.status === 'rejected');
  if (failure) throw failure.reason;
  return settled.map((r) => (r as PromiseFulfilledResult<unknown>).value) as T;
}
