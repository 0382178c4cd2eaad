import { FAILURE_REASONS } from '@llmgw/core';
import type { RawQuery } from '../database.js';
import { isoOf, msOf, nullableNumberOf, numberOf } from './sql-values.js';

/** Which keys an operator asks for; triple filters (state, model, reason) also narrow each key's triples. */
export interface AdminKeyFilter {
  /** Exactly this key. */
  keyId?: number;
  provider?: string;
  /** Any of these triple states (`cooldown`, `dead`…). */
  states?: readonly string[];
  model?: string;
  /** The failure reason that put a triple in its state (`rate_limited`…). */
  reason?: string;
  /** Key id (exact) or a piece of the mask or source file name; never compared with the secret. */
  search?: string;
  disabled?: boolean;
  /** Keys removed from keys/ too (history); default false. */
  includeRemoved?: boolean;
  limit: number;
  offset?: number;
  /** Keyset paging: keys with an id above this (the previous page's `nextCursor`). */
  cursor?: number;
}

export interface AdminTriple {
  tripleId: number;
  model: string;
  state: string;
  reason: string | null;
  cooldownUntil: string | null;
  consecutiveFailures: number;
  halfOpen: boolean;
  successRate: number;
  latencyMs: number | null;
  inflight: number;
  lastUsedAt: string | null;
  lastOkAt: string | null;
  lastProbedAt: string | null;
  nextProbeAt: string | null;
  /** The newest audit entry that blamed a failure reason on this triple. */
  lastError: { reason: string; at: string | null; message: string | null } | null;
}

/** A key as the admin API shows it: by id and mask, never its secret. */
export interface AdminKey {
  keyId: number;
  provider: string;
  mask: string;
  sourceFile: string;
  sourceLine: number;
  disabled: boolean;
  removed: boolean;
  bucket: { id: number; name: string; cooldownUntil: string | null } | null;
  proxy: { id: number; mask: string; healthy: boolean } | null;
  triples: AdminTriple[];
}

export interface AdminKeyPage {
  keys: AdminKey[];
  /** Keys matching the filter, over all pages. */
  total: number;
  /** Pass as `cursor` for the next page; null on the last one. */
  nextCursor: number | null;
}

/** Numbered parameters of one statement: `add(value)` returns its placeholder (`$3`). */
interface Params {
  values: unknown[];
  add(value: unknown): string;
}

function newParams(): Params {
  const values: unknown[] = [];
  return {
    values,
    add(value) {
      values.push(value);
      return `$${values.length}`;
    },
  };
}

function keyConditions(filter: AdminKeyFilter, params: Params): string[] {
  const where: string[] = [];
  if (filter.keyId !== undefined) where.push(`k.id = ${params.add(filter.keyId)}::bigint`);
  if (filter.provider !== undefined) where.push(`k.provider = ${params.add(filter.provider)}::text`);
  if (!filter.includeRemoved) where.push('k.removed_at is null');
  if (filter.disabled !== undefined) where.push(`k.disabled = ${params.add(filter.disabled)}::boolean`);
  if (filter.search !== undefined && filter.search !== '') {
    const text = `${params.add(filter.search.toLowerCase())}::text`;
    // position() rather than LIKE: the operator's text is matched literally, `%` and `_` included.
    where.push(
      `(k.id::text = ${text} or position(${text} in lower(k.mask)) > 0 or position(${text} in lower(k.source_file)) > 0)`,
    );
  }
  return where;
}

function tripleConditions(filter: AdminKeyFilter, params: Params): string {
  const where: string[] = [];
  if (!filter.includeRemoved) where.push(`t.state <> 'removed'`);
  if (filter.states && filter.states.length > 0)
    where.push(`t.state = any(${params.add(filter.states)}::text[])`);
  if (filter.model !== undefined) where.push(`t.model = ${params.add(filter.model)}::text`);
  if (filter.reason !== undefined) where.push(`t.reason = ${params.add(filter.reason)}::text`);
  return where.length > 0 ? where.join(' and ') : 'true';
}

/** Whether the filter narrows triples beyond "not removed": then a key needs a matching triple to count. */
function narrowsTriples(filter: AdminKeyFilter): boolean {
  return (filter.states?.length ?? 0) > 0 || filter.model !== undefined || filter.reason !== undefined;
}

/**
 * One page of keys with their triples (`GET /admin/keys`, the dashboard). Keys are ordered by id so a
 * cursor stays stable while the pool changes; three bounded queries per page whatever the pool's size.
 */
