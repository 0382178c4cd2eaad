import { collectDefaultMetrics, Registry } from 'prom-client';

/** One registry per process, with Node's own figures (memory, CPU, event-loop lag) beside ours. */
export function createProcessRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}
