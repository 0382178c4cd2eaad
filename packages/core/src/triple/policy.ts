import type { BreakerStrategy } from '../states.js';

/** The part of a provider's health settings the state machine needs, in milliseconds. */
export interface HealthPolicy {
  breaker: {
    strategy: BreakerStrategy;
    /** Consecutive breaker failures (5xx, timeouts, network) that open the breaker. */
    failureThreshold: number;
    openBaseMs: number;
    openMaxMs: number;
  };
  cooldown: {
    /** First cooldown after a 429 with no hint; doubles on each consecutive hit. */
    rateLimitedMinMs: number;
    rateLimitedMaxMs: number;
    /** Cooldown after quota exhaustion when the provider states no reset time. */
    noQuotaMs: number;
    /** Cap on a reset time stated by the provider, so a bogus far-future date cannot bury a key. */
    maxStatedResetMs: number;
  };
  /**
   * The operator says every key of a bucket shares one quota (`shared_quota: true`): any rate-limit or
   * quota verdict is about the bucket, whatever the provider's message says.
   */
  sharedQuota?: boolean;
}

export const DEFAULT_HEALTH_POLICY: HealthPolicy = {
  breaker: { strategy: 'auto_recovery', failureThreshold: 3, openBaseMs: 30_000, openMaxMs: 30 * 60_000 },
  cooldown: {
    rateLimitedMinMs: 30_000,
    rateLimitedMaxMs: 60 * 60_000,
    noQuotaMs: 6 * 60 * 60_000,
    maxStatedResetMs: 8 * 24 * 60 * 60_000,
  },
};
