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
