import { claimRateWindow, type RawQuery, type UnusedGrant, windowEnd, windowStart } from '@llmgw/db';
import type { TripleEntry } from './types.js';

/*
 * Requests (RPM, RPD) and tokens (TPM) are claimed from the shared `rate_windows` rows in small blocks,
 * so a replica pays one round trip per block rather than per request. A claim either fits under the
 * limit whole or is refused (`claimRateWindow`, the one rule shared with the keeper's probes): never
 * past the limit. Unused grants die with their window (a 5 s slice of the sliding minute, or the day):
 * under-use, never over-use. The upstream's own remaining figures, when it sent them, clamp the
 * minute as well.
 */
/** Tokens used beyond the reservation are charged afterwards, unconditionally: they were spent. */
const CHARGE_TOKENS_SQL = `
insert into rate_windows as w (triple_id, kind, window_start, tokens, updated_at)
values ($1, 'minute', to_timestamp($2::float8 / 1000), $3, to_timestamp($4::float8 / 1000))
on conflict (triple_id, kind, window_start) do update
set tokens = w.tokens + excluded.tokens, updated_at = excluded.updated_at`;

/** The upstream's `x-ratelimit-remaining-*` seeds the shared minute window every replica claims from. */
const HINT_SQL = `
insert into rate_windows as w (triple_id, kind, window_start, upstream_remaining_requests,
  upstream_remaining_tokens, upstream_reset_at, updated_at)
values ($1, 'minute', to_timestamp($2::float8 / 1000), $3, $4, to_timestamp($5::float8 / 1000),
  to_timestamp($6::float8 / 1000))
on conflict (triple_id, kind, window_start) do update
set upstream_remaining_requests = coalesce(excluded.upstream_remaining_requests, w.upstream_remaining_requests),
    upstream_remaining_tokens = coalesce(excluded.upstream_remaining_tokens, w.upstream_remaining_tokens),
    upstream_reset_at = coalesce(excluded.upstream_reset_at, w.upstream_reset_at),
    updated_at = excluded.updated_at`;

/** A block is 1/16 of the limit: few round trips, and little stranded in a replica when its slice ends. */
export function blockOf(limit: number): number {
  return Math.max(1, Math.floor(limit / 16));
}

/** Tokens a request reserves against TPM: its estimate, but never more than a whole window holds. */
export function tokensToReserve(entry: TripleEntry, estimate: number): number {
  const tpm = entry.limits.tpm;
  return tpm === null ? 0 : Math.max(0, Math.min(Math.ceil(estimate), tpm));
}

/**
 * Forgets grants of windows that have ended; what was left of a minute slice goes to `unused`, to be
 * given back to the shared window (the sliding minute still counts that slice).
 */
export function rollWindows(entry: TripleEntry, now: number, unused?: UnusedGrant[]): void {
  const local = entry.local;
  const minute = windowStart('minute', now);
  if (local.minuteStart !== minute) {
    if (unused && (local.minuteRequests > 0 || local.minuteTokens > 0)) {
      unused.push({
        tripleId: entry.id,
        sliceStart: local.minuteStart,
        requests: Math.max(0, local.minuteRequests),
        tokens: Math.max(0, local.minuteTokens),
      });
    }
    local.minuteStart = minute;
    local.minuteRequests = 0;
    local.minuteTokens = 0;
  }
  if (local.tokenFloorStart !== minute) local.tokenFloor = 0;
  const day = windowStart('day', now);
  if (local.dayStart !== day) {
    local.dayStart = day;
    local.dayRequests = 0;
  }
}

function needsMinute(entry: TripleEntry, tokens: number): boolean {
  const { local, limits } = entry;
  return (
    (limits.rpm !== null && local.minuteRequests < 1) || (limits.tpm !== null && local.minuteTokens < tokens)
  );
}

function needsDay(entry: TripleEntry): boolean {
  return entry.limits.rpd !== null && entry.local.dayRequests < 1;
}

/**
 * When a request of `tokens` may next be claimed for, if the shared window refused already: the
 * window's end; 0 when a claim is worth trying. A token claim refused at size n is not retried at n or
 * more in the same window, but a smaller one may still fit.
 */
export function rateFullUntil(entry: TripleEntry, tokens: number, now: number): number {
  const local = entry.local;
  if (local.fullUntil > now) return local.fullUntil;
  if (local.tokenFloor > 0 && local.tokenFloorStart === windowStart('minute', now)) {
    if (tokens - local.minuteTokens >= local.tokenFloor) return windowEnd('minute', now);
  }
  return 0;
}

