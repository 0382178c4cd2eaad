import type { Classification, FailureReason, RateLimitHints, UpstreamFailure } from '@llmgw/core';
import { classifyTransport, reasonForStatus, verdict, withHint } from '../shared/classify.js';
import { headerNumber, lowerCaseHeaders } from '../shared/headers.js';
import { isRecord, recordField, stringField, tryParseJson } from '../shared/json.js';
import { mergeRetryHints, parseResetStamp, type RetryHint, readRetryHeaders } from '../shared/retry-after.js';
import { summarize } from '../shared/summary.js';

/** `{"type":"error","error":{"type","message"}}`, as HTTP body and as stream `error` event. */
export function readAnthropicError(bodyText: string | undefined): { type: string; message: string } {
  const body = tryParseJson(bodyText);
  const error = isRecord(body) ? recordField(body, 'error') : undefined;
  if (!error) return { type: '', message: bodyText ?? '' };
  return { type: stringField(error, 'type') ?? '', message: stringField(error, 'message') ?? '' };
}

/** Error types decide before status: a stream `error` event has no status at all. */
const REASON_BY_TYPE: Record<string, FailureReason> = {
  authentication_error: 'invalid_key',
  permission_error: 'invalid_key',
  billing_error: 'no_quota',
  not_found_error: 'model_unavailable',
  rate_limit_error: 'rate_limited',
  // Overloaded for everyone, not this key's fault: a cooldown, never a breaker failure.
  overloaded_error: 'rate_limited',
  request_too_large: 'bad_request',
  api_error: 'server_error',
  timeout_error: 'server_error',
};

const BUCKETS = ['requests', 'tokens', 'input-tokens', 'output-tokens'] as const;

/** Retry-after, and the RFC 3339 reset of every bucket that is at zero, whichever is later. */
function retryHint(headers: Record<string, string>, now: number): RetryHint {
  const exhausted = BUCKETS.flatMap((bucket) => {
    if (headerNumber(headers, `anthropic-ratelimit-${bucket}-remaining`) !== 0) return [];
    const until = parseResetStamp(headers[`anthropic-ratelimit-${bucket}-reset`]);
    return until === undefined ? [] : [{ until }];
  });
  return mergeRetryHints(now, readRetryHeaders(headers, now), ...exhausted);
}

export function classifyFailure(failure: UpstreamFailure, now: number): Classification {
  const transport = classifyTransport(failure);
  if (transport) return transport;
  const error = readAnthropicError(failure.body);
  const label = [failure.status ?? 'stream', error.type].filter(Boolean).join(' ');
  const message = `${label}: ${summarize(error.message) || 'no message'}`;
  const text = error.message.toLowerCase();

  if (text.includes('credit balance is too low')) return verdict('no_quota', message);
  if (text.includes('prompt is too long')) {
    return verdict('bad_request', `context length exceeded: ${summarize(error.message)}`);
  }
  const byType = Object.hasOwn(REASON_BY_TYPE, error.type) ? REASON_BY_TYPE[error.type] : undefined;
  const reason = byType ?? reasonForStatus(failure.status);
  if (reason !== 'rate_limited') return verdict(reason, message);
  // "This request would exceed the rate limit for your organization of …": Anthropic's limits are the
  // organisation's, shared by every key of it (its bucket); `overloaded_error` is nobody's.
  const shared = error.type === 'rate_limit_error' && text.includes('organization');
  return withHint(
    verdict(reason, message, shared ? { scope: 'bucket' } : {}),
    retryHint(lowerCaseHeaders(failure.headers), now),
  );
}

export function readRateLimitHints(rawHeaders: Record<string, string>, _now: number): RateLimitHints {
  const headers = lowerCaseHeaders(rawHeaders);
  const hints: RateLimitHints = {};
  const set = (field: keyof RateLimitHints, value: number | undefined) => {
    if (value !== undefined) hints[field] = value;
  };
  // `tokens-*` is the most restrictive token bucket; older responses only have `input-tokens-*`.
  const tokens = headers['anthropic-ratelimit-tokens-limit'] !== undefined ? 'tokens' : 'input-tokens';
  set('limitRequests', headerNumber(headers, 'anthropic-ratelimit-requests-limit'));
  set('remainingRequests', headerNumber(headers, 'anthropic-ratelimit-requests-remaining'));
  set('resetRequestsAt', parseResetStamp(headers['anthropic-ratelimit-requests-reset']));
  set('limitTokens', headerNumber(headers, `anthropic-ratelimit-${tokens}-limit`));
  set('remainingTokens', headerNumber(headers, `anthropic-ratelimit-${tokens}-remaining`));
  set('resetTokensAt', parseResetStamp(headers[`anthropic-ratelimit-${tokens}-reset`]));
  return hints;
}
