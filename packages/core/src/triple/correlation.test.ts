import { describe, expect, it } from 'vitest';
import { detectCorrelatedFailure, type RecentFailure } from './correlation.js';

const NOW = 1_000_000;
const policy = { windowMs: 60_000, minKeys: 3, fraction: 0.5 };

function fail(
  keyId: string,
  provider: string,
  proxyId: string | null,
  reason: RecentFailure['reason'] = 'network_error',
  at = NOW - 1000,
): RecentFailure {
  return { keyId, provider, proxyId, reason, at };
}

describe('detectCorrelatedFailure', () => {
  it('blames the proxy when every key behind it fails at once', () => {
    const failures = ['k1', 'k2', 'k3'].map((key) => fail(key, 'groq', 'proxy-1'));
    const verdicts = detectCorrelatedFailure(
      failures,
      { byProvider: new Map([['groq', 10]]), byProxy: new Map([['proxy-1', 3]]) },
      policy,
      NOW,
    );
    expect(verdicts).toEqual([
      { scope: 'proxy', subject: 'proxy-1', reason: 'proxy_error', failingKeys: 3, liveKeys: 3 },
    ]);
  });

  it('does not blame a proxy when only some of its keys fail', () => {
    const failures = ['k1', 'k2'].map((key) => fail(key, 'groq', 'proxy-1'));
    expect(
      detectCorrelatedFailure(
        failures,
        { byProvider: new Map([['groq', 10]]), byProxy: new Map([['proxy-1', 5]]) },
        policy,
        NOW,
      ),
    ).toEqual([]);
  });

  it('blames the provider when many of its keys fail together', () => {
    const failures = ['k1', 'k2', 'k3', 'k4'].map((key) => fail(key, 'gemini', null, 'server_error'));
    const verdicts = detectCorrelatedFailure(
      failures,
      { byProvider: new Map([['gemini', 6]]), byProxy: new Map() },
      policy,
      NOW,
    );
    expect(verdicts).toEqual([
      { scope: 'provider', subject: 'gemini', reason: 'server_error', failingKeys: 4, liveKeys: 6 },
    ]);
  });

  it('never correlates invalid keys: a wave of 401s is many dead keys', () => {
    const failures = ['k1', 'k2', 'k3', 'k4'].map((key) => fail(key, 'gemini', null, 'invalid_key'));
    expect(
      detectCorrelatedFailure(
        failures,
        { byProvider: new Map([['gemini', 4]]), byProxy: new Map() },
        policy,
        NOW,
      ),
    ).toEqual([]);
  });

  it('ignores failures older than the window', () => {
    const failures = ['k1', 'k2', 'k3'].map((key) => fail(key, 'gemini', null, 'timeout', NOW - 120_000));
    expect(
      detectCorrelatedFailure(
        failures,
        { byProvider: new Map([['gemini', 3]]), byProxy: new Map() },
        policy,
        NOW,
      ),
    ).toEqual([]);
  });

  it('counts a key once however often it failed', () => {
    const failures = [fail('k1', 'gemini', null), fail('k1', 'gemini', null), fail('k1', 'gemini', null)];
    expect(
      detectCorrelatedFailure(
        failures,
        { byProvider: new Map([['gemini', 2]]), byProxy: new Map() },
        policy,
        NOW,
      ),
    ).toEqual([]);
  });
});
