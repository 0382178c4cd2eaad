import { index, integer, jsonb, pgTable, primaryKey, text } from 'drizzle-orm/pg-core';
import { at, bigintRef, createdAt, updatedAt } from './columns.js';

/**
 * Who holds keeper leadership. The advisory lock (`lock_id`) is the truth; this row makes it visible
 * (admin status, `since`) and lets a standby see a stale heartbeat.
 */
export const keeperLeadership = pgTable('keeper_leadership', {
  lockId: integer('lock_id').primaryKey(),
  holder: text('holder').notNull(),
  since: at('since').notNull().defaultNow(),
  heartbeatAt: at('heartbeat_at').notNull().defaultNow(),
});

/** Prompt-cache affinity: a conversation prefix hash → the key that served it, while the provider's cache lives. */
export const affinity = pgTable(
  'affinity',
  {
    hash: text('hash').notNull(),
    provider: text('provider').notNull(),
    model: text('model').notNull(),
    keyId: bigintRef('key_id').notNull(),
    expiresAt: at('expires_at').notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (table) => [
    primaryKey({ name: 'affinity_pk', columns: [table.hash, table.provider, table.model] }),
    index('affinity_expires_idx').on(table.expiresAt),
  ],
);

/**
 * Exact-match response cache for deterministic requests. A non-stream answer is kept in `body`; a
 * stream as its `chunks` so a hit can be replayed as a stream.
 */
export const responseCache = pgTable(
  'response_cache',
  {
    hash: text('hash').primaryKey(),
    provider: text('provider').notNull(),
    model: text('model').notNull(),
    status: integer('status').notNull().default(200),
    body: jsonb('body'),
    chunks: jsonb('chunks').$type<unknown[]>(),
    hits: integer('hits').notNull().default(0),
    lastHitAt: at('last_hit_at'),
    createdAt: createdAt(),
    expiresAt: at('expires_at').notNull(),
  },
  (table) => [index('response_cache_expires_idx').on(table.expiresAt)],
);
