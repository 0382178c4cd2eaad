export { createKeeperMetrics, type KeeperMetrics } from './keeper-metrics.js';
export { type MetricsServer, type MetricsSource, serveMetrics } from './serve-metrics.js';
