import type { LlmgwConfig } from '@llmgw/config';
import { adapterFor } from '@llmgw/providers';
import type { Candidate, RelayInput } from '../contracts.js';

/**
 * The tier's candidates that can serve this operation at all. Providers without an embeddings API
 * (Anthropic) are left out before leasing, so their triples are never held for a call they cannot make.
 */
export function servableCandidates(
  config: LlmgwConfig,
  tier: readonly Candidate[],
  operation: RelayInput['operation'],
): Candidate[] {
  if (operation === 'chat') return [...tier];
  return tier.filter((candidate) => {
    const provider = config.providers[candidate.provider];
    if (provider === undefined) return false;
    return adapterFor(provider.type).buildEmbeddingsRequest !== undefined;
  });
}
