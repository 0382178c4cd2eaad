import { DEFAULT_HEALTH_POLICY } from '@llmgw/core';
import { describe, expect, it } from 'vitest';
import { buildConfig } from './loader.js';
import { correlationPolicy, triplePolicy } from './policy.js';

describe('triplePolicy', () => {
  it('gives the state machine the SPEC defaults for a provider that sets nothing', () => {
    const config = buildConfig({ providers: { groq: {} } });
    expect(triplePolicy(config, 'groq')).toEqual(DEFAULT_HEALTH_POLICY);
    expect(correlationPolicy(config, 'groq')).toEqual({ windowMs: 60_000, minKeys: 3, fraction: 0.5 });
  });

  it('carries a provider’s overrides in milliseconds', () => {
    const config = buildConfig({
      providers: {
        groq: {
          health: { breaker: { strategy: 'manual_reset', open_base: '1m' }, cooldown: { no_quota: '2h' } },
        },
      },
    });
    const policy = triplePolicy(config, 'groq');
    expect(policy.breaker).toMatchObject({ strategy: 'manual_reset', openBaseMs: 60_000 });
    expect(policy.cooldown.noQuotaMs).toBe(2 * 3600_000);
  });

  it('carries shared_quota and the cap on stated resets', () => {
    const config = buildConfig({
      providers: { gemini: { shared_quota: true, health: { cooldown: { max_stated_reset: '2d' } } } },
    });
    const policy = triplePolicy(config, 'gemini');
    expect(policy.sharedQuota).toBe(true);
    expect(policy.cooldown.maxStatedResetMs).toBe(2 * 24 * 3600_000);
  });
});
