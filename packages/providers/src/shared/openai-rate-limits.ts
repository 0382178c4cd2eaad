import type { RateLimitHints } from '@llmgw/core';
import { parseDuration } from './durations.js';
import { headerNumber, lowerCaseHeaders } from './headers.js';
import { parseResetStamp } from './retry-after.js';

/**
 * The OpenAI `x-ratelimit-*` family (also Groq, DeepSeek, Together…): limits and remaining as numbers,
 * resets as Go durations relative to now. OpenRouter's variant has no `-requests` suffix and an
 * epoch-ms reset; it counts requests.
 */
export function readOpenAiRateLimits(rawHeaders: Record<string, string>, now: number): RateLimitHints {
  const headers = lowerCaseHeaders(rawHeaders);
  const hints: RateLimitHints = {};
  const set = (field: keyof RateLimitHints, value: number | undefined) => {
    if (value !== undefined) hints[field] = value;
  };
  const resetIn = (name: string) => {
    const ms = parseDuration(headers[name]);
    return ms === undefined ? undefined : now + ms;
  };
  set(
    'limitRequests',
    headerNumber(headers, 'x-ratelimit-limit-requests') ?? headerNumber(headers, 'x-ratelimit-limit'),
  );
  set(
    'remainingRequests',
    headerNumber(headers, 'x-ratelimit-remaining-requests') ?? headerNumber(headers, 'x-ratelimit-remaining'),
  );
  set(
    'resetRequestsAt',
    resetIn('x-ratelimit-reset-requests') ?? parseResetStamp(headers['x-ratelimit-reset']),
  );
  set('limitTokens', headerNumber(headers, 'x-ratelimit-limit-tokens'));
  set('remainingTokens', headerNumber(headers, 'x-ratelimit-remaining-tokens'));
  set('resetTokensAt', resetIn('x-ratelimit-reset-tokens'));
  return hints;
}
