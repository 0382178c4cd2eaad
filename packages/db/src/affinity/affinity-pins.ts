import type { Database } from '../database.js';

/** Which key served a conversation prefix on one provider/model, and when that choice last changed. */
export interface AffinityPin {
  hash: string;
  provider: string;
  model: string;
  keyId: number;
  /** Epoch ms the pin was made or moved to another key (`updated_at`); a mere TTL refresh keeps it. */
  changedAt: number;
  /** Epoch ms the pin lapses unless it is used again. */
  expiresAt: number;
}

/** One use of a pin to write: `expiresAt` = the use + the provider's affinity TTL. */
export interface AffinityUse {
  hash: string;
  provider: string;
  model: string;
  keyId: number;
  usedAt: number;
  expiresAt: number;
}

interface PinRow extends Record<string, unknown> {
  hash: string;
  provider: string;
  model: string;
  key_id: string | number;
  changed_at: number;
  expires_at: number;
}

const COLUMNS = `hash, provider, model, key_id,
  (extract(epoch from updated_at) * 1000)::float8 as changed_at,
  (extract(epoch from expires_at) * 1000)::float8 as expires_at`;

const READ = `select ${COLUMNS} from affinity
  where hash = $1 and expires_at > to_timestamp($2::float8 / 1000)`;

const CHANGED = `select ${COLUMNS} from affinity
  where updated_at > to_timestamp($1::float8 / 1000) and expires_at > to_timestamp($2::float8 / 1000)`;

// One statement for any batch size (unnest). `updated_at` moves only when the key does, so other
// replicas can pull the pins that changed without pulling every refresh. A late write (an older use
// from a slower replica's batch) never shortens the expiry, nor moves back a pin that moved since.
const UPSERT = `insert into affinity as a (hash, provider, model, key_id, expires_at, created_at, updated_at)
  select u.hash, u.provider, u.model, u.key_id, to_timestamp(u.expires / 1000),
    to_timestamp(u.used / 1000), to_timestamp(u.used / 1000)
  from unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::float8[], $6::float8[])
    as u(hash, provider, model, key_id, used, expires)
  on conflict (hash, provider, model) do update set
    key_id = excluded.key_id,
    expires_at = greatest(a.expires_at, excluded.expires_at),
    updated_at = case when a.key_id = excluded.key_id and a.expires_at > excluded.updated_at
      then a.updated_at else excluded.updated_at end
    where a.key_id = excluded.key_id or excluded.updated_at >= a.updated_at`;

/** The live pins of one conversation prefix, on every provider/model it was served by. */
export async function readAffinityPins(
  database: Database,
  hash: string,
  now: number,
): Promise<AffinityPin[]> {
  return (await database.query<PinRow>(READ, [hash, now])).map(toPin);
}

/** Live pins made or moved after `since` (epoch ms), by any replica. */
export async function readChangedAffinityPins(
  database: Database,
  since: number,
  now: number,
): Promise<AffinityPin[]> {
  return (await database.query<PinRow>(CHANGED, [since, now])).map(toPin);
}

/**
 * Writes a batch of uses in one statement. The caller gives at most one use per
 * (hash, provider, model): Postgres refuses to update one row twice in a statement.
 */
export async function upsertAffinityPins(database: Database, uses: readonly AffinityUse[]): Promise<void> {
  if (uses.length === 0) return;
  await database.query(UPSERT, [
    uses.map((use) => use.hash),
    uses.map((use) => use.provider),
    uses.map((use) => use.model),
    uses.map((use) => use.keyId),
    uses.map((use) => use.usedAt),
    uses.map((use) => use.expiresAt),
  ]);
}

function toPin(row: PinRow): AffinityPin {
  return {
    hash: row.hash,
    provider: row.provider,
    model: row.model,
    keyId: Number(row.key_id),
    changedAt: Number(row.changed_at),
    expiresAt: Number(row.expires_at),
  };
}
