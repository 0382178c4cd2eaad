import { type LlmgwConfig, providerNames, providerSettings } from '@llmgw/config';
import type { Candidate, Lease, PreferredKey, RelayHeaders } from '../contracts.js';
import type { AffinityResult, GatewayMetrics } from '../metrics/contract.js';
import type { AffinityStore } from './affinity-store.js';
import { type ConversationKey, conversationKey } from './conversation-key.js';

/** One request's affinity, as the relay uses it: a preference per tier, then the verdict. */
export interface RequestAffinity {
  /** The key to prefer among this tier's candidates; null when none is pinned. */
  prefer(candidates: readonly Candidate[]): PreferredKey | null | Promise<PreferredKey | null>;
  /** `lease` answered the request: pin the conversation to it, say `x-llm-affinity`, count it. */
  served(lease: Lease, headers: RelayHeaders): void;
}

export const AFFINITY_HEADER = 'x-llm-affinity';

/**
 * Builds the per-request affinity, with the providers' settings read once. A request costs nothing
 * (not even the hash) unless one of its providers has affinity on.
 */
export function createRequestAffinity(config: LlmgwConfig, store: AffinityStore, metrics: GatewayMetrics) {
  const ttlByProvider = new Map<string, number>();
  for (const name of providerNames(config)) {
    const { affinity } = providerSettings(config, name);
    if (affinity.enabled) ttlByProvider.set(name, affinity.ttl);
  }
  const any = ttlByProvider.size > 0;

  return (input: {
    operation: string;
    body: Record<string, unknown>;
    tiers: Candidate[][];
  }): RequestAffinity | null => {
    if (!any || input.operation !== 'chat') return null;
    if (!input.tiers.some((tier) => tier.some((candidate) => ttlByProvider.has(candidate.provider)))) {
      return null;
    }
    const key = conversationKey(input.body);
    if (key === null) return null;
    return track(store, key, ttlByProvider, metrics);
  };
}

function track(
  store: AffinityStore,
  key: ConversationKey,
  ttlByProvider: ReadonlyMap<string, number>,
  metrics: GatewayMetrics,
): RequestAffinity {
  let hadPin = false;
  let current: PreferredKey | null = null;
  return {
    prefer(candidates) {
      const pinnable = candidates.filter((candidate) => ttlByProvider.has(candidate.provider));
      const take = (pin: PreferredKey | null) => {
        current = pin;
        if (pin !== null) hadPin = true;
        return pin;
      };
      if (pinnable.length === 0) return take(null);
      // From memory (the common case) without a promise; a read-through waits for Postgres.
      const pin = store.pin(key, pinnable);
      return pin instanceof Promise ? pin.then(take) : take(pin);
    },
    served(lease, headers) {
      const ttl = ttlByProvider.get(lease.provider);
      if (ttl === undefined) return;
      store.served(key.hash, lease.provider, lease.model, lease.keyId, ttl);
      const result: AffinityResult =
        current !== null && current.keyId === lease.keyId && current.model === lease.model
          ? 'hit'
          : hadPin
            ? 'moved'
            : 'miss';
      headers[AFFINITY_HEADER] = result;
      metrics.affinity(result);
    },
  };
}
