import type { RawQuery } from '../database.js';
import type { RateWindowKind } from '../schema.js';

/*
 * The one rule for cutting time into rate windows, shared by the keeper's probes and the conductor's
 * leases (both charge the same `rate_windows` rows).
 *
 * RPM and TPM hold over *any* 60 s, not per calendar minute: a burst at 12:00:59 and another at
 * 12:01:00 would otherwise reach twice the limit within two seconds, and providers count a sliding
 * minute. Requests are charged to 5 s slices (`kind = 'minute'` rows); a claim fits only when the
 * slices of the last 60 s plus the current one, plus the claim, stay under the limit. Grants are used
 * within the slice they were claimed in, so every request lands in the slice that counted it, and any
 * 60 s span lies inside the 13 slices one claim checks: never over the limit, at the price of a limit
 * spread over 60–65 s. RPD keeps calendar (UTC) days, as providers reset daily quotas at a fixed hour.
 */
export const MINUTE_SLICE_MS = 5_000;
const MINUTE_MS = 60_000;
const DAY_MS = 24 * 60 * MINUTE_MS;

function windowSize(kind: RateWindowKind): number {
  return kind === 'minute' ? MINUTE_SLICE_MS : DAY_MS;
}

/** The row a charge at `now` goes to: the current 5 s slice, or the UTC day. */
export function windowStart(kind: RateWindowKind, now: number): number {
  const size = windowSize(kind);
  return Math.floor(now / size) * size;
}

/**
 * When the window of `kind` containing `now` ends: the earliest a refused claim is worth retrying
 * (the next slice lets the oldest slice of the minute go; the next day resets RPD).
 */
export function windowEnd(kind: RateWindowKind, now: number): number {
  return windowStart(kind, now) + windowSize(kind);
}

export interface RateClaim {
  tripleId: number;
  kind: RateWindowKind;
  requests: number;
  tokens: number;
  now: number;
  /** RPM for `minute`, RPD for `day`; null = unlimited. */
  requestLimit: number | null;
  /** TPM (`minute` only); null = unlimited. */
  tokenLimit: number | null;
}

/*
 * `prior` sums the 12 slices before the current one (the rest of the sliding minute) and carries the
 * upstream's latest `x-ratelimit-remaining-*` forward into a new slice while its reset lies ahead.
 * The conflict branch re-checks against the locked current row, so concurrent claims from several
 * replicas serialise on it and none reads a stale count of the slice being charged.
 */
const CLAIM_MINUTE_SQL = `
with prior as (
  select coalesce(sum(requests), 0)::bigint as requests, coalesce(sum(tokens), 0)::bigint as tokens
  from rate_windows
  where triple_id = $1 and kind = 'minute'
    and window_start >= to_timestamp($2::float8 / 1000) - interval '60 seconds'
    and window_start < to_timestamp($2::float8 / 1000)
), carried as (
  select upstream_remaining_requests as remaining_requests, upstream_remaining_tokens as remaining_tokens,
    upstream_reset_at as reset_at
  from rate_windows
  where triple_id = $1 and kind = 'minute' and window_start < to_timestamp($2::float8 / 1000)
    and upstream_reset_at > to_timestamp($5::float8 / 1000)
  order by window_start desc
  limit 1
)
insert into rate_windows as w (triple_id, kind, window_start, requests, tokens, updated_at,
  upstream_remaining_requests, upstream_remaining_tokens, upstream_reset_at)
select $1, 'minute', to_timestamp($2::float8 / 1000), $3, $4, to_timestamp($5::float8 / 1000),
  (select remaining_requests from carried) - $3, (select remaining_tokens from carried) - $4,
  (select reset_at from carried)
from prior
where ($6::int is null or prior.requests + $3 <= $6::int)
  and ($7::bigint is null or prior.tokens + $4 <= $7::bigint)
  and coalesce((select remaining_requests from carried), $3) >= $3
  and coalesce((select remaining_tokens from carried), $4) >= $4
on conflict (triple_id, kind, window_start) do update
set requests = w.requests + excluded.requests,
    tokens = w.tokens + excluded.tokens,
    upstream_remaining_requests = w.upstream_remaining_requests - excluded.requests,
    upstream_remaining_tokens = w.upstream_remaining_tokens - excluded.tokens,
    updated_at = excluded.updated_at
where ($6::int is null or w.requests + excluded.requests + (select requests from prior) <= $6::int)
  and ($7::bigint is null or w.tokens + excluded.tokens + (select tokens from prior) <= $7::bigint)
  and (w.upstream_remaining_requests is null or w.upstream_remaining_requests >= excluded.requests)
  and (w.upstream_remaining_tokens is null or w.upstream_remaining_tokens >= excluded.tokens)
returning requests`;

