import type { Lease, LeaseRefusal, LeaseRequest } from '../contracts.js';
import { BUSY_RETRY_MS, choose } from './choose.js';
import { claimSlot, claimTrial } from './concurrency.js';
import type { PoolContext } from './context.js';
import {
  claimRateGrants,
  hasRateGrants,
  rateFullUntil,
  refundRateGrants,
  takeRateGrants,
  tokensToReserve,
} from './grants.js';
import { makeLease } from './lease.js';
import type { Held, TripleEntry } from './types.js';
import { unavailableCounts } from './unavailable.js';

/** Every usable candidate is at a limit; the earliest may free up at `retryAt`. */
export interface Busy {
  kind: 'busy';
  retryAt: number;
}

export type AttemptResult = Lease | Busy | Extract<LeaseRefusal, { kind: 'unavailable' }>;

/** After this many failed claims in one attempt the request waits rather than walking every triple. */
const MAX_PICKS = 6;
const CLAIM_BACKOFF_MS = 1_000;

export function isLease(result: AttemptResult | LeaseRefusal): result is Lease {
  return 'tripleId' in result;
}

export function isBusy(result: AttemptResult): result is Busy {
  return !isLease(result) && result.kind === 'busy';
}

/**
 * One try to lease for `request`, without waiting. Unlimited triples are leased from memory; limited
 * ones and half-open trials claim in Postgres, moving on to the next best triple when a claim fails.
 * `skip` (shared by the waiters of one queue pass) collects triples found busy. With `onlyLocal`, a
 * triple that needs a claim is not tried (the queue has waiters who came first).
 *
 * Synchronous until a claim needs Postgres: a lease from memory (the common case) allocates no
 * promise on the hot path.
 */
export function attempt(
  ctx: PoolContext,
  request: LeaseRequest,
  skip: Set<number> | null,
  onlyLocal: boolean,
): AttemptResult | Promise<AttemptResult> {
  return pickFrom(ctx, request, skip, onlyLocal, 0, Number.POSITIVE_INFINITY);
}

/** Pick number `pick` of at most MAX_PICKS; a failed claim comes back here with the next number. */
function pickFrom(
  ctx: PoolContext,
  request: LeaseRequest,
  skip: Set<number> | null,
  onlyLocal: boolean,
  pick: number,
  retryAtSoFar: number,
): AttemptResult | Promise<AttemptResult> {
  if (pick >= MAX_PICKS) return { kind: 'busy', retryAt: retryAtSoFar };
  const now = ctx.deps.now();
  const choice = choose(ctx.view, request, now, skip, ctx.choice);
  const entry = choice.entry;
  const retryAt = choice.busy && choice.retryAt < retryAtSoFar ? choice.retryAt : retryAtSoFar;
  if (entry === null) {
    if (choice.busy) return { kind: 'busy', retryAt };
    return { kind: 'unavailable', counts: unavailableCounts(ctx.view, request, now) };
  }
  if (!entry.limited && !entry.needsTrial) return makeLease(ctx, entry, null, now);
  if (onlyLocal) return { kind: 'busy', retryAt: now };
  return claimThenPick(ctx, request, skip, entry, { pick, now, retryAt });
}

/** Claims `entry` in Postgres; when the claim fails, goes on with the next best triple. */
async function claimThenPick(
  ctx: PoolContext,
  request: LeaseRequest,
  skip: Set<number> | null,
  entry: TripleEntry,
  at: { pick: number; now: number; retryAt: number },
): Promise<AttemptResult> {
  if (ctx.claimBackoffUntil <= at.now) {
    const held = await acquireHeld(ctx, entry, request);
    if (held) return makeLease(ctx, entry, held, ctx.deps.now());
  }
  const later = ctx.deps.now();
  const full = rateFullUntil(entry, tokensToReserve(entry, request.estimatedTokens), later);
  const entryRetry = Math.max(full > 0 ? full : later + BUSY_RETRY_MS, ctx.claimBackoffUntil);
  const skipped = skip ?? new Set<number>();
  skipped.add(entry.id);
  return pickFrom(ctx, request, skipped, false, at.pick + 1, Math.min(at.retryAt, entryRetry));
}

