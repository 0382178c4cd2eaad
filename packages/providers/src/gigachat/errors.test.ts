import type { Classification, UpstreamFailure } from '@llmgw/core';
import { describe, expect, it } from 'vitest';
import { classifyFailure } from './errors.js';

const NOW = Date.parse('2025-01-01T12:00:00Z');
const tooMany = '{"status": 429, "message": "Too Many Requests"}';

// GigaChat documents no reset format of its own; what a 429 may carry is `retry-after` (the SDK honours
// it) in either RFC 9110 form, and an OpenAI-style hint in the text from a gateway in front.
const table: Array<[string, UpstreamFailure, Partial<Classification>]> = [
  [
    'retry-after in seconds',
    { status: 429, headers: { 'retry-after': '7' }, body: tooMany },
    { reason: 'rate_limited', scope: 'triple', retryAfterMs: 7000 },
  ],
  [
    'retry-after as an HTTP date',
    { status: 429, headers: { 'retry-after': 'Wed, 01 Jan 2025 12:05:00 GMT' }, body: tooMany },
    { reason: 'rate_limited', until: Date.parse('2025-01-01T12:05:00Z') },
  ],
  [
    'a reset stated in the message',
    {
      status: 429,
      body: '{"status": 429, "message": "Too Many Requests, limit will reset at 2025-01-01T13:00:00Z"}',
    },
    { reason: 'rate_limited', until: Date.parse('2025-01-01T13:00:00Z') },
  ],
];

describe('gigachat reset formats', () => {
  it.each(table)('%s', (_name, failure, expected) => {
    expect(classifyFailure(failure, NOW)).toMatchObject(expected);
  });

  it('states no reset when the 429 gives none (the escalating minimum applies)', () => {
    const classification = classifyFailure({ status: 429, body: tooMany }, NOW);
    expect(classification.until).toBeUndefined();
    expect(classification.retryAfterMs).toBeUndefined();
  });
});
