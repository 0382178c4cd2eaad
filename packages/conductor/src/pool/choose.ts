import type { LeaseRequest } from '../contracts.js';
import { rateFullUntil, tokensToReserve } from './grants.js';
import type { PoolView, TripleEntry } from './types.js';
import { entriesFor } from './view.js';

/** When a busy triple is worth another look if nothing more precise is known (a slot, a trial). */
export const BUSY_RETRY_MS = 250;

/** The outcome of one pass over the candidates; reused by the caller so the hot path allocates nothing. */
export interface Choice {
  entry: TripleEntry | null;
  /** Usable triples exist, but each is at a limit right now: wait rather than refuse. */
  busy: boolean;
  /** The earliest time a busy triple may free up. */
  retryAt: number;
}

export function newChoice(): Choice {
  return { entry: null, busy: false, retryAt: Number.POSITIVE_INFINITY };
}

/**
 * The healthiest leasable triple among the request's candidates, O(candidates). `skip` holds triples
 * whose claim just failed in this attempt (counted busy). Fills and returns `out`.
 */
export function choose(
  view: PoolView,
  request: LeaseRequest,
  now: number,
  skip: ReadonlySet<number> | null,
  out: Choice,
): Choice {
  out.entry = null;
  out.busy = false;
  out.retryAt = Number.POSITIVE_INFINITY;
  const prefer = request.preferKey ?? null;
  let pinned = false;
  for (const candidate of request.candidates) {
    const entries = entriesFor(view, candidate.provider, candidate.model);
    if (!entries) continue;
    for (const entry of entries) {
      if (entry.blocked !== null || entry.until > now) continue;
      if (request.excludeTriples.has(entry.id) || request.excludeKeys.has(entry.keyId)) continue;
      const busyUntil = busyUntilOf(entry, request.estimatedTokens, now, skip);
      if (busyUntil > 0) {
        out.busy = true;
        if (busyUntil < out.retryAt) out.retryAt = busyUntil;
        continue;
      }
      if (pinned) continue;
      // Affinity: the conversation's key wins once it passed the checks above; a half-open trial is
      // not healthy yet, so it does not.
      if (
        prefer !== null &&
        entry.keyId === prefer.keyId &&
        entry.model === prefer.model &&
        !entry.needsTrial
      ) {
        out.entry = entry;
        pinned = true;
        continue;
      }
      if (out.entry === null || better(entry, out.entry)) out.entry = entry;
    }
  }
  return out;
}

/** 0 when the triple can be tried now, else when it may be tried again. */
function busyUntilOf(
  entry: TripleEntry,
  estimatedTokens: number,
  now: number,
  skip: ReadonlySet<number> | null,
): number {
  const local = entry.local;
  // A claim that just failed (`skip`) says "busy"; the precise reasons below say until when.
  const skipped = skip?.has(entry.id) ? now + BUSY_RETRY_MS : 0;
  // Half-open: one trial at a time across all replicas.
  if (entry.needsTrial && (entry.halfOpenElsewhere || local.trialRow !== null)) return now + BUSY_RETRY_MS;
  if (local.hintHoldUntil > now) return local.hintHoldUntil;
  if (!entry.limited) return skipped;
  const full = rateFullUntil(entry, tokensToReserve(entry, estimatedTokens), now);
  if (full > 0) return full;
  const concurrency = entry.limits.concurrency;
  if (concurrency !== null && local.slotsUsed + (local.trialRow === null ? 0 : 1) >= concurrency) {
    return now + BUSY_RETRY_MS;
  }
  return skipped;
}

/**
 * The order of the design: fewest in flight here, then recent success, then latency, then least
 * recently used. Success and latency are compared in coarse steps so that near-equal triples share
 * the load by LRU instead of one winning every lease by a rounding difference.
 */
export function better(a: TripleEntry, b: TripleEntry): boolean {
  if (a.local.inflight !== b.local.inflight) return a.local.inflight < b.local.inflight;
  const healthA = successStep(a.ewmaSuccess);
  const healthB = successStep(b.ewmaSuccess);
  if (healthA !== healthB) return healthA > healthB;
  const speedA = latencyStep(a.ewmaLatencyMs);
  const speedB = latencyStep(b.ewmaLatencyMs);
  if (speedA !== speedB) return speedA < speedB;
  return a.lastUsedAt < b.lastUsedAt;
}

/** Steps of 5 %: 0.97 and 1.0 are equally healthy, 0.8 is not. */
function successStep(ewma: number): number {
  return Math.round(ewma * 20);
}

/** Steps of ~41 % (half powers of two); an unmeasured triple counts as fast so it gets measured. */
function latencyStep(ms: number | null): number {
  return ms === null ? 0 : Math.round(Math.log2(ms + 1) * 2);
}
