import { cacheKey, isDeterministic } from '../cache/cache-key.js';
import type { RelayInput } from '../contracts.js';

/**
 * The identity of a deterministic request, or null when the request may rightly answer differently
 * each time and must not share an answer. "Identical" means what the response cache means (one
 * definition, `cache/cache-key.ts`): same operation, stream or not, same `X-LLM-Provider`, same body
 * as canonical JSON without the fields that never change the answer (`user`, `metadata`…); chat only
 * with `temperature: 0` or an integer `seed`, embeddings always.
 */
export function coalesceKey(input: RelayInput, onlyProvider: string | undefined): string | null {
  if (!isDeterministic(input)) return null;
  return cacheKey({ operation: input.operation, body: input.body, stream: input.stream, onlyProvider });
}
