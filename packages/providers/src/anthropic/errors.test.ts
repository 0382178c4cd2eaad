import type { Classification, UpstreamFailure } from '@llmgw/core';
import { describe, expect, it } from 'vitest';
import { jsonFixture } from '../shared/testing.js';
import { anthropicAdapter as adapter } from './index.js';

const NOW = Date.parse('2025-08-21T12:40:00Z');
const bodies = jsonFixture<Record<string, unknown>>(import.meta.url, 'errors.json');
const body = (name: string) => JSON.stringify(bodies[name]);

const table: Array<[string, UpstreamFailure, Partial<Classification>]> = [
  ['400 invalid_request_error', { status: 400, body: body('invalid_request') }, { reason: 'bad_request' }],
  ['400 prompt is too long', { status: 400, body: body('prompt_too_long') }, { reason: 'bad_request' }],
  [
    '400 credit balance too low',
    { status: 400, body: body('low_credit') },
    { reason: 'no_quota', scope: 'key' },
  ],
  [
    '401 authentication_error',
    { status: 401, body: body('authentication') },
    { reason: 'invalid_key', scope: 'key' },
  ],
  ['402 billing_error', { status: 402, body: body('billing') }, { reason: 'no_quota' }],
  ['403 permission_error', { status: 403, body: body('permission') }, { reason: 'invalid_key' }],
  ['404 not_found_error', { status: 404, body: body('not_found') }, { reason: 'model_unavailable' }],
  ['413 request_too_large', { status: 413, body: body('too_large') }, { reason: 'bad_request' }],
  [
    '429 with retry-after only',
    { status: 429, headers: { 'retry-after': '20' }, body: body('rate_limit') },
    { reason: 'rate_limited', retryAfterMs: 20_000, scope: 'bucket' },
  ],
  [
    '429 with retry-after as an HTTP date',
    { status: 429, headers: { 'retry-after': 'Thu, 21 Aug 2025 12:42:00 GMT' }, body: body('rate_limit') },
    { reason: 'rate_limited', until: Date.parse('2025-08-21T12:42:00Z') },
  ],
  [
    '429 with only the exhausted token bucket’s reset (anthropic-ratelimit-tokens-reset)',
    {
      status: 429,
      headers: {
        'anthropic-ratelimit-tokens-remaining': '0',
        'anthropic-ratelimit-tokens-reset': '2025-08-21T12:41:30Z',
      },
      body: body('rate_limit'),
    },
    { reason: 'rate_limited', until: Date.parse('2025-08-21T12:41:30Z'), scope: 'bucket' },
  ],
  [
    '429 output-token bucket reset later than retry-after wins',
    {
      status: 429,
      headers: {
        'retry-after': '5',
        'anthropic-ratelimit-output-tokens-remaining': '0',
        'anthropic-ratelimit-output-tokens-reset': '2025-08-21T12:40:30Z',
      },
      body: body('rate_limit'),
    },
    { reason: 'rate_limited', until: Date.parse('2025-08-21T12:40:30Z') },
  ],
  [
    '429 with an exhausted bucket’s RFC 3339 reset',
    {
      status: 429,
      headers: {
        'retry-after': '20',
        'anthropic-ratelimit-input-tokens-remaining': '0',
        'anthropic-ratelimit-input-tokens-reset': '2025-08-21T12:40:59Z',
        'anthropic-ratelimit-requests-remaining': '999',
        'anthropic-ratelimit-requests-reset': '2025-08-21T12:45:00Z',
      },
      body: body('rate_limit'),
    },
    { reason: 'rate_limited', until: Date.parse('2025-08-21T12:40:59Z') },
  ],
  ['500 api_error', { status: 500, body: body('api_error') }, { reason: 'server_error' }],
  ['504 timeout_error', { status: 504, body: body('timeout') }, { reason: 'server_error' }],
  [
    '529 overloaded_error',
    { status: 529, body: body('overloaded') },
    { reason: 'rate_limited', scope: 'triple' },
  ],
  ['overloaded error event mid-stream', { body: body('overloaded') }, { reason: 'rate_limited' }],
  ['api_error event mid-stream', { body: body('api_error') }, { reason: 'server_error' }],
  ['Cloudflare HTML 502', { status: 502, body: '<html>bad gateway</html>' }, { reason: 'server_error' }],
  ['transport proxy error', { transport: 'proxy_error' }, { reason: 'proxy_error', scope: 'proxy' }],
];

describe('anthropic classifyFailure', () => {
  it.each(table)('%s', (_name, failure, expected) => {
    expect(adapter.classifyFailure(failure, NOW)).toMatchObject(expected);
  });
});

describe('anthropic readRateLimitHints', () => {
  it('reads the request and token buckets with RFC 3339 resets', () => {
    const hints = adapter.readRateLimitHints(
      {
        'anthropic-ratelimit-requests-limit': '1000',
        'anthropic-ratelimit-requests-remaining': '999',
        'anthropic-ratelimit-requests-reset': '2025-08-21T12:40:59Z',
        'anthropic-ratelimit-tokens-limit': '96000',
        'anthropic-ratelimit-tokens-remaining': '95000',
        'anthropic-ratelimit-tokens-reset': '2025-08-21T12:41:00Z',
      },
      NOW,
    );
    expect(hints).toEqual({
      limitRequests: 1000,
      remainingRequests: 999,
      resetRequestsAt: Date.parse('2025-08-21T12:40:59Z'),
      limitTokens: 96_000,
      remainingTokens: 95_000,
      resetTokensAt: Date.parse('2025-08-21T12:41:00Z'),
    });
  });
});
