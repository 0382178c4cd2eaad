import type { Classification, RateLimitHints, UpstreamFailure } from '@llmgw/core';
import { classifyTransport, reasonForStatus, verdict, windowFromText, withHint } from '../shared/classify.js';
import { headerNumber, lowerCaseHeaders } from '../shared/headers.js';
import { isRecord, type JsonRecord, recordField, stringField, tryParseJson } from '../shared/json.js';
import { readOpenAiRateLimits } from '../shared/openai-rate-limits.js';
import {
  mergeRetryHints,
  parseMessageHints,
  parseResetStamp,
  type RetryHint,
  readRetryHeaders,
} from '../shared/retry-after.js';
import { summarize } from '../shared/summary.js';

/** The error facts of every OpenAI-compatible dialect, flattened. */
export interface OpenAiErrorBody {
  message: string;
  type: string;
  code: string;
  /** OpenRouter puts the HTTP status in `error.code`. */
  numericCode?: number;
  metadata?: JsonRecord;
}

/**
 * Reads `{error:{message,type,code}}` and its cousins: Gemini-compat wraps it in an array, Mistral's
 * 401 and DashScope's stream error frames are flat, some servers answer `{detail}`.
 */
export function readOpenAiError(bodyText: string | undefined): OpenAiErrorBody {
  let body = tryParseJson(bodyText);
  if (Array.isArray(body)) body = body[0];
  if (!isRecord(body)) return { message: bodyText ?? '', type: '', code: '' };
  const inner = recordField(body, 'error') ?? body;
  const code = inner.code;
  const result: OpenAiErrorBody = {
    message:
      stringField(inner, 'message') ?? stringField(body, 'detail') ?? stringField(inner, 'error') ?? '',
    type: stringField(inner, 'type') ?? stringField(inner, 'status') ?? '',
    code: typeof code === 'string' ? code : '',
  };
  if (typeof code === 'number') result.numericCode = code;
  const metadata = recordField(inner, 'metadata');
  if (metadata) result.metadata = metadata;
  return result;
}

const has = (text: string, ...needles: string[]) => needles.some((needle) => text.includes(needle));

/**
 * Every hint the dialects give for when a limit lifts: retry-after(-ms), the exhausted bucket's
 * `x-ratelimit-reset-*`, OpenRouter's epoch-ms `X-RateLimit-Reset` (header or error metadata) and
 * reset times or waits written into the message.
 */
function retryHint(headers: Record<string, string>, error: OpenAiErrorBody, now: number): RetryHint {
  const limits = readOpenAiRateLimits(headers, now);
  const exhausted: RetryHint[] = [];
  const relative = (at: number | undefined) =>
    at === undefined ? {} : { retryAfterMs: Math.max(0, at - now) };
  if (headerNumber(headers, 'x-ratelimit-remaining-requests') === 0)
    exhausted.push(relative(limits.resetRequestsAt));
  if (headerNumber(headers, 'x-ratelimit-remaining-tokens') === 0)
    exhausted.push(relative(limits.resetTokensAt));
  const metaHeaders = recordField(error.metadata, 'headers');
  const stamp = parseResetStamp(
    headers['x-ratelimit-reset'] ?? stringField(metaHeaders, 'X-RateLimit-Reset'),
  );
  return mergeRetryHints(
    now,
    readRetryHeaders(headers, now),
    ...exhausted,
    stamp === undefined ? {} : { until: stamp },
    parseMessageHints(error.message),
  );
}

export function classifyFailure(failure: UpstreamFailure, now: number): Classification {
  const transport = classifyTransport(failure);
  if (transport) return transport;
  const headers = lowerCaseHeaders(failure.headers);
  const error = readOpenAiError(failure.body);
  const status = failure.status ?? error.numericCode;
  const ids = `${error.type} ${error.code}`.toLowerCase();
  const text = error.message.toLowerCase();
  const label = [status ?? 'stream', error.code || error.type].filter(Boolean).join(' ');
  const message = `${label}: ${summarize(error.message) || 'no message'}`;

  if (
    has(ids, 'invalid_api_key', 'invalid_authentication', 'invalidapikey') ||
    has(text, 'incorrect api key', 'api key not valid')
  ) {
    return verdict('invalid_key', message);
  }
  if (
    has(ids, 'unsupported_country') ||
    has(text, 'country, region, or territory', 'location is not supported')
  ) {
    // The egress IP's location is refused: every key would fail the same way from here.
    return verdict('proxy_error', message, { scope: 'proxy' });
  }
  const noCredit =
    status === 402 ||
    has(ids, 'insufficient_quota', 'credit_balance', 'exceeded_current_quota', 'arrearage', 'billing') ||
    has(
      text,
      'insufficient balance',
      'exceeded your current quota',
      'no credits',
      'insufficient credits',
      'key limit exceeded',
    );
  if (noCredit) return withHint(verdict('no_quota', message), retryHint(headers, error, now));
  if (has(ids, 'model_not_found', 'invalid_model', 'not_found_error') || status === 404) {
    return verdict('model_unavailable', message);
  }
  if (has(ids, 'context_length') || has(text, 'context length', 'input token length too long')) {
    return verdict('bad_request', `context length exceeded: ${summarize(error.message)}`);
  }
  if (status === 403 && (has(text, 'flagged', 'moderation') || error.metadata?.reasons !== undefined)) {
    return verdict('bad_request', message);
  }
  const limited =
    status === 429 ||
    status === 529 ||
    (status === undefined && has(ids, 'rate_limit', 'overloaded', 'too_many'));
  if (limited) {
    // "Request too large for gpt-4o … on tokens per min": no wait on any key of that tier will help.
    if (has(text, 'request too large')) return verdict('bad_request', message);
    const window = windowFromText(`${error.message} ${error.code}`);
    const reason = window === 'day' ? 'no_quota' : 'rate_limited';
    // "Rate limit reached for gpt-4o in organization org-… on tokens per min": OpenAI and Groq count
    // limits per organisation, so every key of the org (its bucket) is out until the reset.
    const shared = has(text, 'in organization', 'for your organization', 'organization limit');
    return withHint(
      verdict(reason, message, { ...(window ? { window } : {}), ...(shared ? { scope: 'bucket' } : {}) }),
      retryHint(headers, error, now),
    );
  }
  if (status === undefined) {
    // A mid-stream error object without a status: its type is all there is.
    return verdict(has(ids, 'invalid_request') ? 'bad_request' : 'server_error', message);
  }
  const reason = reasonForStatus(status);
  return reason === 'rate_limited'
    ? withHint(verdict(reason, message), retryHint(headers, error, now))
    : verdict(reason, message);
}

export function readRateLimitHints(headers: Record<string, string>, now: number): RateLimitHints {
  return readOpenAiRateLimits(headers, now);
}
