import type { LlmgwConfig } from '@llmgw/config';
import type { UpstreamDeps } from '@llmgw/upstream';
import type { Logger } from 'pino';
import type { AffinityStore } from '../affinity/affinity-store.js';
import type { AttemptRecord, Pool } from '../contracts.js';
import type { RelayMetrics } from '../metrics/contract.js';

/** Where finished attempts go: the attempts table (batched), and whatever else wants to count them. */
export interface AttemptSink {
  /** Must not block or throw: it is called on the request path. */
  record(attempt: AttemptRecord): void;
}

export interface RelayDeps {
  config: LlmgwConfig;
  pool: Pool;
  upstream: UpstreamDeps;
  attempts: AttemptSink;
  log: Logger;
  now: () => number;
  /** Prompt-cache affinity (conversation → key); absent = no affinity. */
  affinity?: AffinityStore;
  /** Fallbacks and finished requests for `/metrics`; absent = not counted. */
  metrics?: RelayMetrics;
}
