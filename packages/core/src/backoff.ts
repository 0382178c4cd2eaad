/**
 * The one retry/backoff rule of llmgw: base·2^level, capped. Cooldown escalation, breaker open times,
 * probe backoff and reconnect loops all use it, so they escalate the same way.
 */
export function escalatingDelay(baseMs: number, maxMs: number, level: number): number {
  const exponent = Math.max(0, Math.min(level, 30));
  return Math.min(maxMs, baseMs * 2 ** exponent);
}

/** Spreads a delay by up to ±`fraction` so many waiters do not wake in lockstep. */
export function withJitter(delayMs: number, fraction = 0.2, random: () => number = Math.random): number {
  const spread = delayMs * fraction;
  return Math.max(0, Math.round(delayMs - spread + random() * 2 * spread));
}
