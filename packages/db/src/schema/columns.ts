import { type SQL, sql } from 'drizzle-orm';
import { type AnyPgColumn, bigint, timestamp } from 'drizzle-orm/pg-core';

/** Every point in time is timestamptz: replicas may run in different zones, the database decides. */
export function at(name: string) {
  return timestamp(name, { withTimezone: true, mode: 'date' });
}

export function createdAt() {
  return at('created_at').notNull().defaultNow();
}

export function updatedAt() {
  return at('updated_at').notNull().defaultNow();
}

/**
 * Surrogate ids are bigint identities: compact in the hot lease and rate-window indexes, cheap to join,
 * and short enough for an operator to type (`llmgw keys reset openai --key 42`, `x-llm-key-id: 42`).
 * `mode: 'number'` is safe: a pool will not see 2^53 rows.
 */
export function bigintId() {
  return bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity();
}

export function bigintRef(name: string) {
  return bigint(name, { mode: 'number' });
}

/**
 * A text column restricted to a fixed list, as a CHECK rather than a pg enum: the lists live in
 * `@llmgw/core` and grow, and a CHECK is replaced in one transactional migration while
 * `ALTER TYPE … ADD VALUE` cannot be used in the transaction that adds it.
 */
export function oneOf(column: AnyPgColumn, values: readonly string[]): SQL {
  const list = values.map((value) => `'${value.replaceAll("'", "''")}'`).join(', ');
  return sql`${column} in (${sql.raw(list)})`;
}
