import { type Classification, isLlmgwError, LlmgwError, type UpstreamFailure } from '@llmgw/core';
import type { ChatCompletionChunk } from '../openai-types.js';
import type { UpstreamStreamError } from '../types.js';

/** The code a stream cut before its terminator carries, so logs can tell it from a socket error. */
export const STREAM_TRUNCATED = 'LLMGW_STREAM_TRUNCATED';

export const truncatedStream: UpstreamFailure = { transport: 'network_error', code: STREAM_TRUNCATED };

/**
 * A stream failure as the one llmgw error type, carrying what the conductor needs to write the
 * attempt back and to emit its error event: the facts, the provider's verdict, and the chunks decoded
 * before the failure (they are the client's and must not be lost).
 */
export function createStreamError(
  failure: UpstreamFailure,
  classification: Classification,
  chunks: ChatCompletionChunk[],
): UpstreamStreamError {
  const error = new LlmgwError(`upstream stream failed: ${classification.message}`, {
    reason: classification.reason,
    ...(failure.status === undefined ? {} : { status: failure.status }),
  });
  return Object.assign(error, { failure, classification, chunks });
}

export function isUpstreamStreamError(value: unknown): value is UpstreamStreamError {
  return isLlmgwError(value) && 'failure' in value && 'classification' in value && 'chunks' in value;
}
