import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import type * as schema from './schema.js';

/**
 * The one query API: drizzle's driver-neutral base type, so code written against it runs unchanged on
 * node-postgres and on PGlite.
 */
export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;

export type DatabaseKind = 'postgres' | 'pglite';

/** Raw SQL for what drizzle does not model: advisory locks, LISTEN/NOTIFY, VACUUM. */
export type RawQuery = <Row extends Record<string, unknown> = Record<string, unknown>>(
  text: string,
  params?: readonly unknown[],
) => Promise<Row[]>;

/**
 * One connection held for as long as the caller needs it. Session-level advisory locks and LISTEN only
 * mean something on a single connection; on Postgres this is a dedicated `pg.Client` outside the pool
 * (so a long listener never starves queries). PGlite has exactly one connection and is single-process:
 * its session is that connection, and a lock taken on it is held by the whole process.
 */
export interface DbSession {
  readonly db: Db;
  readonly query: RawQuery;
  /** Subscribes to NOTIFY on `channel`; resolves to an unsubscribe function. */
  listen(channel: string, onPayload: (payload: string) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

export interface Database {
  readonly kind: DatabaseKind;
  readonly db: Db;
  /** Where the data lives, safe to print: the URL with its password masked, or the data directory. */
  readonly target: string;
  readonly query: RawQuery;
  openSession(): Promise<DbSession>;
  /** True when a trivial query succeeds; never throws. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}
