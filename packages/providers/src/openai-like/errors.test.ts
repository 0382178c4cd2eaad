import type { Classification, UpstreamFailure } from '@llmgw/core';
import { describe, expect, it } from 'vitest';
import { jsonFixture } from '../shared/testing.js';
import { openAiLikeAdapter as adapter } from './index.js';

const NOW = Date.parse('2025-01-01T12:00:00Z');
const bodies = jsonFixture<Record<string, unknown>>(import.meta.url, 'errors.json');
const body = (name: string) => JSON.stringify(bodies[name]);

type Row = [string, UpstreamFailure, Partial<Classification>];

const table: Row[] = [
  [
    '401 invalid_api_key',
    { status: 401, body: body('invalid_api_key') },
    { reason: 'invalid_key', scope: 'key' },
  ],
  ['Mistral flat 401', { status: 401, body: body('mistral_401') }, { reason: 'invalid_key' }],
  [
    'Gemini-compat array-wrapped bad key (400)',
    { status: 400, body: body('gemini_compat_bad_key') },
    { reason: 'invalid_key' },
  ],
  [
    '403 unsupported region blames the egress',
    { status: 403, body: body('region') },
    { reason: 'proxy_error', scope: 'proxy' },
  ],
  [
    '404 model_not_found',
    { status: 404, body: body('model_not_found') },
    { reason: 'model_unavailable', scope: 'triple' },
  ],
  [
    '400 model_not_found from a compatible server',
    { status: 400, body: body('model_not_found') },
    { reason: 'model_unavailable' },
  ],
  ['Ollama 404', { status: 404, body: body('ollama_404') }, { reason: 'model_unavailable' }],
  [
    '400 context_length_exceeded',
    { status: 400, body: body('context_length_exceeded') },
    { reason: 'bad_request' },
  ],
  ['DashScope 400 parameter', { status: 400, body: body('dashscope_param') }, { reason: 'bad_request' }],
  [
    '422 Mistral extra field',
    { status: 422, body: '{"detail":"Extra inputs are not permitted"}' },
    { reason: 'bad_request' },
  ],
  [
    '429 TPM with retry-after header',
    { status: 429, headers: { 'retry-after': '1' }, body: body('rate_limit_tpm') },
    { reason: 'rate_limited', scope: 'bucket', window: 'minute', retryAfterMs: 1000 },
  ],
  [
    '429 TPM with only the message hint',
    { status: 429, body: body('rate_limit_tpm') },
    { reason: 'rate_limited', retryAfterMs: 640 },
  ],
  [
    '429 retry-after-ms wins over retry-after',
    { status: 429, headers: { 'retry-after-ms': '1500.5', 'retry-after': '9' }, body: '{}' },
    { reason: 'rate_limited', retryAfterMs: 1501 },
  ],
  [
    '429 exhausted request bucket reset duration',
    {
      status: 429,
      headers: {
        'x-ratelimit-remaining-requests': '0',
        'x-ratelimit-reset-requests': '6m0s',
        'x-ratelimit-remaining-tokens': '5',
      },
      body: '{}',
    },
    { reason: 'rate_limited', retryAfterMs: 360_000 },
  ],
  [
    '429 exhausted token bucket reset duration (x-ratelimit-reset-tokens 1m30s)',
    {
      status: 429,
      headers: {
        'x-ratelimit-remaining-requests': '12',
        'x-ratelimit-reset-requests': '17ms',
        'x-ratelimit-remaining-tokens': '0',
        'x-ratelimit-reset-tokens': '1m30s',
      },
      body: '{}',
    },
    { reason: 'rate_limited', retryAfterMs: 90_000 },
  ],
  [
    '429 without a word of an organisation stays the key’s own',
    { status: 429, headers: { 'retry-after': '4' }, body: '{"error":{"message":"Too many requests"}}' },
    { reason: 'rate_limited', scope: 'triple', retryAfterMs: 4000 },
  ],
  [
    'OpenRouter "will reset at" an epoch-ms stamp in the message',
    { status: 429, body: '{"error":{"code":429,"message":"Limit will reset at 1735736400000."}}' },
    { reason: 'rate_limited', until: 1_735_736_400_000 },
  ],
  [
    'OpenRouter weekly key limit "will reset at" an ISO time with milliseconds',
    {
      status: 403,
      body: '{"error":{"code":403,"message":"Key limit exceeded (weekly limit). Your limit will reset at 2025-01-06T00:00:00.000Z."}}',
    },
    { reason: 'no_quota', until: Date.parse('2025-01-06T00:00:00Z') },
  ],
  [
    '429 request too large is the caller’s',
    { status: 429, body: body('request_too_large') },
    { reason: 'bad_request' },
  ],
  [
    'Groq per-day limit: no quota, back when it says',
    { status: 429, body: body('groq_rpd') },
    { reason: 'no_quota', window: 'day', retryAfterMs: 86_400, scope: 'bucket' },
  ],
  [
    '429 insufficient_quota',
    { status: 429, body: body('insufficient_quota') },
    { reason: 'no_quota', scope: 'key' },
  ],
  ['Moonshot exceeded quota', { status: 429, body: body('moonshot_quota') }, { reason: 'no_quota' }],
  ['DeepSeek 402', { status: 402, body: body('deepseek_402') }, { reason: 'no_quota' }],
  ['OpenRouter 402', { status: 402, body: body('openrouter_402') }, { reason: 'no_quota' }],
  [
    'OpenRouter free-models-per-day with reset in metadata',
    { status: 429, body: body('openrouter_free_per_day') },
    { reason: 'no_quota', window: 'day', until: 1_735_776_000_000 },
  ],
  [
    'OpenRouter X-RateLimit-Reset header (ms epoch)',
    {
      status: 429,
      headers: { 'x-ratelimit-reset': '1735740000000' },
      body: '{"error":{"code":429,"message":"Rate limited"}}',
    },
    { reason: 'rate_limited', until: 1_735_740_000_000 },
  ],
  [
    'OpenRouter "will reset at" in the body',
    { status: 403, body: body('openrouter_key_limit') },
    { reason: 'no_quota', until: Date.parse('2025-01-02T00:00:00Z') },
  ],
  [
    'OpenRouter moderation 403',
    { status: 403, body: body('openrouter_moderation') },
    { reason: 'bad_request' },
  ],
  [
    '500 server_error',
    { status: 500, body: body('server_error') },
    { reason: 'server_error', scope: 'triple' },
  ],
  [
    '503 overloaded is still a server error',
    { status: 503, body: body('overloaded') },
    { reason: 'server_error' },
  ],
  ['502 with an HTML body', { status: 502, body: '<html>Bad gateway</html>' }, { reason: 'server_error' }],
  ['529 overloaded', { status: 529, body: '' }, { reason: 'rate_limited' }],
  ['408 upstream timeout', { status: 408, body: '' }, { reason: 'timeout' }],
  ['407 from the proxy', { status: 407 }, { reason: 'proxy_error', scope: 'proxy' }],
  [
    'transport timeout passes through',
    { transport: 'timeout', code: 'UND_ERR_HEADERS_TIMEOUT' },
    { reason: 'timeout' },
  ],
  [
    'transport network error passes through',
    { transport: 'network_error', code: 'ECONNRESET' },
    { reason: 'network_error' },
  ],
  [
    'transport proxy error passes through',
    { transport: 'proxy_error', code: 'UND_ERR_PRX_CONN' },
    { reason: 'proxy_error', scope: 'proxy' },
  ],
];

