import type { FailureReason, TripleState } from '@llmgw/core';
import type { RawQuery } from '@llmgw/db';

/** One row of the view query; times are epoch ms (null = none). */
export interface ViewRow {
  id: number;
  key_id: number;
  provider: string;
  model: string;
  state: TripleState;
  reason: FailureReason | null;
  cooldown_until: number | null;
  consecutive_failures: number;
  breaker_level: number;
  half_open: boolean;
  ewma_success: number;
  ewma_latency_ms: number | null;
  last_used_at: number | null;
  mask: string;
  secret: string | null;
  bucket_id: number | null;
  proxy_id: number | null;
  proxy_url: string | null;
  proxy_bad: boolean;
  proxy_until: number | null;
  key_disabled: boolean;
  provider_enabled: boolean;
  provider_until: number | null;
  bucket_until: number | null;
}

const ms = (column: string) => `(extract(epoch from ${column}) * 1000)::float8`;

/*
 * One query for the whole view of the providers the config enables. Triples that are not leasable
 * (dead, a disabled key…) still come back, without their secret, so `unavailable` can say why. Removed
 * keys and triples are history and stay out. Ids are cast to float8 so both drivers return numbers.
 */
const VIEW_SQL = `
select t.id::float8 as id, t.key_id::float8 as key_id, t.provider, t.model, t.state, t.reason,
  ${ms('t.cooldown_until')} as cooldown_until, t.consecutive_failures, t.breaker_level, t.half_open,
  t.ewma_success::float8 as ewma_success, t.ewma_latency_ms::float8 as ewma_latency_ms,
  ${ms('t.last_used_at')} as last_used_at,
  k.mask,
  case when t.state in ('untested', 'active', 'cooldown', 'no_quota') and not k.disabled
    then k.secret end as secret,
  k.bucket_id::float8 as bucket_id, k.proxy_id::float8 as proxy_id, px.url as proxy_url,
  (k.proxy_id is not null and (px.id is null or not px.healthy or px.removed_at is not null)) as proxy_bad,
  ${ms('px.cooldown_until')} as proxy_until,
  k.disabled as key_disabled, p.enabled as provider_enabled,
  ${ms('p.cooldown_until')} as provider_until, ${ms('b.cooldown_until')} as bucket_until
from triples t
join keys k on k.id = t.key_id
join providers p on p.name = t.provider
left join quota_buckets b on b.id = k.bucket_id
left join proxies px on px.id = k.proxy_id
where t.provider = any($1::text[]) and t.state <> 'removed' and k.removed_at is null
order by t.id`;

export function queryView(query: RawQuery, providers: readonly string[]): Promise<ViewRow[]> {
  return query<ViewRow & Record<string, unknown>>(VIEW_SQL, [providers]);
}
