import type { LlmgwConfig } from '@llmgw/config';
import type { Database } from '@llmgw/db';
import type { Logger } from 'pino';
import type { Pool, Relay } from '../contracts.js';
import type { GatewayMetrics } from '../metrics/contract.js';

/** What the HTTP surface is built from; tests pass their own Relay and Pool. */
export interface AppDeps {
  config: LlmgwConfig;
  relay: Relay;
  pool: Pool;
  database: Database;
  log: Logger;
  /** Counters beyond what the relay and pool report themselves; default: counts nothing. */
  metrics?: GatewayMetrics;
  now?: () => number;
}
