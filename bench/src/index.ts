// @ipc-compare/bench as a library: run the benchmarks from code and read the results.
export { findMechanisms, mechanisms, type Mechanism } from './mechanisms.js';
export { parseSize, planGroups, profiles, type Member, type PlannedGroup, type Profile, type Suite } from './plan.js';
export { runBenchmarks, CPU_TIME_SOURCE, type RunOptions } from './run.js';
export { applyRatios, latencyRow, throughputRow } from './aggregate.js';
export { machineInfo, cpuTopology } from './machine.js';
export { renderTable } from './report/table.js';
export { formatNs, formatSize, implLabel } from './report/format.js';
export { Histogram, SUB_BUCKET_BITS, bucketIndex, bucketLow, type HistogramData } from './histogram.js';
export { UNSTABLE_SPREAD, isUnstable, latencyStats, median, percentile, spreadOf, type LatencyStats, type Spread } from './stats.js';
export * from './protocol.js';
export * from './results.js';
