import type { RawQuery, UnusedGrant } from '@llmgw/db';
import type { Choice } from './choose.js';
import type { Outcomes } from './outcomes.js';
import type { PoolDeps, PoolView } from './types.js';

/** The mutable state one pool instance shares between its parts. */
export interface PoolContext {
  deps: PoolDeps;
  query: RawQuery;
  view: PoolView;
  outcomes: Outcomes;
  /** `gateway.lease_ttl`: a `leases` row not heartbeated for this long is reclaimed by anyone. */
  ttlMs: number;
  /** How long an idle concurrency slot stays with this replica before it goes back. */
  lingerMs: number;
  /** After a database error, no claim is tried before this time (no hammering a dead server). */
  claimBackoffUntil: number;
  /** Rows whose give-back failed (database down): retried by the maintenance tick. */
  strayRows: string[];
  /** Grants left over when a minute slice ended, given back to the shared window in batches. */
  unusedGrants: UnusedGrant[];
  closed: boolean;
  /** The latest LRU stamp given (see makeLease). */
  lastStamp: number;
  /** Scratch result of `choose`: read at once, before any await. */
  choice: Choice;
  /** Capacity may have come back: wake the queue. */
  wake(): void;
  /** Logs a database problem at most once per few seconds per kind. */
  warn(kind: string, error: unknown, context?: Record<string, unknown>): void;
}
