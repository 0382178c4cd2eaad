/** Enough for a word of answer, cheap on every provider (Anthropic and others require a limit). */
export const SMOKE_MAX_TOKENS = 16;

/** The test prompt; the nonce makes every smoke request distinct (no cache hit, no coalescing). */
export function smokePrompt(nonce: string): string {
  return `llmgw smoke test ${nonce}: reply with the single word OK.`;
}
