import { sql } from 'drizzle-orm';
import { at, chunk, type Executor, queryRows, toNullableNumber, toNumber } from './db-exec.js';
import {
  type DesiredKey,
  type ExistingKey,
  type KeyPlan,
  type KeyRow,
  type PinPool,
  planKeys,
} from './plan-keys.js';

/** A key line resolved to what the table stores, before its bucket has an id. */
export interface FileKey extends Omit<DesiredKey, 'bucketId'> {
  bucket: string | null;
}

export interface ProviderKeysInput {
  provider: string;
  keys: readonly FileKey[];
  pool: PinPool;
  /** A file of this provider was unreadable: keys missing from the rest are not removed. */
  keepMissing: boolean;
  now: Date;
  onChunk(rows: number): void;
}

/** Applies one provider's key files to `keys` (and its buckets to `quota_buckets`). */
export async function syncProviderKeys(executor: Executor, input: ProviderKeysInput): Promise<KeyPlan> {
  const { provider, now } = input;
  const bucketIds = await ensureBuckets(executor, provider, input.keys);
  const desired = input.keys.map(({ bucket, ...key }) => ({
    ...key,
    bucketId: bucket === null ? null : (bucketIds.get(bucket) ?? null),
  }));
  const plan = planKeys(desired, await existingKeys(executor, provider), input.pool, input.keepMissing);
  for (const rows of chunk(plan.upserts)) {
    await upsertKeys(executor, provider, rows, now);
    input.onChunk(rows.length);
  }
  if (plan.removeIds.length > 0) {
    await executor.execute(sql`
      update keys set removed_at = ${at(now)}, updated_at = ${at(now)}
      where id = any(${sql.param(plan.removeIds)}::bigint[])`);
  }
  return plan;
}

async function ensureBuckets(
  executor: Executor,
  provider: string,
  keys: readonly FileKey[],
): Promise<Map<string, number>> {
  const names = [...new Set(keys.flatMap(({ bucket }) => (bucket === null ? [] : [bucket])))];
  if (names.length === 0) return new Map();
  await executor.execute(sql`
    insert into quota_buckets (provider, name)
    select ${provider}::text, n from unnest(${sql.param(names)}::text[]) as n
    on conflict (provider, name) do nothing`);
  const rows = await queryRows<{ id: unknown; name: string }>(
    executor,
    sql`select id, name from quota_buckets where provider = ${provider} and name = any(${sql.param(names)}::text[])`,
  );
  return new Map(rows.map(({ id, name }) => [name, toNumber(id)]));
}

async function existingKeys(executor: Executor, provider: string): Promise<ExistingKey[]> {
  const rows = await queryRows<{
    id: unknown;
    fingerprint: string;
    source_file: string;
    source_line: number;
    bucket_id: unknown;
    proxy_id: unknown;
    removed: boolean;
  }>(
    executor,
    sql`select id, fingerprint, source_file, source_line, bucket_id, proxy_id, removed_at is not null as removed
        from keys where provider = ${provider}`,
  );
  return rows.map((row) => ({
    id: toNumber(row.id),
    fingerprint: row.fingerprint,
    sourceFile: row.source_file,
    sourceLine: row.source_line,
    bucketId: toNullableNumber(row.bucket_id),
    proxyId: toNullableNumber(row.proxy_id),
    removed: row.removed,
  }));
}

async function upsertKeys(executor: Executor, provider: string, rows: readonly KeyRow[], now: Date) {
  await executor.execute(sql`
    insert into keys (provider, fingerprint, secret, mask, source_file, source_line, bucket_id, proxy_id, updated_at)
    select ${provider}::text, v.fingerprint, v.secret, v.mask, v.source_file, v.source_line, v.bucket_id, v.proxy_id, ${at(now)}
    from unnest(
      ${sql.param(rows.map((row) => row.fingerprint))}::text[],
      ${sql.param(rows.map((row) => row.secret))}::text[],
      ${sql.param(rows.map((row) => row.mask))}::text[],
      ${sql.param(rows.map((row) => row.sourceFile))}::text[],
      ${sql.param(rows.map((row) => row.sourceLine))}::int[],
      ${sql.param(rows.map((row) => row.bucketId))}::bigint[],
      ${sql.param(rows.map((row) => row.proxyId))}::bigint[]
    ) as v(fingerprint, secret, mask, source_file, source_line, bucket_id, proxy_id)
    on conflict (provider, fingerprint) do update
      set secret = excluded.secret, mask = excluded.mask, source_file = excluded.source_file,
          source_line = excluded.source_line, bucket_id = excluded.bucket_id, proxy_id = excluded.proxy_id,
          removed_at = null, updated_at = excluded.updated_at`);
}