const CLAIM_DAY_SQL = `
insert into rate_windows as w (triple_id, kind, window_start, requests, tokens, updated_at)
select $1, 'day', to_timestamp($2::float8 / 1000), $3, 0, to_timestamp($4::float8 / 1000)
where $5::int is null or $3 <= $5::int
on conflict (triple_id, kind, window_start) do update
set requests = w.requests + excluded.requests, updated_at = excluded.updated_at
where $5::int is null or w.requests + excluded.requests <= $5::int
returning requests`;

/**
 * Charges `requests` (and `tokens`) to the triple's shared window when the whole claim fits under its
 * limits, and refuses it (false) otherwise: never past a limit, across every replica.
 */
export async function claimRateWindow(query: RawQuery, claim: RateClaim): Promise<boolean> {
  const start = windowStart(claim.kind, claim.now);
  const rows =
    claim.kind === 'minute'
      ? await query(CLAIM_MINUTE_SQL, [
          claim.tripleId,
          start,
          claim.requests,
          claim.tokens,
          claim.now,
          claim.requestLimit,
          claim.tokenLimit,
        ])
      : await query(CLAIM_DAY_SQL, [claim.tripleId, start, claim.requests, claim.now, claim.requestLimit]);
  return rows.length > 0;
}

const REFUND_SQL = `
update rate_windows set requests = greatest(0, requests - $4), updated_at = to_timestamp($5::float8 / 1000)
where triple_id = $1 and kind = $2 and window_start = to_timestamp($3::float8 / 1000)`;

/** Gives back requests claimed at `claimedAt` that were not sent (e.g. the other window refused). */
export async function refundRateWindow(
  query: RawQuery,
  refund: { tripleId: number; kind: RateWindowKind; requests: number; claimedAt: number; now: number },
): Promise<void> {
  await query(REFUND_SQL, [
    refund.tripleId,
    refund.kind,
    windowStart(refund.kind, refund.claimedAt),
    refund.requests,
    refund.now,
  ]);
}

/** Requests and tokens a replica claimed in a minute slice and did not use. */
export interface UnusedGrant {
  tripleId: number;
  /** The slice they were claimed in (`windowStart('minute', …)`). */
  sliceStart: number;
  requests: number;
  tokens: number;
}

const RETURN_UNUSED_SQL = `
update rate_windows as w
set requests = greatest(0, w.requests - u.requests), tokens = greatest(0, w.tokens - u.tokens)
from unnest($1::bigint[], $2::float8[], $3::int[], $4::bigint[]) as u(triple_id, slice_start, requests, tokens)
where w.triple_id = u.triple_id and w.kind = 'minute' and w.window_start = to_timestamp(u.slice_start / 1000)`;

/**
 * Gives back, in one statement, what replicas claimed in block and did not use before their slice
 * ended: the sliding minute counts those slices for 60 s more, and other replicas may need them.
 */
export async function returnUnusedGrants(query: RawQuery, grants: readonly UnusedGrant[]): Promise<void> {
  if (grants.length === 0) return;
  await query(RETURN_UNUSED_SQL, [
    grants.map((grant) => grant.tripleId),
    grants.map((grant) => grant.sliceStart),
    grants.map((grant) => grant.requests),
    grants.map((grant) => grant.tokens),
  ]);
}
