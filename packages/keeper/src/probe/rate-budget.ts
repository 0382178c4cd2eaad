import { claimRateWindow, type RawQuery, refundRateWindow } from '@llmgw/db';
import type { RateWindowKind } from '@llmgw/db/schema';

export interface ProbeBudget {
  tripleId: number;
  now: number;
  rpm: number | null;
  rpd: number | null;
}

export type Reservation = { ok: true } | { ok: false; window: RateWindowKind };

/**
 * A probe is a request like any other (SPEC §6: "the same rate limits as real traffic"): it takes one
 * request from the triple's day window and its sliding minute through the same claim as a lease, or is
 * refused when either is full. A day charged before the minute refused is given back.
 */
export async function reserveProbeRequest(query: RawQuery, budget: ProbeBudget): Promise<Reservation> {
  const { tripleId, now } = budget;
  const base = { tripleId, requests: 1, tokens: 0, now, tokenLimit: null };
  if (!(await claimRateWindow(query, { ...base, kind: 'day', requestLimit: budget.rpd }))) {
    return { ok: false, window: 'day' };
  }
  if (await claimRateWindow(query, { ...base, kind: 'minute', requestLimit: budget.rpm }))
    return { ok: true };
  await refundRateWindow(query, { tripleId, kind: 'day', requests: 1, claimedAt: now, now });
  return { ok: false, window: 'minute' };
}
