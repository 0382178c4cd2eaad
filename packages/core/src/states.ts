/** SPEC §5 triple states. Only `active` and `untested` triples (outside any cooldown) are leased. */
export const TRIPLE_STATES = [
  'untested',
  'active',
  'cooldown',
  'dead',
  'no_quota',
  'unsupported',
  'disabled',
  'removed',
] as const;

export type TripleState = (typeof TRIPLE_STATES)[number];

export const BREAKER_STRATEGIES = ['auto_recovery', 'manual_reset'] as const;
export type BreakerStrategy = (typeof BREAKER_STRATEGIES)[number];

export const PROVIDER_TYPES = ['openai_like', 'gemini', 'gigachat', 'anthropic'] as const;
export type ProviderType = (typeof PROVIDER_TYPES)[number];
