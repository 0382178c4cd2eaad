import type { Classification, RateLimitHints, UpstreamFailure } from '@llmgw/core';
import { classifyTransport, reasonForStatus, verdict, withHint } from '../shared/classify.js';
import { lowerCaseHeaders } from '../shared/headers.js';
import { isRecord, numberField, recordField, stringField, tryParseJson } from '../shared/json.js';
import { readOpenAiRateLimits } from '../shared/openai-rate-limits.js';
import { mergeRetryHints, parseMessageHints, readRetryHeaders } from '../shared/retry-after.js';
import { summarize } from '../shared/summary.js';

/**
 * API errors are flat `{status, message}`; OAuth errors are `{code, message}` with a small integer
 * code; mid-stream errors arrive OpenAI-style under `error`. Non-JSON bodies happen too.
 */
export function readGigachatError(bodyText: string | undefined): { message: string; oauthCode?: number } {
  const body = tryParseJson(bodyText);
  if (!isRecord(body)) return { message: bodyText ?? '' };
  const inner = recordField(body, 'error') ?? body;
  const message = stringField(inner, 'message') ?? '';
  const code = numberField(inner, 'code');
  return code !== undefined && numberField(body, 'status') === undefined
    ? { message, oauthCode: code }
    : { message };
}

/** OAuth codes that mean this authorization key is wrong or may not use the scope. */
const KEY_REJECTED = new Set([4, 6, 7]);

/**
 * An API call answered 401 although it carried a token: the token expired or was revoked early. The
 * caller invalidates it, fetches a fresh one and retries once; only a second 401 is `invalid_key`.
 */
export function shouldRefreshToken(failure: UpstreamFailure): boolean {
  return failure.status === 401 && readGigachatError(failure.body).oauthCode === undefined;
}

export function classifyFailure(failure: UpstreamFailure, now: number): Classification {
  const transport = classifyTransport(failure);
  if (transport) return transport;
  const error = readGigachatError(failure.body);
  const label = [
    failure.status ?? 'stream',
    error.oauthCode === undefined ? '' : `oauth code ${error.oauthCode}`,
  ]
    .filter(Boolean)
    .join(' ');
  const message = `${label}: ${summarize(error.message) || 'no message'}`;

  if (error.oauthCode !== undefined) {
    // Other OAuth codes (empty or malformed scope) are our configuration, not the key's fault.
    return verdict(KEY_REJECTED.has(error.oauthCode) ? 'invalid_key' : 'bad_request', message);
  }
  if (failure.status === 413)
    return verdict('bad_request', `context length exceeded: ${summarize(error.message)}`);
  const reason = reasonForStatus(failure.status);
  if (reason !== 'rate_limited') return verdict(reason, message);
  const hint = mergeRetryHints(
    now,
    readRetryHeaders(lowerCaseHeaders(failure.headers), now),
    parseMessageHints(error.message),
  );
  return withHint(verdict(reason, message), hint);
}

/** GigaChat documents no rate-limit headers; read the OpenAI family in case a gateway in front adds them. */
export function readRateLimitHints(headers: Record<string, string>, now: number): RateLimitHints {
  return readOpenAiRateLimits(headers, now);
}
