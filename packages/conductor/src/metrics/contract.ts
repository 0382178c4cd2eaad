/*
 * What the conductor's parts report to the metrics (SPEC §9). Fixed first so the parts that count
 * (relay, pool, offline, cache, affinity, coalescing) and the prom-client side can be built apart.
 * Every hook must be cheap and must never throw: they are called on the request path.
 * Labels stay bounded: provider and model names from the config, reasons from the SPEC's table.
 */

export type CacheResult = 'hit' | 'miss' | 'bypass';
export type AffinityResult = 'hit' | 'miss' | 'moved';

export interface GatewayMetrics {
  /** An answered request offline packages served (`llm_gateway_offline_hits_total`). */
  offlineHit(): void;
  /** A response-cache lookup (`llm_gateway_cache_total{result}`). */
  cacheLookup(result: CacheResult): void;
  /** Whether a lease honoured the conversation's pinned key (`llm_gateway_affinity_total{result}`). */
  affinity(result: AffinityResult): void;
  /** A request that shared another one's upstream call (`llm_gateway_coalesced_total`). */
  coalesced(): void;
}

export const noopGatewayMetrics: GatewayMetrics = {
  offlineHit() {},
  cacheLookup() {},
  affinity() {},
  coalesced() {},
};

/**
 * What the relay reports beyond its attempt records (those reach the metrics through the AttemptSink).
 * Provider and model are the lease's (from the config), never the name a client asked for.
 */
export interface RelayMetrics {
  /** A request moved on from a failed attempt to another triple (`llm_gateway_fallbacks_total`). */
  fallback(from: string, to: string, reason: string): void;
  /**
   * A request's answer is complete: JSON returned, or a stream's last byte (`llm_gateway_requests_total`,
   * `llm_gateway_request_duration_seconds`). `provider`/`model` are the last attempt's; undefined when
   * no attempt was made (everything refused).
   */
  requestDone(
    provider: string | undefined,
    model: string | undefined,
    status: number,
    stream: boolean,
    durationMs: number,
  ): void;
}

/** What the pool lets the metrics read at scrape time (never on the request path). */
export interface PoolGaugeSource {
  /** Requests waiting in the fair queue now. */
  queueDepth(): number;
  /** Visits every triple of this replica's view: its provider, state and whether it can be leased now. */
  forEachTriple(visit: (provider: string, state: string, usable: boolean) => void): void;
}
