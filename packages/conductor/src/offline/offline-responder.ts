import type { OfflinePackages } from '@llmgw/config';
import type { RelayHeaders, RelayResult } from '../contracts.js';
import { embeddingInputs, indexOfflinePackages, lastUserText } from './match-offline.js';
import { completionResult, embeddingsResult, type OfflineReply, streamResult } from './offline-responses.js';

export interface OfflineRequest {
  operation: 'chat' | 'embeddings';
  body: Record<string, unknown>;
  /** The model as the client named it. */
  model: string;
  stream: boolean;
  requestId: string;
  /** The relay's headers when providers were tried first: the attempt trail stays visible. */
  relayHeaders?: RelayHeaders | undefined;
}

/** Offline packages as a stand-in for the providers (SPEC §8). */
export interface OfflineResponder {
  /** Entries loaded; the gateway builds no responder when there are none. */
  readonly size: number;
  /** The prepared answer for the request, or undefined when no entry matches it. */
  answer(request: OfflineRequest): RelayResult | undefined;
}

export const OFFLINE_PROVIDER = 'offline';

export function createOfflineResponder(
  packages: OfflinePackages,
  now: () => number = Date.now,
): OfflineResponder {
  const index = indexOfflinePackages(packages);
  return {
    size: index.size,
    answer(request) {
      const reply = (): OfflineReply => ({
        requestId: request.requestId,
        model: request.model,
        created: Math.floor(now() / 1000),
        headers: offlineHeaders(request),
      });
      if (request.operation === 'embeddings') {
        const inputs = embeddingInputs(request.body.input);
        const vectors = inputs && index.vectorsFor(request.model, inputs);
        if (!inputs || !vectors) return undefined;
        const chars = inputs.reduce((sum, input) => sum + input.length, 0);
        return embeddingsResult(reply(), vectors, chars, request.body.encoding_format);
      }
      const text = lastUserText(request.body.messages);
      const answer = text === undefined ? undefined : index.answerFor(request.model, text);
      if (answer === undefined || text === undefined) return undefined;
      if (!request.stream) return completionResult(reply(), answer.answer, text.length);
      return streamResult(reply(), answer.answer, text.length, includeUsage(request.body));
    },
  };
}

/** The relay's trail (what was tried before), with the offline package as what served the answer. */
function offlineHeaders(request: OfflineRequest): RelayHeaders {
  const relay = request.relayHeaders;
  return {
    'x-request-id': request.requestId,
    'x-llm-attempts': relay?.['x-llm-attempts'] ?? '0',
    ...(relay?.['x-llm-attempt-trail'] ? { 'x-llm-attempt-trail': relay['x-llm-attempt-trail'] } : {}),
    'x-llm-actual-provider': OFFLINE_PROVIDER,
    'x-llm-actual-model': request.model,
  };
}

function includeUsage(body: Record<string, unknown>): boolean {
  const options = body.stream_options;
  return typeof options === 'object' && options !== null && Reflect.get(options, 'include_usage') === true;
}
