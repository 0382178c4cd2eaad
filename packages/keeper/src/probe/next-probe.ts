import { escalatingDelay, type TripleSnapshot, withJitter } from '@llmgw/core';

export interface NextProbeRule {
  /** How often a healthy triple is probed (`health.interval_active`). */
  intervalActiveMs: number;
  /** Backoff for a triple that failed below the breaker threshold: the breaker's own base and max. */
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** Spread of the active interval, so a pool probed together does not stay in lockstep forever. */
  jitterFraction?: number;
  random?: () => number;
}

/**
 * When a triple is probed next, given its state after an outcome (SPEC §6): healthy ones every
 * `interval_active`, failing ones by backoff, cooldowns when they end, verdicts (dead, unsupported)
 * never — the daily amnesty decides those. `null` means "not by the schedule".
 */
export function nextProbeAt(after: TripleSnapshot, now: number, rule: NextProbeRule): number | null {
  switch (after.state) {
    case 'untested':
    case 'active': {
      // Failures below the breaker threshold leave the state as it was; without a backoff the triple
      // would be probed again at once and burn quota on a key that is struggling.
      if (after.consecutiveFailures > 0) {
        return now + escalatingDelay(rule.backoffBaseMs, rule.backoffMaxMs, after.consecutiveFailures - 1);
      }
      // Untested with no failure means nothing was observed (the probe was aborted): still due.
      if (after.state === 'untested') return now;
      return now + withJitter(rule.intervalActiveMs, rule.jitterFraction ?? 0.1, rule.random);
    }
    case 'cooldown':
    case 'no_quota':
      // A manual_reset breaker has no end: only `llmgw keys reset` brings it back.
      return after.cooldownUntil;
    default:
      return null;
  }
}

/**
 * Real traffic is health evidence (SPEC §5): a triple that served successfully at `lastOkAt` is not
 * probed before its interval has passed since then.
 */
export function probeAfterEvidence(lastOkAt: number, intervalActiveMs: number): number {
  return lastOkAt + intervalActiveMs;
}
