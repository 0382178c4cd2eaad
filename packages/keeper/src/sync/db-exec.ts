import type { Db } from '@llmgw/db';
import { type SQL, sql } from 'drizzle-orm';

/** A transaction or the database itself: everything the sync writes goes through one of them. */
export type Executor = Db | Parameters<Parameters<Db['transaction']>[0]>[0];

/**
 * Runs raw SQL and returns its rows. The sync is set-based SQL (unnest arrays, data-modifying CTEs)
 * that the query builder does not express; both drivers answer with `{ rows }`.
 */
export async function queryRows<Row>(executor: Executor, query: SQL): Promise<Row[]> {
  const result: unknown = await executor.execute(query);
  if (typeof result === 'object' && result !== null && 'rows' in result && Array.isArray(result.rows)) {
    return result.rows as Row[];
  }
  throw new Error('database driver returned no rows array');
}

/** A count from `select count(*)::int as n`; drivers differ in how they hand back integers. */
export async function queryCount(executor: Executor, query: SQL): Promise<number> {
  const [row] = await queryRows<{ n: unknown }>(executor, query);
  return row === undefined ? 0 : toNumber(row.n);
}

/** bigint ids come back as strings from node-postgres and as numbers or bigints from PGlite. */
export function toNumber(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint' || typeof value === 'string') return Number(value);
  throw new Error(`expected a number from the database, got ${typeof value}`);
}

export function toNullableNumber(value: unknown): number | null {
  return value === null || value === undefined ? null : toNumber(value);
}

/** Splits rows into statements of bounded size, so one huge file never becomes one huge statement. */
export function chunk<T>(items: readonly T[], size = 1000): T[][] {
  const chunks: T[][] = [];
  for (let start = 0; start < items.length; start += size) chunks.push(items.slice(start, start + size));
  return chunks;
}

/** A point in time as a typed parameter: the same text on both drivers, no reliance on Date serialisation. */
export function at(time: Date): SQL {
  return sql`${time.toISOString()}::timestamptz`;
}