/**
 * Takes what a limited or half-open lease needs: rate grants (from this replica's block, claiming a
 * new block when it ran out), then a concurrency slot or the trial. Null when the triple is at a limit
 * or the database failed (then claims pause for a moment).
 */
async function acquireHeld(
  ctx: PoolContext,
  entry: TripleEntry,
  request: LeaseRequest,
): Promise<Held | null> {
  const { local, limits } = entry;
  const tokens = tokensToReserve(entry, request.estimatedTokens);
  const rated = limits.rpm !== null || limits.rpd !== null || limits.tpm !== null;
  try {
    if (rated && !(await takeGrants(ctx, entry, tokens))) return null;
    const held: Held = {
      tokens,
      minuteStart: local.minuteStart,
      dayStart: local.dayStart,
      pooledSlot: false,
      trialRow: null,
    };
    try {
      if (await takeSlot(ctx, entry, request, held)) return held;
    } catch (error) {
      if (rated) refundRateGrants(entry, tokens, held.minuteStart, held.dayStart);
      throw error;
    }
    if (rated) refundRateGrants(entry, tokens, held.minuteStart, held.dayStart);
    return null;
  } catch (error) {
    ctx.claimBackoffUntil = ctx.deps.now() + CLAIM_BACKOFF_MS;
    ctx.warn('claim', error, { tripleId: entry.id });
    return null;
  }
}

/** A bound on claim rounds for one request; each round claims a block or finds the window full. */
const MAX_CLAIM_ROUNDS = 32;

/**
 * Takes one request's grants, claiming a block first when this replica has run out. The check and the
 * take happen in one synchronous step: between an await and the take, another request of this replica
 * could spend the same grant. Waiting for another request's claim is not a refusal: only a full window
 * (or the database failing) is.
 */
async function takeGrants(ctx: PoolContext, entry: TripleEntry, tokens: number): Promise<boolean> {
  const local = entry.local;
  for (let round = 0; round < MAX_CLAIM_ROUNDS; round += 1) {
    const now = ctx.deps.now();
    if (hasRateGrants(entry, tokens, now, ctx.unusedGrants)) {
      takeRateGrants(entry, tokens);
      return true;
    }
    if (rateFullUntil(entry, tokens, now) > 0 || ctx.closed) return false;
    if (local.claiming) {
      await local.claiming.catch(() => {});
      continue;
    }
    const claim = claimRateGrants(ctx.query, entry, tokens, now, ctx.unusedGrants);
    local.claiming = claim;
    try {
      await claim;
    } finally {
      local.claiming = null;
    }
  }
  return false;
}

async function takeSlot(ctx: PoolContext, entry: TripleEntry, request: LeaseRequest, held: Held) {
  const { local, limits } = entry;
  const claim = {
    tripleId: entry.id,
    concurrency: limits.concurrency,
    holder: ctx.deps.holder,
    requestId: request.requestId,
    expiresAt: ctx.deps.now() + ctx.ttlMs,
    now: ctx.deps.now(),
  };
  if (entry.needsTrial) {
    if (local.trialRow !== null) return false;
    const row = await claimTrial(ctx.query, claim);
    if (row === null) return false;
    local.trialRow = row;
    held.trialRow = row;
    return true;
  }
  if (limits.concurrency === null) return true;
  if (local.slotRows.length > local.slotsUsed) {
    local.slotsUsed += 1;
    held.pooledSlot = true;
    return true;
  }
  const row = await claimSlot(ctx.query, claim);
  if (row === null) return false;
  local.slotRows.push(row);
  local.slotsUsed += 1;
  held.pooledSlot = true;
  return true;
}
