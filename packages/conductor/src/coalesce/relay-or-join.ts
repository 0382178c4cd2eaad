import { type LlmgwConfig, providerNames, providerSettings } from '@llmgw/config';
import type { Relay, RelayInput, RelayResult } from '../contracts.js';
import { type GatewayMetrics, noopGatewayMetrics } from '../metrics/contract.js';
import { coalesceKey } from './coalesce-key.js';
import { createCoalescer } from './create-coalescer.js';

export interface CoalescingDeps {
  config: LlmgwConfig;
  relay: Relay;
  metrics?: GatewayMetrics;
}

type Coalescing = (input: RelayInput, route: string | undefined, relay: Relay) => Promise<RelayResult>;

// One coalescer per app (its deps object), made on first use: the route code stays one call.
const perApp = new WeakMap<CoalescingDeps, Coalescing | null>();

/**
 * `relay.relay(input)`, unless coalescing is on for every provider the request may use and the
 * request is deterministic: then an identical request in flight is joined instead. When coalescing
 * is off everywhere (the default) this is the plain relay call.
 */
export function relayOrJoin(
  deps: CoalescingDeps,
  route: string | undefined,
  input: RelayInput,
): Promise<RelayResult> {
  let coalescing = perApp.get(deps);
  if (coalescing === undefined) {
    coalescing = createCoalescing(deps.config, deps.metrics ?? noopGatewayMetrics);
    perApp.set(deps, coalescing);
  }
  return coalescing === null ? deps.relay.relay(input) : coalescing(input, route, deps.relay);
}

function createCoalescing(config: LlmgwConfig, metrics: GatewayMetrics): Coalescing | null {
  const everywhere = config.gateway.coalescing.enabled;
  const providers = new Set(
    providerNames(config).filter((name) => providerSettings(config, name).coalescing),
  );
  if (!everywhere && providers.size === 0) return null;
  const coalescer = createCoalescer(metrics);
  return (input, route, relay) => {
    // Per provider: an answer is shared only when whichever provider serves it allowed sharing.
    const allowed = everywhere || input.tiers.every((tier) => tier.every((c) => providers.has(c.provider)));
    const key = allowed ? coalesceKey(input, route) : null;
    return key === null ? relay.relay(input) : coalescer.relay(input, key, relay);
  };
}
