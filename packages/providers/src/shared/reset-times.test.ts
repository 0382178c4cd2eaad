import { describe, expect, it } from 'vitest';
import { parseDuration } from './durations.js';
import {
  mergeRetryHints,
  parseMessageHints,
  parseResetStamp,
  parseRetryAfter,
  readRetryHeaders,
} from './retry-after.js';

const NOW = Date.parse('2025-01-01T12:00:00Z');

describe('parseDuration', () => {
  it.each([
    ['6m0s', 360_000],
    ['1.5s', 1500],
    ['20ms', 20],
    ['1h2m3.5s', 3_723_500],
    ['17s', 17_000],
    ['0.5s', 500],
    ['1m26.4s', 86_400],
    ['250us', 0],
    ['3', 3000],
  ])('%s is %i ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', 'soon', '5x', '1s later', 's'])('rejects %j', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });
});

describe('retry-after', () => {
  it('reads seconds and HTTP dates', () => {
    expect(parseRetryAfter('30', NOW)).toEqual({ retryAfterMs: 30_000 });
    expect(parseRetryAfter('Wed, 01 Jan 2025 12:01:00 GMT', NOW)).toEqual({ until: NOW + 60_000 });
    expect(parseRetryAfter('Wed, 01 Jan 2025 11:00:00 GMT', NOW)).toEqual({ retryAfterMs: 0 });
    expect(parseRetryAfter('whenever', NOW)).toEqual({});
  });

  it('prefers retry-after-ms', () => {
    expect(readRetryHeaders({ 'retry-after-ms': '250', 'retry-after': '3' }, NOW)).toEqual({
      retryAfterMs: 250,
    });
    expect(readRetryHeaders({ 'retry-after': '3' }, NOW)).toEqual({ retryAfterMs: 3000 });
  });
});

describe('reset stamps', () => {
  it('reads epoch ms, epoch seconds and RFC 3339', () => {
    expect(parseResetStamp('1735740000000')).toBe(1_735_740_000_000);
    expect(parseResetStamp(1_735_740_000)).toBe(1_735_740_000_000);
    expect(parseResetStamp('2025-08-21T12:40:59Z')).toBe(Date.parse('2025-08-21T12:40:59Z'));
    expect(parseResetStamp('60')).toBeUndefined();
  });

  it('finds "will reset at" and "try again in" in messages', () => {
    expect(parseMessageHints('Limit will reset at 1735740000000.')).toEqual({ until: 1_735_740_000_000 });
    expect(parseMessageHints('Your limit will reset at 2025-01-02T00:00:00Z.')).toEqual({
      until: Date.parse('2025-01-02T00:00:00Z'),
    });
    expect(parseMessageHints('Please try again in 5.289s. Visit')).toEqual({ retryAfterMs: 5289 });
    expect(parseMessageHints('nothing here')).toEqual({});
  });

  it.each([
    ['OpenRouter ISO with ms', 'Your limit will reset at 2025-01-01T12:01:30.000Z.', NOW + 90_000],
    ['epoch seconds', 'Quota will reset at 1735732890', NOW + 90_000],
    ['epoch ms, colon', 'limit resets at: 1735732890000', NOW + 90_000],
    ['quoted stamp', 'will reset at "2025-01-01T12:01:30Z"', NOW + 90_000],
    ['offset time zone', 'will reset at 2025-01-01T13:01:30+01:00', NOW + 90_000],
    ['space instead of T', 'will reset at 2025-01-01 12:01:30Z', NOW + 90_000],
  ])('reads "will reset at" as an absolute time: %s', (_name, message, until) => {
    expect(parseMessageHints(message)).toEqual({ until });
  });

  it('merges hints to the latest absolute time', () => {
    expect(mergeRetryHints(NOW, { retryAfterMs: 1000 }, { retryAfterMs: 5000 })).toEqual({
      retryAfterMs: 5000,
    });
    expect(mergeRetryHints(NOW, { retryAfterMs: 90_000 }, { until: NOW + 60_000 })).toEqual({
      until: NOW + 90_000,
    });
    expect(mergeRetryHints(NOW)).toEqual({});
  });
});
