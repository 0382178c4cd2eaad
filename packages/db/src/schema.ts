// The drizzle tables, and nothing that connects: importing this module never opens a database.
export { accessTokens, keys, providers, proxies, quotaBuckets } from './schema/pool.js';
export {
  ATTEMPT_OUTCOMES,
  ATTEMPT_SOURCES,
  type AttemptSource,
  attempts,
  STATE_CHANGE_SCOPES,
  stateChanges,
} from './schema/records.js';
export { affinity, keeperLeadership, responseCache } from './schema/runtime.js';
export { leases, RATE_WINDOW_KINDS, type RateWindowKind, rateWindows, triples } from './schema/triples.js';
