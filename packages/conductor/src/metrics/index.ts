export {
  type AffinityResult,
  type CacheResult,
  type GatewayMetrics,
  noopGatewayMetrics,
  type PoolGaugeSource,
  type RelayMetrics,
} from './contract.js';
export {
  createGatewayMetrics,
  type GatewayMetricsOptions,
  type GatewayMetricsSet,
  type MetricSources,
  teeAttemptSink,
} from './gateway-metrics.js';
export { type MetricsExposition, metricsRoutes } from './metrics-route.js';
export { type Exposition, readExposition, type Sample } from './read-exposition.js';
