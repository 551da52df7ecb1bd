// Operations waiting under AbortSignals, grouped by signal: one 'abort' listener per signal however
// many operations share it. A caller that passes one signal to a thousand queued sends would otherwise
// add a thousand listeners (and Node's MaxListenersExceededWarning), all kept until each send settles.

export class AbortGroups<T> {
  readonly #bySignal = new Map<AbortSignal, { members: Set<T>; onAbort: () => void }>();
  readonly #onAbort: (signal: AbortSignal, members: ReadonlySet<T>) => void;

  /** `onAbort` gets every member still in the group when its signal fires (the group is gone by then). */
  constructor(onAbort: (signal: AbortSignal, members: ReadonlySet<T>) => void) {
    this.#onAbort = onAbort;
  }

  add(signal: AbortSignal, member: T): void {
    let g = this.#bySignal.get(signal);
    if (!g) {
      const members = new Set<T>();
      const onAbort = () => {
        this.#bySignal.delete(signal);
        this.#onAbort(signal, members);
      };
      g = { members, onAbort };
      this.#bySignal.set(signal, g);
      signal.addEventListener('abort', onAbort, { once: true });
    }
    g.members.add(member);
  }

  /** The member settled: it no longer waits on `signal` (the listener goes with the last one). */
  delete(signal: AbortSignal, member: T): void {
    const g = this.#bySignal.get(signal);
    if (!g || !g.members.delete(member) || g.members.size > 0) return;
    signal.removeEventListener('abort', g.onAbort);
    this.#bySignal.delete(signal);
  }
}
