// results.json as text: indented like JSON.stringify(…, null, 2), except that an array or object
// holding only numbers, strings, booleans and null (or an array of such arrays, like a histogram's
// buckets) stays on one line — a row's repetitions and histogram would otherwise take thousands of
// lines. JSON.parse reads it back unchanged.
import type { Results } from '../results.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function isFlat(v: Json): boolean {
  const isPrimitive = (x: Json) => x === null || typeof x !== 'object';
  if (Array.isArray(v)) return v.every((x) => isPrimitive(x) || (Array.isArray(x) && x.every(isPrimitive)));
  return v !== null && typeof v === 'object' && Object.values(v).every(isPrimitive);
}

function format(v: Json, indent: string): string {
  if (v === null || typeof v !== 'object' || isFlat(v)) return JSON.stringify(v);
  const inner = `${indent}  `;
  if (Array.isArray(v)) return v.length === 0 ? '[]' : `[\n${v.map((x) => inner + format(x, inner)).join(',\n')}\n${indent}]`;
  const entries = Object.entries(v).filter(([, x]) => x !== undefined);
  if (entries.length === 0) return '{}';
  return `{\n${entries.map(([k, x]) => `${inner}${JSON.stringify(k)}: ${format(x, inner)}`).join(',\n')}\n${indent}}`;
}

export function formatResultsJson(results: Results): string {
  // Through JSON first: toJSON() methods, undefined dropped, non-finite numbers as null.
  return `${format(JSON.parse(JSON.stringify(results)) as Json, '')}\n`;
}
