// Formatting of figures for the reports: pure functions of numbers and row labels, nothing else
// loaded (rendering a saved results.json must not need the runners or the addon).

/** "412 ns", "5.12 µs", "98.1 µs", "88.02 ms". */
export function formatNs(ns: number): string {
  if (ns < 1000) return `${ns.toFixed(0)} ns`;
  if (ns < 1e6) return `${(ns / 1000).toFixed(ns < 1e4 ? 2 : 1)} µs`;
  return `${(ns / 1e6).toFixed(2)} ms`;
}

/** A range in the unit of its upper end: "4.98–5.31 µs", "980 ns–1.02 µs" only when the units differ. */
export function formatNsRange(min: number, max: number): string {
  const [a, ua] = splitUnit(formatNs(min));
  const [b, ub] = splitUnit(formatNs(max));
  return ua === ub ? `${a}–${b} ${ub}` : `${a} ${ua}–${b} ${ub}`;
}

function splitUnit(text: string): [string, string] {
  const i = text.lastIndexOf(' ');
  return [text.slice(0, i), text.slice(i + 1)];
}

/** "1 B", "64 KiB", "1 MiB", "65507 B". */
export function formatSize(n: number): string {
  return n >= 1 << 20 && n % (1 << 20) === 0 ? `${n >> 20} MiB` : n >= 1024 && n % 1024 === 0 ? `${n >> 10} KiB` : `${n} B`;
}

/** "1.42 M", "925.6 k", "742". */
export function formatRate(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} k`;
  return n.toFixed(0);
}

/** MB/s with the digits that matter: "59.2", "3943". */
export function formatMBps(n: number): string {
  return n.toFixed(n < 100 ? 1 : 0);
}

/** "C", "TS blocking", "TS async", "Node async". */
export function implLabel(r: { impl: string; path: string }): string {
  return r.impl === 'c' ? 'C' : r.impl === 'node' ? `Node ${r.path}` : `TS ${r.path}`;
}

/** "same (1/1)", "split (0/1)", "none". */
export function placementLabel(r: { placement: string; cpus: { parent: number | null; child: number | null } }): string {
  const c = r.cpus;
  return c.parent === null ? 'none' : `${r.placement} (${c.parent}/${c.child})`;
}

/** Left-aligned columns up to `rightFrom`, right-aligned from there, under a rule. */
export function table(header: string[], rows: string[][], rightFrom: number): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i >= rightFrom ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}
