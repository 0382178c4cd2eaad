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
});
