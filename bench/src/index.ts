// @ipc-compare/bench as a library: run the benchmarks from code and read the results.
export { findMechanisms, mechanisms, type Mechanism } from './mechanisms.js';
export { parseSize, planRows, profiles, type PlannedRow, type Profile, type Suite } from './plan.js';
export { applyRatios, runBenchmarks, type RunOptions } from './run.js';
export { renderTable, formatNs } from './report/table.js';
export { latencyStats, percentile, type LatencyStats } from './stats.js';
export * from './protocol.js';
export * from './results.js';
