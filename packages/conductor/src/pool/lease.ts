import type { RateLimitHints } from '@llmgw/core';
import type { Lease, LeaseResult } from '../contracts.js';
import { giveBack } from './concurrency.js';
import type { PoolContext } from './context.js';
import { chargeExtraTokens, recordWindowHints } from './grants.js';
import type { Held, TripleEntry } from './types.js';

/** The upstream's "0 remaining" holds a triple here at most this long; a real 429 decides beyond. */
const HINT_HOLD_MAX_MS = 60_000;
const HINT_WRITE_EVERY_MS = 1_000;

/** Hands out `entry` to one request. `held` is what a limited or half-open lease took. */
export function makeLease(ctx: PoolContext, entry: TripleEntry, held: Held | null, now: number): Lease {
  const local = entry.local;
  local.inflight += 1;
  // Strictly increasing, so many leases within one millisecond still rotate by LRU.
  const stamp = now > ctx.lastStamp ? now : ctx.lastStamp + 0.001;
  ctx.lastStamp = stamp;
  local.lastUsedAt = stamp;
  entry.lastUsedAt = stamp;
  let released = false;
  return {
    tripleId: entry.id,
    keyId: entry.keyId,
    keyMask: entry.keyMask,
    provider: entry.provider,
    model: entry.model,
    // `choose` never picks a triple without its secret (`blocked`).
    secret: entry.secret ?? '',
    pinnedProxyUrl: entry.pinnedProxyUrl,
    proxyId: entry.proxyId,
    release(result: LeaseResult) {
      if (released) {
        ctx.deps.log.warn({ tripleId: entry.id }, 'pool: a lease was released twice; ignored');
        return;
      }
      released = true;
      releaseLease(ctx, entry, held, result);
    },
  };
}

function releaseLease(ctx: PoolContext, leased: TripleEntry, held: Held | null, result: LeaseResult): void {
  const now = ctx.deps.now();
  // The view may have been refreshed since the lease: observations go to the current entry.
  const entry = ctx.view.byId.get(leased.id) ?? leased;
  const local = leased.local;
  local.inflight -= 1;
  if (result.hints) applyHints(ctx, entry, result.hints, now);
  if (held) reconcileTokens(ctx, entry, held, result.tokens, now);
  if (held?.trialRow) {
    const row = held.trialRow;
    // The trial ends only once its verdict is written, so no second trial starts on the old state.
    void ctx.outcomes.record(entry, result.outcome, result.latencyMs, leased.proxyId, true).then(async () => {
      try {
        if (!ctx.closed) await giveBack(ctx.query, ctx.deps.holder, [row]);
      } catch (error) {
        ctx.strayRows.push(row);
        ctx.warn('give-back', error, { tripleId: entry.id });
      } finally {
        local.trialRow = null;
        ctx.wake();
      }
    });
    return;
  }
  void ctx.outcomes.record(entry, result.outcome, result.latencyMs, leased.proxyId, false);
  if (held?.pooledSlot) {
    // Never below zero: a row lost to a reclaim (missed heartbeats) already shrank the pool.
    local.slotsUsed = Math.max(0, local.slotsUsed - 1);
    scheduleLinger(ctx, leased);
  }
  ctx.wake();
}

/** An idle slot stays a moment (the next request here reuses it for free), then goes back to all. */
function scheduleLinger(ctx: PoolContext, entry: TripleEntry): void {
  const local = entry.local;
  if (local.lingerTimer !== null || ctx.closed) return;
  local.lingerTimer = setTimeout(() => {
    local.lingerTimer = null;
    const idle = local.slotRows.length - local.slotsUsed;
    if (idle <= 0 || ctx.closed) return;
    const rows = local.slotRows.splice(local.slotsUsed, idle);
    giveBack(ctx.query, ctx.deps.holder, rows).catch((error: unknown) => {
      ctx.strayRows.push(...rows);
      ctx.warn('give-back', error, { tripleId: entry.id });
    });
  }, ctx.lingerMs);
  local.lingerTimer.unref();
}

function reconcileTokens(
  ctx: PoolContext,
  entry: TripleEntry,
  held: Held,
  actual: number | undefined,
  now: number,
): void {
  if (entry.limits.tpm === null || actual === undefined || held.tokens === 0) return;
  const local = entry.local;
  const sameWindow = local.minuteStart === held.minuteStart;
  const delta = Math.ceil(actual) - held.tokens;
  if (delta <= 0) {
    // Reserved but not used: this replica may spend it on its next requests of the same window.
    if (sameWindow) local.minuteTokens -= delta;
    return;
  }
  let extra = delta;
  if (sameWindow) {
    const covered = Math.min(extra, Math.max(0, local.minuteTokens));
    local.minuteTokens -= covered;
    extra -= covered;
  }
  if (extra <= 0 || ctx.closed) return;
  chargeExtraTokens(ctx.query, entry.id, held.minuteStart, extra, now).catch((error: unknown) =>
    ctx.warn('tokens', error, { tripleId: entry.id }),
  );
}

function applyHints(ctx: PoolContext, entry: TripleEntry, hints: RateLimitHints, now: number): void {
  const local = entry.local;
  const hold = (resetAt: number | undefined) => {
    const until = Math.min(resetAt ?? now + 1_000, now + HINT_HOLD_MAX_MS);
    if (until > local.hintHoldUntil) local.hintHoldUntil = until;
  };
  if (hints.remainingRequests === 0) hold(hints.resetRequestsAt);
  if (hints.remainingTokens === 0) hold(hints.resetTokensAt);
  const { rpm, tpm } = entry.limits;
  if (rpm === null && tpm === null) return;
  // The upstream knows better than our count (other clients, a lower real limit): never hold more.
  if (hints.remainingRequests !== undefined && rpm !== null) {
    local.minuteRequests = Math.min(local.minuteRequests, hints.remainingRequests);
  }
  if (hints.remainingTokens !== undefined && tpm !== null) {
    local.minuteTokens = Math.min(local.minuteTokens, hints.remainingTokens);
  }
  if (now - local.hintWrittenAt < HINT_WRITE_EVERY_MS || ctx.closed) return;
  local.hintWrittenAt = now;
  recordWindowHints(
    ctx.query,
    entry.id,
    {
      remainingRequests: hints.remainingRequests ?? null,
      remainingTokens: hints.remainingTokens ?? null,
      resetAt: hints.resetRequestsAt ?? hints.resetTokensAt ?? null,
    },
    now,
  ).catch((error: unknown) => ctx.warn('hints', error, { tripleId: entry.id }));
}
