import type { LlmgwConfig } from '@llmgw/config';
import type { Database } from '@llmgw/db';
import type { Logger } from 'pino';
import type { ResponseCache } from '../cache/response-cache.js';
import type { Pool, Relay } from '../contracts.js';
import type { GatewayMetrics } from '../metrics/contract.js';
import type { MetricsExposition } from '../metrics/metrics-route.js';
import type { OfflineResponder } from '../offline/offline-responder.js';

/** What the HTTP surface is built from; tests pass their own Relay and Pool. */
export interface AppDeps {
  config: LlmgwConfig;
  relay: Relay;
  pool: Pool;
  database: Database;
  log: Logger;
  /** Counters beyond what the relay and pool report themselves; default: counts nothing. */
  metrics?: GatewayMetrics;
  /** Served at `GET /metrics` (a prom-client Registry); absent = no metrics endpoint. */
  metricsRegistry?: MetricsExposition;
  /** Offline packages (SPEC §8); absent in online mode or with none loaded (costs nothing then). */
  offline?: OfflineResponder;
  /** The response cache; absent when `gateway.cache.enabled` is off. */
  cache?: ResponseCache;
  now?: () => number;
}
