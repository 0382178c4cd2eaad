import type { Classification, FailureReason, UpstreamFailure, VerdictScope } from '@llmgw/core';
import type { RetryHint } from './retry-after.js';

/** Who a reason is about when the provider says nothing more specific. */
export function defaultScope(reason: FailureReason): VerdictScope {
  if (reason === 'invalid_key' || reason === 'no_quota') return 'key';
  if (reason === 'proxy_error') return 'proxy';
  return 'triple';
}

export function verdict(
  reason: FailureReason,
  message: string,
  extra: Partial<Omit<Classification, 'reason' | 'message'>> = {},
): Classification {
  const result: Classification = { reason, scope: extra.scope ?? defaultScope(reason), message };
  if (extra.until !== undefined) result.until = extra.until;
  if (extra.retryAfterMs !== undefined) result.retryAfterMs = extra.retryAfterMs;
  if (extra.window !== undefined) result.window = extra.window;
  return result;
}

export function withHint(classification: Classification, hint: RetryHint): Classification {
  const result = { ...classification };
  if (hint.until !== undefined) result.until = hint.until;
  else if (hint.retryAfterMs !== undefined) result.retryAfterMs = hint.retryAfterMs;
  return result;
}

/**
 * Failures that never reached the provider (or came from the proxy in between) look the same for
 * every provider: the HTTP client already named them by undici error code.
 */
export function classifyTransport(failure: UpstreamFailure): Classification | undefined {
  const code = failure.code ? ` (${failure.code})` : '';
  if (failure.transport) return verdict(failure.transport, `${failure.transport.replace('_', ' ')}${code}`);
  if (failure.status === 407) return verdict('proxy_error', 'proxy authentication required (407)');
  if (failure.status === undefined && failure.code) return verdict('network_error', `network error${code}`);
  return undefined;
}

/** The common meaning of an HTTP status, for when the body says nothing more specific. */
export function reasonForStatus(status: number | undefined): FailureReason {
  if (status === undefined) return 'server_error';
  if (status === 401 || status === 403) return 'invalid_key';
  if (status === 402) return 'no_quota';
  if (status === 404) return 'model_unavailable';
  if (status === 408) return 'timeout';
  if (status === 429 || status === 529) return 'rate_limited';
  if (status === 409 || status >= 500) return 'server_error';
  if (status >= 400) return 'bad_request';
  return 'server_error';
}

/** Which window a limit message talks about ("tokens per min (TPM)", "free-models-per-day"). */
export function windowFromText(text: string): Classification['window'] {
  const lower = text.toLowerCase();
  if (/per[ -_]?day|\b[rt]pd\b|daily/.test(lower)) return 'day';
  if (/per[ -_]?hour|hourly/.test(lower)) return 'hour';
  if (/per[ -_]?min|\b[rt]pm\b/.test(lower)) return 'minute';
  return undefined;
}
