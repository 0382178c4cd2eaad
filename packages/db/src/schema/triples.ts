import { FAILURE_REASONS, type FailureReason, TRIPLE_STATES, type TripleState } from '@llmgw/core';
import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  check,
  index,
  integer,
  pgTable,
  primaryKey,
  real,
  text,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { at, bigintId, bigintRef, createdAt, oneOf, updatedAt } from './columns.js';
import { keys, providers } from './pool.js';

/**
 * A provider–key–model triple: the unit that is leased, probed, rate-limited and broken. `provider` is
 * copied from the key so the lease query filters on one index without a join.
 */
export const triples = pgTable(
  'triples',
  {
    id: bigintId(),
    keyId: bigintRef('key_id')
      .notNull()
      .references(() => keys.id, { onDelete: 'cascade' }),
    provider: text('provider')
      .notNull()
      .references(() => providers.name, { onUpdate: 'cascade' }),
    model: text('model').notNull(),
    state: text('state').$type<TripleState>().notNull().default('untested'),
    /** The failure reason that put the triple in its current state; null when healthy. */
    reason: text('reason').$type<FailureReason>(),
    cooldownUntil: at('cooldown_until'),
    consecutiveFailures: integer('consecutive_failures').notNull().default(0),
    /** k in the breaker's base·2^k open time; reset by a success. */
    breakerLevel: integer('breaker_level').notNull().default(0),
    /** Half-open: exactly one trial (probe or real request) may hold it. */
    halfOpen: boolean('half_open').notNull().default(false),
    /** Optimistic start so an untested triple is not ranked below a flaky one. */
    ewmaSuccess: real('ewma_success').notNull().default(1),
    ewmaLatencyMs: real('ewma_latency_ms'),
    /** Concurrency reserved by live leases; the limit check and the lease update it in one statement. */
    inflight: integer('inflight').notNull().default(0),
    lastUsedAt: at('last_used_at'),
    lastProbedAt: at('last_probed_at'),
    lastOkAt: at('last_ok_at'),
    nextProbeAt: at('next_probe_at'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (table) => [
    uniqueIndex('triples_key_model_unique').on(table.keyId, table.model),
    index('triples_lease_idx').on(table.provider, table.model, table.state, table.cooldownUntil),
    index('triples_next_probe_idx').on(table.nextProbeAt),
    check('triples_state_check', oneOf(table.state, TRIPLE_STATES)),
    check('triples_reason_check', oneOf(table.reason, FAILURE_REASONS)),
    check('triples_inflight_non_negative', sql`${table.inflight} >= 0`),
  ],
);

/**
 * A replica's hold on a triple. It expires on its own (`expires_at`) so a dead holder never pins a key;
 * `slots` > 1 when a replica claims a small block of requests at once to save round trips, and
 * `reserved_tokens` is what was charged to the rate windows before the call, reconciled after it.
 */
export const leases = pgTable(
  'leases',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tripleId: bigintRef('triple_id')
      .notNull()
      .references(() => triples.id, { onDelete: 'cascade' }),
    holder: text('holder').notNull(),
    requestId: text('request_id'),
    slots: integer('slots').notNull().default(1),
    reservedTokens: integer('reserved_tokens').notNull().default(0),
    expiresAt: at('expires_at').notNull(),
    createdAt: createdAt(),
  },
  (table) => [
    index('leases_triple_idx').on(table.tripleId),
    index('leases_expires_idx').on(table.expiresAt),
    index('leases_holder_idx').on(table.holder),
    check('leases_slots_positive', sql`${table.slots} > 0`),
  ],
);

export const RATE_WINDOW_KINDS = ['minute', 'day'] as const;
export type RateWindowKind = (typeof RATE_WINDOW_KINDS)[number];

/**
 * Requests and tokens counted per triple per window (RPM/TPM per minute, RPD per day), shared by every
 * replica so limits are global. The upstream's own `x-ratelimit-remaining-*` figures seed the window.
 */
export const rateWindows = pgTable(
  'rate_windows',
  {
    tripleId: bigintRef('triple_id')
      .notNull()
      .references(() => triples.id, { onDelete: 'cascade' }),
    kind: text('kind').$type<RateWindowKind>().notNull(),
    windowStart: at('window_start').notNull(),
    requests: integer('requests').notNull().default(0),
    tokens: bigint('tokens', { mode: 'number' }).notNull().default(0),
    upstreamRemainingRequests: integer('upstream_remaining_requests'),
    upstreamRemainingTokens: bigint('upstream_remaining_tokens', { mode: 'number' }),
    upstreamResetAt: at('upstream_reset_at'),
    updatedAt: updatedAt(),
  },
  (table) => [
    primaryKey({ name: 'rate_windows_pk', columns: [table.tripleId, table.kind, table.windowStart] }),
    index('rate_windows_window_start_idx').on(table.windowStart),
    check('rate_windows_kind_check', oneOf(table.kind, RATE_WINDOW_KINDS)),
  ],
);
