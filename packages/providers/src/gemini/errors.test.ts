import type { Classification, UpstreamFailure } from '@llmgw/core';
import { describe, expect, it } from 'vitest';
import { jsonFixture } from '../shared/testing.js';
import { nextQuotaDay } from './errors.js';
import { geminiAdapter as adapter } from './index.js';

// 12:00 UTC = 04:00 PST; the next Pacific midnight is 2025-01-02T08:00Z.
const NOW = Date.parse('2025-01-01T12:00:00Z');
const PACIFIC_MIDNIGHT = Date.parse('2025-01-02T08:00:00Z');
const bodies = jsonFixture<Record<string, unknown>>(import.meta.url, 'errors.json');
const body = (name: string) => JSON.stringify(bodies[name]);

const table: Array<[string, UpstreamFailure, Partial<Classification>]> = [
  [
    '400 API_KEY_INVALID is a dead key, not a bad request',
    { status: 400, body: body('api_key_invalid') },
    { reason: 'invalid_key', scope: 'key' },
  ],
  ['400 unknown field', { status: 400, body: body('unknown_field') }, { reason: 'bad_request' }],
  [
    '400 location not supported blames the egress',
    { status: 400, body: body('location') },
    { reason: 'proxy_error', scope: 'proxy' },
  ],
  ['403 unregistered caller', { status: 403, body: body('unregistered') }, { reason: 'invalid_key' }],
  [
    '404 unknown model',
    { status: 404, body: body('not_found') },
    { reason: 'model_unavailable', scope: 'triple' },
  ],
  [
    '429 per-minute project quota with RetryInfo',
    { status: 429, body: body('per_minute') },
    { reason: 'rate_limited', window: 'minute', retryAfterMs: 17_000, scope: 'bucket' },
  ],
  [
    '429 per-day project quota: no quota until midnight Pacific',
    { status: 429, body: body('per_day') },
    { reason: 'no_quota', window: 'day', until: PACIFIC_MIDNIGHT, scope: 'bucket' },
  ],
  [
    '429 without details',
    { status: 429, body: body('bare_exhausted') },
    { reason: 'rate_limited', scope: 'triple' },
  ],
  ['500 INTERNAL', { status: 500, body: body('internal') }, { reason: 'server_error' }],
  ['503 UNAVAILABLE', { status: 503, body: body('unavailable') }, { reason: 'server_error' }],
  ['transport timeout', { transport: 'timeout' }, { reason: 'timeout' }],
];

describe('gemini classifyFailure', () => {
  it.each(table)('%s', (_name, failure, expected) => {
    expect(adapter.classifyFailure(failure, NOW)).toMatchObject(expected);
  });

  it('does not relay RetryInfo for a daily quota', () => {
    expect(adapter.classifyFailure({ status: 429, body: body('per_day') }, NOW).retryAfterMs).toBeUndefined();
  });

  it('reads the compat endpoint’s array-wrapped errors', () => {
    expect(adapter.classifyFailure({ status: 400, body: `[${body('api_key_invalid')}]` }, NOW).reason).toBe(
      'invalid_key',
    );
  });
});

describe('nextQuotaDay', () => {
  it('is the next midnight in Pacific time, across DST', () => {
    expect(nextQuotaDay(NOW)).toBe(PACIFIC_MIDNIGHT);
    // Summer (PDT, UTC-7): 2025-07-01T06:30Z is 23:30 on June 30 → midnight is 07:00Z.
    expect(nextQuotaDay(Date.parse('2025-07-01T06:30:00Z'))).toBe(Date.parse('2025-07-01T07:00:00Z'));
    // The night DST starts (2025-03-09): 01:00 PST → next midnight is 2025-03-10T07:00Z (PDT).
    expect(nextQuotaDay(Date.parse('2025-03-09T09:00:00Z'))).toBe(Date.parse('2025-03-10T07:00:00Z'));
  });
});
