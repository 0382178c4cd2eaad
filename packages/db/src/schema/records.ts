import { type AttemptOutcome, FAILURE_REASONS, type VerdictScope } from '@llmgw/core';
import { boolean, check, index, integer, jsonb, pgTable, text } from 'drizzle-orm/pg-core';
import { bigintId, bigintRef, createdAt, oneOf } from './columns.js';

export const ATTEMPT_OUTCOMES = [
  'ok',
  'client_abort',
  ...FAILURE_REASONS,
] as const satisfies readonly AttemptOutcome[];

/** Where an answer came from: an upstream call (local providers included), the response cache, or an offline package. */
export const ATTEMPT_SOURCES = ['upstream', 'cache', 'offline'] as const;
export type AttemptSource = (typeof ATTEMPT_SOURCES)[number];

/**
 * The request log: one row per attempt, real or probe, written in batches. No foreign keys on purpose:
 * batch inserts stay cheap and a row outlives nothing it points at (keys are soft-deleted anyway).
 * Pruned by `created_at` after the retention period.
 */
export const attempts = pgTable(
  'attempts',
  {
    id: bigintId(),
    requestId: text('request_id').notNull(),
    /** 1-based position in the request's attempt trail (`x-llm-attempt-trail`). */
    attemptNo: integer('attempt_no').notNull().default(1),
    /** The attempt whose outcome reached the caller; counting these counts requests. */
    final: boolean('final').notNull().default(false),
    source: text('source').$type<AttemptSource>().notNull().default('upstream'),
    provider: text('provider').notNull(),
    model: text('model').notNull(),
    keyId: bigintRef('key_id'),
    tripleId: bigintRef('triple_id'),
    /** Lets the correlation rule see "every key behind this proxy failed at once". */
    proxyId: bigintRef('proxy_id'),
    outcome: text('outcome').$type<AttemptOutcome>().notNull(),
    status: integer('status'),
    latencyMs: integer('latency_ms'),
    ttfbMs: integer('ttfb_ms'),
    promptTokens: integer('prompt_tokens'),
    completionTokens: integer('completion_tokens'),
    cachedTokens: integer('cached_tokens'),
    stream: boolean('stream').notNull().default(false),
    probe: boolean('probe').notNull().default(false),
    /** Key-free summary from the classifier; never an upstream body verbatim. */
    message: text('message'),
    createdAt: createdAt(),
  },
  (table) => [
    index('attempts_created_idx').on(table.createdAt),
    index('attempts_provider_created_idx').on(table.provider, table.createdAt),
    index('attempts_request_idx').on(table.requestId),
    check('attempts_outcome_check', oneOf(table.outcome, ATTEMPT_OUTCOMES)),
    check('attempts_source_check', oneOf(table.source, ATTEMPT_SOURCES)),
  ],
);

export const STATE_CHANGE_SCOPES = [
  'triple',
  'key',
  'bucket',
  'provider',
  'proxy',
] as const satisfies readonly VerdictScope[];

/**
 * Audit log of every state change (SPEC §5). States are free text because they differ by scope (a
 * proxy is healthy/bad, a triple has TRIPLE_STATES); `reason` is a failure reason or an operator/keeper
 * action such as `manual_reset`, `amnesty` or `key_removed`. `evidence` holds what decided it.
 */
export const stateChanges = pgTable(
  'state_changes',
  {
    id: bigintId(),
    scope: text('scope').$type<VerdictScope>().notNull(),
    /** Human-readable subject (`openai/42/gpt-4o`, `gemini`, `pool:eu/7`); never a secret. */
    subject: text('subject').notNull(),
    tripleId: bigintRef('triple_id'),
    keyId: bigintRef('key_id'),
    fromState: text('from_state'),
    toState: text('to_state').notNull(),
    reason: text('reason'),
    evidence: jsonb('evidence'),
    /** Who made the change: a replica id, the keeper, or `operator`. */
    actor: text('actor'),
    createdAt: createdAt(),
  },
  (table) => [
    index('state_changes_created_idx').on(table.createdAt),
    index('state_changes_key_created_idx').on(table.keyId, table.createdAt),
    index('state_changes_triple_created_idx').on(table.tripleId, table.createdAt),
    check('state_changes_scope_check', oneOf(table.scope, STATE_CHANGE_SCOPES)),
  ],
);
