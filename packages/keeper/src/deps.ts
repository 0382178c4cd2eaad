import type { LlmgwConfig } from '@llmgw/config';
import type { Database } from '@llmgw/db';
import type { UpstreamDeps } from '@llmgw/upstream';
import type { Logger } from 'pino';
import type { KeeperMetrics } from './metrics/keeper-metrics.js';

/**
 * What the keeper's parts are given. Nothing here is global: tests build it with a test database,
 * the fake upstream and a captured logger.
 */
export interface KeeperDeps {
  config: LlmgwConfig;
  database: Database;
  /** The call pipeline (http clients, credentials, clock) probes go through. */
  upstream: UpstreamDeps;
  keysDir: string;
  proxiesDir: string;
  log: Logger;
  now: () => number;
  /** Shown as `actor` in the audit log. */
  actor: string;
  /** Probe counts for `/metrics`; absent = not counted. */
  metrics?: KeeperMetrics;
}