describe('openai_like classifyFailure', () => {
  it.each(table)('%s', (_name, failure, expected) => {
    const classification = adapter.classifyFailure(failure, NOW);
    expect(classification).toMatchObject(expected);
    expect(classification.message).not.toContain('sk-test');
  });

  it('gives no hint when the upstream gave none', () => {
    const classification = adapter.classifyFailure({ status: 429, body: body('insufficient_quota') }, NOW);
    expect(classification.until).toBeUndefined();
    expect(classification.retryAfterMs).toBeUndefined();
  });

  it('keeps an echoed secret out of the message', () => {
    const leaked = JSON.stringify({
      error: { message: `bad key sk-proj-${'x'.repeat(40)}`, code: 'invalid_api_key' },
    });
    expect(adapter.classifyFailure({ status: 401, body: leaked }, NOW).message).not.toContain('xxxxxxxxxx');
  });
});

describe('openai_like readRateLimitHints', () => {
  it('reads limits, remaining and Go-duration resets', () => {
    const hints = adapter.readRateLimitHints(
      {
        'X-RateLimit-Limit-Requests': '5000',
        'x-ratelimit-limit-tokens': '160000',
        'x-ratelimit-remaining-requests': '4999',
        'x-ratelimit-remaining-tokens': '159976',
        'x-ratelimit-reset-requests': '12ms',
        'x-ratelimit-reset-tokens': '1.5s',
      },
      NOW,
    );
    expect(hints).toEqual({
      limitRequests: 5000,
      limitTokens: 160_000,
      remainingRequests: 4999,
      remainingTokens: 159_976,
      resetRequestsAt: NOW + 12,
      resetTokensAt: NOW + 1500,
    });
  });

  it('reads OpenRouter’s suffix-less headers with an epoch-ms reset', () => {
    const hints = adapter.readRateLimitHints(
      { 'x-ratelimit-limit': '20', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '1735740000000' },
      NOW,
    );
    expect(hints).toEqual({ limitRequests: 20, remainingRequests: 0, resetRequestsAt: 1_735_740_000_000 });
  });
});
