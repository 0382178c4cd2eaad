import type { CorrelationPolicy, HealthPolicy as TriplePolicy } from '@llmgw/core';
import { providerSettings } from './accessor.js';
import type { LlmgwConfig } from './schema.js';

/** The state machine's view of a provider's health settings (core's `HealthPolicy`, in ms). */
export function triplePolicy(config: LlmgwConfig, provider: string): TriplePolicy {
  const settings = providerSettings(config, provider);
  const { breaker, cooldown } = settings.health;
  return {
    ...(settings.shared_quota ? { sharedQuota: true } : {}),
    breaker: {
      strategy: breaker.strategy,
      failureThreshold: breaker.failure_threshold,
      openBaseMs: breaker.open_base,
      openMaxMs: breaker.open_max,
    },
    cooldown: {
      rateLimitedMinMs: cooldown.rate_limited_min,
      rateLimitedMaxMs: cooldown.rate_limited_max,
      noQuotaMs: cooldown.no_quota,
      maxStatedResetMs: cooldown.max_stated_reset,
    },
  };
}

/** The correlation rule's settings for a provider (SPEC §5). */
export function correlationPolicy(config: LlmgwConfig, provider: string): CorrelationPolicy {
  const { correlation } = providerSettings(config, provider).health;
  return { windowMs: correlation.window, minKeys: correlation.min_keys, fraction: correlation.fraction };
}
