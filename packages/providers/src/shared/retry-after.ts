import { parseDuration } from './durations.js';
import { headerNumber } from './headers.js';

/** When to come back: an absolute epoch-ms time, a relative wait, or both unknown. */
export interface RetryHint {
  until?: number;
  retryAfterMs?: number;
}

/** `Retry-After` is either delay-seconds or an HTTP date (RFC 9110 §10.2.3). */
export function parseRetryAfter(value: string | undefined, now: number): RetryHint {
  if (value === undefined) return {};
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return { retryAfterMs: Math.round(Number(trimmed) * 1000) };
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return {};
  return date > now ? { until: date } : { retryAfterMs: 0 };
}

/** `retry-after-ms` (float ms, what the OpenAI and Anthropic SDKs read first), else `retry-after`. */
export function readRetryHeaders(headers: Record<string, string>, now: number): RetryHint {
  const ms = headerNumber(headers, 'retry-after-ms');
  if (ms !== undefined && ms >= 0) return { retryAfterMs: Math.round(ms) };
  return parseRetryAfter(headers['retry-after'], now);
}

/**
 * An absolute reset stamp of unknown flavour: epoch ms (OpenRouter's `X-RateLimit-Reset`), epoch
 * seconds, or an ISO/RFC 3339 date. Small numbers are not stamps at all and yield undefined.
 */
export function parseResetStamp(value: string | number | undefined): number | undefined {
  if (value === undefined) return undefined;
  const text = String(value).trim();
  if (/^\d+(\.\d+)?$/.test(text)) {
    const number = Number(text);
    if (number >= 1e12) return Math.round(number);
    if (number >= 1e9) return Math.round(number * 1000);
    return undefined;
  }
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : date;
}

const RESET_AT =
  /reset(?:s)? at:?\s*("?)(\d{10,13}(?:\.\d+)?|\d{4}-\d{2}-\d{2}[T ][\d:.]+(?:Z|[+-]\d{2}:?\d{2})?)\1/i;
const TRY_AGAIN_IN = /try again in\s+((?:\d+(?:\.\d+)?(?:ms|us|µs|ns|h|m|s))+)/i;

/** Reset hints written into error texts: "will reset at <stamp>" and "Please try again in 1m26.4s". */
export function parseMessageHints(message: string): RetryHint {
  const reset = RESET_AT.exec(message);
  const until = parseResetStamp(reset?.[2]);
  if (until !== undefined) return { until };
  const wait = parseDuration(TRY_AGAIN_IN.exec(message)?.[1]);
  return wait === undefined ? {} : { retryAfterMs: wait };
}

/** Several hints at once: the latest absolute time wins, else the longest relative wait. */
export function mergeRetryHints(now: number, ...hints: RetryHint[]): RetryHint {
  const untils = hints.flatMap((hint) => (hint.until === undefined ? [] : [hint.until]));
  const waits = hints.flatMap((hint) => (hint.retryAfterMs === undefined ? [] : [hint.retryAfterMs]));
  if (untils.length > 0) {
    const until = Math.max(...untils, ...waits.map((wait) => now + wait));
    return { until };
  }
  return waits.length > 0 ? { retryAfterMs: Math.max(...waits) } : {};
}
