import { collectDefaultMetrics, Registry } from 'prom-client';

// prom-client samples event-loop lag with a 10 ms timer by default: 100 wake-ups a second in a
// process that may have nothing else to do, and in `pnpm bench:compare` 0.6 of a slice per gateway
// request spent being scheduled for that timer. Every 100 ms still catches any stall that matters to
// a request and fills the lag percentiles with ten samples a second.
const LAG_SAMPLE_MS = 100;

/** One registry per process, with Node's own figures (memory, CPU, event-loop lag) beside ours. */
export function createProcessRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: LAG_SAMPLE_MS });
  return registry;
}
