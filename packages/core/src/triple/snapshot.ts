import type { FailureReason } from '../reasons.js';
import type { TripleState } from '../states.js';

/** What the state machine knows of one provider–key–model triple. Times are epoch milliseconds. */
export interface TripleSnapshot {
  state: TripleState;
  reason: FailureReason | null;
  /** Not leased before this time; `null` with state `cooldown` means "until a manual reset". */
  cooldownUntil: number | null;
  /** Failures since the last success, of any reason; drives escalation of cooldowns. */
  consecutiveFailures: number;
  /** How many times in a row the breaker has opened; the next open lasts base·2^level. */
  breakerLevel: number;
}

export const UNTESTED_TRIPLE: TripleSnapshot = {
  state: 'untested',
  reason: null,
  cooldownUntil: null,
  consecutiveFailures: 0,
  breakerLevel: 0,
};

/** Triples an outcome never moves: the operator's decisions stand until the operator changes them. */
export function isFrozen(snapshot: TripleSnapshot): boolean {
  return snapshot.state === 'disabled' || snapshot.state === 'removed';
}

/** Whether a triple may be leased at `now` (the lease query applies the same rule in SQL). */
export function isLeasable(snapshot: TripleSnapshot, now: number): boolean {
  if (snapshot.state === 'active' || snapshot.state === 'untested') return true;
  // A cooldown or quota exhaustion whose end has passed is leasable again (as a half-open trial):
  // the provider's stated reset is honoured to the second, not at the next probe.
  const resting = snapshot.state === 'cooldown' || snapshot.state === 'no_quota';
  return resting && snapshot.cooldownUntil !== null && snapshot.cooldownUntil <= now;
}
