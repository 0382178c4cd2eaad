import type { LeaseRequest } from '../contracts.js';
import type { PoolView } from './types.js';
import { entriesFor } from './view.js';

/**
 * Why none of the request's candidates can be leased, as counts per state/reason (`dead:invalid_key`,
 * `cooldown:rate_limited`, `provider_cooldown`, `excluded`…). Only computed on the way to a 503.
 */
export function unavailableCounts(
  view: PoolView,
  request: LeaseRequest,
  now: number,
): Record<string, number> {
  const counts: Record<string, number> = {};
  const add = (key: string) => {
    counts[key] = (counts[key] ?? 0) + 1;
  };
  if (!view.loaded) {
    add('pool_not_loaded');
    return counts;
  }
  for (const candidate of request.candidates) {
    const entries = entriesFor(view, candidate.provider, candidate.model);
    if (!entries || entries.length === 0) {
      add('no_triples');
      continue;
    }
    for (const entry of entries) {
      if (entry.blocked !== null) add(entry.blocked);
      else if (entry.until > now) add(entry.untilReason);
      else if (request.excludeTriples.has(entry.id) || request.excludeKeys.has(entry.keyId)) add('excluded');
      else add('usable');
    }
  }
  return counts;
}
