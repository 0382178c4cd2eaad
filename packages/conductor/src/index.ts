export { type AffinityStore, type AffinityStoreDeps, createAffinityStore } from './affinity/index.js';
export { createResponseCache, type ResponseCache } from './cache/index.js';
export {
  type AppDeps,
  type Conductor,
  type ConductorOptions,
  createApp,
  resolveTiers,
  startConductor,
} from './http/index.js';
export {
  createGatewayMetrics,
  type Exposition,
  type GatewayMetrics,
  type GatewayMetricsSet,
  type MetricsExposition,
  readExposition,
  type Sample,
  teeAttemptSink,
} from './metrics/index.js';
export { loadOfflineResponder, type OfflineResponder } from './offline/index.js';
export { createPool, poolGaugeSource } from './pool/index.js';
export { createAttemptRecorder, createRelay } from './relay/index.js';
