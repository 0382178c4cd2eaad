import type { RateWindowKind } from '../schema.js';

const MINUTE_MS = 60_000;
const DAY_MS = 24 * 60 * MINUTE_MS;

function windowSize(kind: RateWindowKind): number {
  return kind === 'minute' ? MINUTE_MS : DAY_MS;
}

/**
 * Fixed windows aligned to the UTC minute and day. The keeper's probes and the conductor's leases charge
 * the same `rate_windows` rows, so both must cut time the same way: this is the one rule.
 */
export function windowStart(kind: RateWindowKind, now: number): number {
  const size = windowSize(kind);
  return Math.floor(now / size) * size;
}

/** When the window of `kind` containing `now` ends: the earliest a triple at its limit may be tried. */
export function windowEnd(kind: RateWindowKind, now: number): number {
  return windowStart(kind, now) + windowSize(kind);
}
