import { type Classification, LlmgwError, type UpstreamFailure } from '@llmgw/core';

/** A failed upstream call, classified: the conductor fails over on it, the keeper records it. */
export class UpstreamCallError extends LlmgwError {
  readonly failure: UpstreamFailure;
  readonly classification: Classification;

  constructor(failure: UpstreamFailure, classification: Classification) {
    super(classification.message, {
      reason: classification.reason,
      ...(failure.status ? { status: failure.status } : {}),
    });
    this.name = 'UpstreamCallError';
    this.failure = failure;
    this.classification = classification;
  }
}

export function isUpstreamCallError(value: unknown): value is UpstreamCallError {
  return value instanceof UpstreamCallError;
}