/** Whether this replica's grants cover one more request of `tokens` right now. */
export function hasRateGrants(
  entry: TripleEntry,
  tokens: number,
  now: number,
  unused?: UnusedGrant[],
): boolean {
  rollWindows(entry, now, unused);
  return !needsMinute(entry, tokens) && !needsDay(entry);
}

export function takeRateGrants(entry: TripleEntry, tokens: number): void {
  const { local, limits } = entry;
  if (limits.rpm !== null) local.minuteRequests -= 1;
  if (limits.tpm !== null) local.minuteTokens -= tokens;
  if (limits.rpd !== null) local.dayRequests -= 1;
}

/** Gives grants taken for a lease that did not happen back to this replica (same windows only). */
export function refundRateGrants(entry: TripleEntry, tokens: number, minuteStart: number, dayStart: number) {
  const { local, limits } = entry;
  if (local.minuteStart === minuteStart) {
    if (limits.rpm !== null) local.minuteRequests += 1;
    if (limits.tpm !== null) local.minuteTokens += tokens;
  }
  if (local.dayStart === dayStart && limits.rpd !== null) local.dayRequests += 1;
}

function claim(
  query: RawQuery,
  entry: TripleEntry,
  kind: 'minute' | 'day',
  requests: number,
  tokens: number,
  now: number,
): Promise<boolean> {
  return claimRateWindow(query, {
    tripleId: entry.id,
    kind,
    requests,
    tokens,
    now,
    requestLimit: kind === 'minute' ? entry.limits.rpm : entry.limits.rpd,
    tokenLimit: kind === 'minute' ? entry.limits.tpm : null,
  });
}

/**
 * Claims what the next request lacks: a block when it fits, else exactly what one request needs
 * (the last few requests of a window). Marks the triple full until the window ends when even that
 * does not fit. Throws when the database does.
 */
export async function claimRateGrants(
  query: RawQuery,
  entry: TripleEntry,
  tokens: number,
  now: number,
  unused?: UnusedGrant[],
): Promise<void> {
  const { local, limits } = entry;
  rollWindows(entry, now, unused);
  if (needsDay(entry) && limits.rpd !== null) {
    const block = blockOf(limits.rpd);
    let granted = (await claim(query, entry, 'day', block, 0, now)) ? block : 0;
    if (granted === 0 && block > 1 && (await claim(query, entry, 'day', 1, 0, now))) granted = 1;
    if (granted === 0) {
      local.fullUntil = windowEnd('day', now);
      return;
    }
    if (local.dayStart === windowStart('day', now)) local.dayRequests += granted;
  }
  if (!needsMinute(entry, tokens)) return;
  const wantRequests = limits.rpm === null || local.minuteRequests >= 1 ? 0 : 1;
  const wantTokens = limits.tpm === null ? 0 : Math.max(0, tokens - local.minuteTokens);
  const blockRequests = limits.rpm === null ? 0 : Math.max(wantRequests, blockOf(limits.rpm));
  const blockTokens =
    limits.tpm === null ? 0 : Math.min(limits.tpm, Math.max(wantTokens, blockOf(limits.tpm)));
  let requests = blockRequests;
  let claimedTokens = blockTokens;
  let ok = await claim(query, entry, 'minute', requests, claimedTokens, now);
  if (!ok && (blockRequests > wantRequests || blockTokens > wantTokens)) {
    requests = wantRequests;
    claimedTokens = wantTokens;
    ok = await claim(query, entry, 'minute', requests, claimedTokens, now);
  }
  if (!ok) {
    // Requests only: the window is full. With tokens it may be just this size that does not fit.
    if (wantTokens === 0) local.fullUntil = windowEnd('minute', now);
    else {
      local.tokenFloor = wantTokens;
      local.tokenFloorStart = windowStart('minute', now);
    }
    return;
  }
  if (local.minuteStart === windowStart('minute', now)) {
    local.minuteRequests += requests;
    local.minuteTokens += claimedTokens;
  }
}

/** Charges tokens used beyond what was reserved (the request already happened). */
export async function chargeExtraTokens(
  query: RawQuery,
  tripleId: number,
  minuteStart: number,
  tokens: number,
  now: number,
) {
  await query(CHARGE_TOKENS_SQL, [tripleId, minuteStart, tokens, now]);
}

export interface WindowHints {
  remainingRequests: number | null;
  remainingTokens: number | null;
  resetAt: number | null;
}

export async function recordWindowHints(query: RawQuery, tripleId: number, hints: WindowHints, now: number) {
  await query(HINT_SQL, [
    tripleId,
    windowStart('minute', now),
    hints.remainingRequests,
    hints.remainingTokens,
    hints.resetAt,
    now,
  ]);
}
