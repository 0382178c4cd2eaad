import type { Classification } from '@llmgw/core';
import type { ClientError, LeaseRefusal } from '../contracts.js';

/** Every refusal of a request's tiers, merged: the client learns the whole picture, not the last tier's. */
export interface RefusalSummary {
  saturatedRetryAfterMs: number | undefined;
  counts: Record<string, number>;
}

export function createRefusalSummary(): RefusalSummary {
  return { saturatedRetryAfterMs: undefined, counts: {} };
}

export function addRefusal(summary: RefusalSummary, refusal: LeaseRefusal): void {
  if (refusal.kind === 'saturated') {
    const previous = summary.saturatedRetryAfterMs;
    summary.saturatedRetryAfterMs =
      previous === undefined ? refusal.retryAfterMs : Math.min(previous, refusal.retryAfterMs);
    return;
  }
  for (const [why, count] of Object.entries(refusal.counts)) {
    summary.counts[why] = (summary.counts[why] ?? 0) + count;
  }
}

/** No upstream call was made: saturated somewhere → 429 (a retry will likely work), else 503. */
export function refusalError(summary: RefusalSummary): ClientError {
  if (summary.saturatedRetryAfterMs !== undefined) {
    return {
      status: 429,
      message: 'every upstream for this model is at its rate limits; retry later',
      type: 'rate_limit_error',
      code: 'saturated',
      retryAfterSec: toSeconds(summary.saturatedRetryAfterMs),
    };
  }
  const why = Object.entries(summary.counts)
    .map(([reason, count]) => `${reason}: ${count}`)
    .join(', ');
  return {
    status: 503,
    message: `no usable upstream for this model${why ? ` (${why})` : ''}`,
    type: 'service_unavailable',
    code: 'no_usable_upstream',
  };
}

/** A `bad_request` an adapter decided before calling; `code` is e.g. `unsupported_parameter`. */
export type RefusedClassification = Classification & { code?: string };

/** The caller's own mistake, as the upstream (or the adapter, refusing) judged it: answered at once, never retried. */
export function badRequestError(
  classification: RefusedClassification,
  status: number | undefined,
): ClientError {
  return {
    // 400 unless the upstream said something more precise about the caller's request (413, 422).
    status: status !== undefined && status >= 400 && status < 500 && status !== 429 ? status : 400,
    message: classification.message,
    type: 'invalid_request_error',
    code: classification.code ?? 'bad_request',
  };
}

/** Every attempt failed: the last failure decides between "retry later" (429) and "unavailable" (503). */
export function exhaustedError(classification: Classification, now: number): ClientError {
  const message = `every upstream attempt failed; last: ${classification.reason} (${classification.message})`;
  if (classification.reason === 'rate_limited' || classification.reason === 'no_quota') {
    const waitMs =
      classification.until !== undefined ? classification.until - now : classification.retryAfterMs;
    return {
      status: 429,
      message,
      type: 'rate_limit_error',
      code: classification.reason,
      retryAfterSec: toSeconds(waitMs ?? 1_000),
    };
  }
  return { status: 503, message, type: 'upstream_error', code: classification.reason };
}

export function abortError(cause: 'client' | 'request_timeout', timeoutMs: number): ClientError {
  if (cause === 'request_timeout') {
    return {
      status: 504,
      message: `request took longer than ${timeoutMs} ms`,
      type: 'timeout_error',
      code: 'request_timeout',
    };
  }
  // Nobody reads this (the client is gone); 499 keeps it apart from real errors in access logs.
  return {
    status: 499,
    message: 'client closed the request',
    type: 'client_error',
    code: 'client_closed_request',
  };
}

export function internalError(requestId: string): ClientError {
  return {
    status: 500,
    message: `internal gateway error (request ${requestId})`,
    type: 'server_error',
    code: 'internal_error',
  };
}

function toSeconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}
