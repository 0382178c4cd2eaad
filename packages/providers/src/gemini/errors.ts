import type { Classification, RateLimitHints, UpstreamFailure } from '@llmgw/core';
import { classifyTransport, reasonForStatus, verdict, withHint } from '../shared/classify.js';
import { parseDuration } from '../shared/durations.js';
import { lowerCaseHeaders } from '../shared/headers.js';
import {
  arrayField,
  isRecord,
  numberField,
  recordField,
  recordsOf,
  stringField,
  tryParseJson,
} from '../shared/json.js';
import { mergeRetryHints, readRetryHeaders } from '../shared/retry-after.js';
import { summarize } from '../shared/summary.js';
import { QUOTA_TIME_ZONE } from './config.js';

/** The parts of a google.rpc.Status error the classifier needs. */
export interface GeminiError {
  code?: number;
  status: string;
  message: string;
  reasons: string[];
  quotaIds: string[];
  retryDelayMs?: number;
}

/** Reads google.rpc.Status JSON, also as the OpenAI-compat endpoint sends it: wrapped in an array. */
export function readGeminiError(bodyText: string | undefined): GeminiError {
  let body = tryParseJson(bodyText);
  if (Array.isArray(body)) body = body[0];
  const error = isRecord(body) ? recordField(body, 'error') : undefined;
  if (!error) return { status: '', message: bodyText ?? '', reasons: [], quotaIds: [] };
  const details = recordsOf(arrayField(error, 'details'));
  const ofType = (suffix: string) =>
    details.filter((detail) => String(detail['@type'] ?? '').endsWith(suffix));
  const result: GeminiError = {
    status: stringField(error, 'status') ?? '',
    message: stringField(error, 'message') ?? '',
    reasons: ofType('ErrorInfo').flatMap((info) => stringField(info, 'reason') ?? []),
    quotaIds: ofType('QuotaFailure').flatMap((failure) =>
      recordsOf(arrayField(failure, 'violations')).flatMap(
        (violation) => stringField(violation, 'quotaId') ?? [],
      ),
    ),
  };
  const code = numberField(error, 'code');
  if (code !== undefined) result.code = code;
  const delay = parseDuration(ofType('RetryInfo').map((info) => stringField(info, 'retryDelay'))[0]);
  if (delay !== undefined) result.retryDelayMs = delay;
  return result;
}

/** Offset of a time zone from UTC at an instant, in ms (positive east of Greenwich). */
function zoneOffset(at: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  }).formatToParts(new Date(at));
  const part = (type: string) => Number(parts.find((entry) => entry.type === type)?.value ?? 0);
  const wall = Date.UTC(
    part('year'),
    part('month') - 1,
    part('day'),
    part('hour'),
    part('minute'),
    part('second'),
  );
  return wall - Math.floor(at / 1000) * 1000;
}

/** When per-day quotas come back: the next midnight in Pacific time, whatever the server's zone. */
export function nextQuotaDay(now: number, timeZone = QUOTA_TIME_ZONE): number {
  const local = new Date(now + zoneOffset(now, timeZone));
  const midnightWall = Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate() + 1);
  // The offset at midnight may differ from now's across a DST change; the second pass settles it.
  const guess = midnightWall - zoneOffset(now, timeZone);
  return midnightWall - zoneOffset(guess, timeZone);
}

function classifyQuota(error: GeminiError, headers: Record<string, string>, now: number, message: string) {
  const ids = error.quotaIds.join(' ');
  const scope = /PerProject/i.test(ids) ? 'bucket' : undefined;
  if (/PerDay/i.test(ids)) {
    // RetryInfo on a daily quota names the next poll, not the reset; retrying before midnight PT is waste.
    return verdict('no_quota', message, {
      window: 'day',
      until: nextQuotaDay(now),
      ...(scope ? { scope } : {}),
    });
  }
  const hint = mergeRetryHints(
    now,
    readRetryHeaders(headers, now),
    error.retryDelayMs === undefined ? {} : { retryAfterMs: error.retryDelayMs },
  );
  const window = /PerMinute/i.test(ids)
    ? ('minute' as const)
    : /PerHour/i.test(ids)
      ? ('hour' as const)
      : undefined;
  return withHint(
    verdict('rate_limited', message, { ...(window ? { window } : {}), ...(scope ? { scope } : {}) }),
    hint,
  );
}

export function classifyFailure(failure: UpstreamFailure, now: number): Classification {
  const transport = classifyTransport(failure);
  if (transport) return transport;
  const error = readGeminiError(failure.body);
  const status = failure.status ?? error.code;
  const label = [status ?? 'stream', error.reasons[0] ?? error.status].filter(Boolean).join(' ');
  const message = `${label}: ${summarize(error.message) || 'no message'}`;
  const text = error.message.toLowerCase();

  if (error.reasons.some((reason) => reason.startsWith('API_KEY_'))) return verdict('invalid_key', message);
  if (text.includes('location is not supported') || text.includes('not available in your country')) {
    // The egress IP's country is refused: every key would fail the same way from here.
    return verdict('proxy_error', message, { scope: 'proxy' });
  }
  if (status === 429 || error.status === 'RESOURCE_EXHAUSTED') {
    return classifyQuota(error, lowerCaseHeaders(failure.headers), now, message);
  }
  if (status === 404 || error.status === 'NOT_FOUND') return verdict('model_unavailable', message);
  if (status === 403 || error.status === 'PERMISSION_DENIED' || error.status === 'UNAUTHENTICATED') {
    return verdict('invalid_key', message);
  }
  if (status === undefined) return verdict('server_error', message);
  const reason = reasonForStatus(status);
  if (reason === 'bad_request' && /token count|exceeds the maximum|too long/.test(text)) {
    return verdict('bad_request', `context length exceeded: ${summarize(error.message)}`);
  }
  return verdict(reason, message);
}

/** Gemini sends no rate-limit headers on success (recorded traffic); limits come only from 429 bodies. */
export function readRateLimitHints(_headers: Record<string, string>, _now: number): RateLimitHints {
  return {};
}
