import type { Database } from '../database.js';

/** A cached answer: a JSON body, or a stream as its `data:` payloads (without the final `[DONE]`). */
export interface CachedResponse {
  provider: string;
  model: string;
  status: number;
  body: unknown;
  /** The SSE payloads in order, as the exact text the client received (so a replay is byte-identical). */
  chunks: string[] | null;
}

export interface CachedResponseEntry extends CachedResponse {
  hash: string;
  expiresAt: Date;
}

// Reading and counting the hit is one statement: a hit costs one round trip, and an expired row is
// never served even before the keeper prunes it.
const TAKE = `update response_cache set hits = hits + 1, last_hit_at = $2
  where hash = $1 and expires_at > $2
  returning provider, model, status, body, chunks`;

const PUT = `insert into response_cache (hash, provider, model, status, body, chunks, expires_at, created_at, hits)
  values ($1, $2, $3, $4, $5::jsonb, $6::jsonb, $7, $8, 0)
  on conflict (hash) do update set provider = excluded.provider, model = excluded.model,
    status = excluded.status, body = excluded.body, chunks = excluded.chunks,
    expires_at = excluded.expires_at, created_at = excluded.created_at, hits = 0, last_hit_at = null`;

/** The live entry for `hash` (counting the hit), or undefined when there is none or it expired. */
export async function takeCachedResponse(
  database: Database,
  hash: string,
  now: Date,
): Promise<CachedResponse | undefined> {
  const [row] = await database.query<{
    provider: string;
    model: string;
    status: number;
    body: unknown;
    chunks: unknown;
  }>(TAKE, [hash, now]);
  if (!row) return undefined;
  const chunks =
    Array.isArray(row.chunks) && row.chunks.every((chunk) => typeof chunk === 'string') ? row.chunks : null;
  return { provider: row.provider, model: row.model, status: row.status, body: row.body, chunks };
}

/** Stores (or replaces) an entry; a replaced entry starts over with its hit count. */
export async function putCachedResponse(
  database: Database,
  entry: CachedResponseEntry,
  now: Date,
): Promise<void> {
  await database.query(PUT, [
    entry.hash,
    entry.provider,
    entry.model,
    entry.status,
    entry.body === undefined || entry.body === null ? null : JSON.stringify(entry.body),
    entry.chunks === null ? null : JSON.stringify(entry.chunks),
    entry.expiresAt,
    now,
  ]);
}

// Counted in the database: a large prune ships one row back, not one per entry.
const PRUNE = `with gone as (delete from response_cache where expires_at <= $1 returning 1)
  select count(*) as count from gone`;

/**
 * Deletes expired entries (those takeCachedResponse no longer serves); returns how many. The keeper's
 * maintenance runs it on its schedule.
 */
export async function pruneCachedResponses(database: Database, now: Date): Promise<number> {
  const [row] = await database.query<{ count: string | number }>(PRUNE, [now]);
  return Number(row?.count ?? 0);
}