export async function listAdminKeys(query: RawQuery, filter: AdminKeyFilter): Promise<AdminKeyPage> {
  const params = newParams();
  const keyWhere = keyConditions(filter, params);
  if (narrowsTriples(filter)) {
    keyWhere.push(
      `exists (select 1 from triples t where t.key_id = k.id and ${tripleConditions(filter, params)})`,
    );
  }
  const keyClause = keyWhere.length > 0 ? keyWhere.join(' and ') : 'true';

  const [counted] = await query<{ n: unknown }>(
    `select count(*)::int as n from keys k where ${keyClause}`,
    params.values,
  );
  const pageParams = [...params.values];
  let pageClause = keyClause;
  if (filter.cursor !== undefined) {
    pageParams.push(filter.cursor);
    pageClause += ` and k.id > $${pageParams.length}`;
  }
  pageParams.push(filter.limit + 1, filter.offset ?? 0);
  const keyRows = await query(
    `select k.id::float8 as id, k.provider, k.mask, k.source_file, k.source_line, k.disabled,
       k.removed_at is not null as removed,
       b.id::float8 as bucket_id, b.name as bucket_name, ${msOf('b.cooldown_until')} as bucket_until,
       px.id::float8 as proxy_id, px.mask as proxy_mask, px.healthy as proxy_healthy
     from keys k
     left join quota_buckets b on b.id = k.bucket_id
     left join proxies px on px.id = k.proxy_id
     where ${pageClause}
     order by k.id
     limit $${pageParams.length - 1} offset $${pageParams.length}`,
    pageParams,
  );
  const more = keyRows.length > filter.limit;
  const pageRows = keyRows.slice(0, filter.limit);
  const keys = pageRows.map(toAdminKey);
  const ids = keys.map((key) => key.keyId);
  const triplesByKey = await triplesOf(query, ids, filter);
  for (const key of keys) key.triples = triplesByKey.get(key.keyId) ?? [];
  const last = keys.at(-1);
  return {
    keys,
    total: numberOf(counted?.n),
    nextCursor: more && last !== undefined ? last.keyId : null,
  };
}

function toAdminKey(row: Record<string, unknown>): AdminKey {
  const bucketId = nullableNumberOf(row.bucket_id);
  const proxyId = nullableNumberOf(row.proxy_id);
  return {
    keyId: numberOf(row.id),
    provider: String(row.provider),
    mask: String(row.mask),
    sourceFile: String(row.source_file),
    sourceLine: numberOf(row.source_line),
    disabled: row.disabled === true,
    removed: row.removed === true,
    bucket:
      bucketId === null
        ? null
        : { id: bucketId, name: String(row.bucket_name), cooldownUntil: isoOf(row.bucket_until) },
    proxy:
      proxyId === null
        ? null
        : { id: proxyId, mask: String(row.proxy_mask), healthy: row.proxy_healthy === true },
    triples: [],
  };
}

async function triplesOf(
  query: RawQuery,
  keyIds: readonly number[],
  filter: AdminKeyFilter,
): Promise<Map<number, AdminTriple[]>> {
  const byKey = new Map<number, AdminTriple[]>();
  if (keyIds.length === 0) return byKey;
  const params = newParams();
  const tripleWhere = tripleConditions(filter, params);
  const idsParam = params.add(keyIds);
  const reasonsParam = params.add([...FAILURE_REASONS]);
  // The newest failure per triple comes from the audit log (indexed by triple and time), not from
  // scanning attempts, so a page costs the same with a year of traffic as with none.
  const rows = await query(
    `select t.id::float8 as id, t.key_id::float8 as key_id, t.model, t.state, t.reason,
       ${msOf('t.cooldown_until')} as cooldown_until, t.consecutive_failures, t.half_open,
       t.ewma_success::float8 as ewma_success, t.ewma_latency_ms::float8 as ewma_latency_ms, t.inflight,
       ${msOf('t.last_used_at')} as last_used_at, ${msOf('t.last_ok_at')} as last_ok_at,
       ${msOf('t.last_probed_at')} as last_probed_at, ${msOf('t.next_probe_at')} as next_probe_at,
       e.reason as error_reason, ${msOf('e.created_at')} as error_at, e.message as error_message
     from triples t
     left join lateral (
       select s.reason, s.created_at, s.evidence->>'message' as message
       from state_changes s
       where s.triple_id = t.id and s.reason = any(${reasonsParam}::text[])
       order by s.created_at desc, s.id desc
       limit 1
     ) e on true
     where t.key_id = any(${idsParam}::bigint[]) and ${tripleWhere}
     order by t.key_id, t.model`,
    params.values,
  );
  for (const row of rows) {
    const keyId = numberOf(row.key_id);
    const triple: AdminTriple = {
      tripleId: numberOf(row.id),
      model: String(row.model),
      state: String(row.state),
      reason: row.reason === null ? null : String(row.reason),
      cooldownUntil: isoOf(row.cooldown_until),
      consecutiveFailures: numberOf(row.consecutive_failures),
      halfOpen: row.half_open === true,
      successRate: numberOf(row.ewma_success),
      latencyMs: nullableNumberOf(row.ewma_latency_ms),
      inflight: numberOf(row.inflight),
      lastUsedAt: isoOf(row.last_used_at),
      lastOkAt: isoOf(row.last_ok_at),
      lastProbedAt: isoOf(row.last_probed_at),
      nextProbeAt: isoOf(row.next_probe_at),
      lastError:
        row.error_reason === null || row.error_reason === undefined
          ? null
          : {
              reason: String(row.error_reason),
              at: isoOf(row.error_at),
              message: row.error_message === null ? null : String(row.error_message),
            },
    };
    const list = byKey.get(keyId);
    if (list) list.push(triple);
    else byKey.set(keyId, [triple]);
  }
  return byKey;
}
