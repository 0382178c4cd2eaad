export {
  type AdminKey,
  type AdminKeyFilter,
  type AdminKeyPage,
  type AdminTriple,
  type AuditEntry,
  type AuditFilter,
  type AuditPage,
  findKeyRef,
  type KeeperLeader,
  type KeyRef,
  type KeyToggleResult,
  listAdminKeys,
  listAuditLog,
  type PoolSummary,
  type ProviderSummary,
  type ProviderTraffic,
  poolSummary,
  setKeyDisabled,
  type TrafficRates,
  trafficRates,
} from './admin/index.js';
export {
  type AffinityPin,
  type AffinityUse,
  readAffinityPins,
  readChangedAffinityPins,
  upsertAffinityPins,
} from './affinity/affinity-pins.js';
export {
  type CachedResponse,
  type CachedResponseEntry,
  pruneCachedResponses,
  putCachedResponse,
  takeCachedResponse,
} from './cache/response-cache.js';
export { maskDatabaseUrl } from './connection-errors.js';
export { type CreateDatabaseOptions, createDatabase } from './create-database.js';
export type { Database, DatabaseKind, Db, DbSession, RawQuery } from './database.js';
export { ADVISORY_LOCK_IDS } from './internal.js';
export { type MigrateOptions, migrateDatabase } from './migrate-database.js';
export { countShippedMigrations, MIGRATIONS_FOLDER } from './migrations-state.js';
export { type AttemptRow, insertAttempts } from './pool/insert-attempts.js';
export {
  listStateChanges,
  listTriples,
  type StateChangeView,
  type TripleFilter,
  type TripleView,
} from './pool/pool-views.js';
export {
  claimRateWindow,
  MINUTE_SLICE_MS,
  type RateClaim,
  refundRateWindow,
  returnUnusedGrants,
  type UnusedGrant,
  windowEnd,
  windowStart,
} from './pool/rate-window.js';
export { type OutcomeInput, type OutcomeResult, recordTripleOutcome } from './pool/record-outcome.js';
export {
  type ResetReport,
  type ResetSelector,
  resetTriples,
  resetTriplesReport,
} from './pool/reset-triples.js';
export { type Readiness, readiness } from './readiness.js';
export { describeDbError } from './safe-error.js';
export {
  type AttemptFigures,
  type AttemptStats,
  type CachedShare,
  queryAttemptStats,
  STATS_GROUPINGS,
  type StatsGroup,
  type StatsGrouping,
  type StatsQuery,
} from './stats/attempt-stats.js';
export { listSmokeTriples, type SmokeTriple } from './stats/smoke-keys.js';
