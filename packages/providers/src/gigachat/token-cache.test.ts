import { describe, expect, it } from 'vitest';
import type { GigachatToken } from './response.js';
import { createGigachatTokenCache } from './token-cache.js';

const MINUTE = 60_000;

/** A fetchToken whose calls the test resolves by hand, counting them. */
function createFakeOAuth() {
  const pending: Array<{
    resolve: (token: GigachatToken) => void;
    reject: (error: unknown) => void;
    signal: AbortSignal;
  }> = [];
  let issued = 0;
  return {
    pending,
    get calls() {
      return pending.length;
    },
    fetchToken: (_authKey: string, signal: AbortSignal) =>
      new Promise<GigachatToken>((resolve, reject) => {
        pending.push({ resolve, reject, signal });
      }),
    issue(index: number, expiresAt: number) {
      issued += 1;
      pending[index]?.resolve({ accessToken: `token-${issued}`, expiresAt });
    },
  };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('gigachat token cache', () => {
  it('makes exactly one OAuth call for 20 concurrent callers with no token', async () => {
    const oauth = createFakeOAuth();
    let now = 0;
    const cache = createGigachatTokenCache({ fetchToken: oauth.fetchToken, now: () => now });
    const callers = Array.from({ length: 20 }, () => cache.getToken('key-1', 'auth-key'));
    await tick();
    expect(oauth.calls).toBe(1);
    oauth.issue(0, 30 * MINUTE);
    expect(new Set(await Promise.all(callers))).toEqual(new Set(['token-1']));
    now = 10 * MINUTE;
    expect(await cache.getToken('key-1', 'auth-key')).toBe('token-1');
    expect(oauth.calls).toBe(1);
  });

  it('refreshes a token that is expired or within the refresh-ahead window', async () => {
    const oauth = createFakeOAuth();
    let now = 0;
    const cache = createGigachatTokenCache({
      fetchToken: oauth.fetchToken,
      refreshAheadMs: MINUTE,
      now: () => now,
    });
    const first = cache.getToken('key-1', 'auth-key');
    oauth.issue(0, 30 * MINUTE);
    expect(await first).toBe('token-1');

    now = 29 * MINUTE + 1; // less than a minute left
    const second = cache.getToken('key-1', 'auth-key');
    await tick();
    expect(oauth.calls).toBe(2);
    oauth.issue(1, 60 * MINUTE);
    expect(await second).toBe('token-2');

    now = 61 * MINUTE; // long expired
    const third = cache.getToken('key-1', 'auth-key');
    await tick();
    expect(oauth.calls).toBe(3);
    oauth.issue(2, 100 * MINUTE);
    expect(await third).toBe('token-3');
  });

  it('after a 401, concurrent invalidations of the same stale token cause one refresh', async () => {
    const oauth = createFakeOAuth();
    const cache = createGigachatTokenCache({ fetchToken: oauth.fetchToken, now: () => 0 });
    const first = cache.getToken('key-1', 'auth-key');
    oauth.issue(0, 30 * MINUTE);
    const stale = await first;

    const retries = Array.from({ length: 10 }, () => {
      cache.invalidate('key-1', stale);
      return cache.getToken('key-1', 'auth-key');
    });
    await tick();
    expect(oauth.calls).toBe(2);
    oauth.issue(1, 30 * MINUTE);
    expect(new Set(await Promise.all(retries))).toEqual(new Set(['token-2']));

    // A late 401 from the old token must not throw away the fresh one.
    cache.invalidate('key-1', stale);
    expect(await cache.getToken('key-1', 'auth-key')).toBe('token-2');
    expect(oauth.calls).toBe(2);
  });

  it('keeps keys apart', async () => {
    const oauth = createFakeOAuth();
    const cache = createGigachatTokenCache({ fetchToken: oauth.fetchToken, now: () => 0 });
    const a = cache.getToken('key-a', 'auth-a');
    const b = cache.getToken('key-b', 'auth-b');
    await tick();
    expect(oauth.calls).toBe(2);
    oauth.issue(0, MINUTE * 30);
    oauth.issue(1, MINUTE * 30);
    expect([await a, await b]).toEqual(['token-1', 'token-2']);
  });

  it('shares a failed fetch with every waiter and tries again on the next call', async () => {
    const oauth = createFakeOAuth();
    const cache = createGigachatTokenCache({ fetchToken: oauth.fetchToken, now: () => 0 });
    const callers = [cache.getToken('key-1', 'k'), cache.getToken('key-1', 'k')];
    await tick();
    oauth.pending[0]?.reject(new Error('ECONNRESET'));
    for (const caller of callers) await expect(caller).rejects.toThrow(/token fetch failed/);
    const retry = cache.getToken('key-1', 'k');
    await tick();
    expect(oauth.calls).toBe(2);
    oauth.issue(1, MINUTE * 30);
    expect(await retry).toBe('token-1');
  });

  it('aborts the OAuth call only when every waiting caller has gone', async () => {
    const oauth = createFakeOAuth();
    const cache = createGigachatTokenCache({ fetchToken: oauth.fetchToken, now: () => 0 });
    const one = new AbortController();
    const two = new AbortController();
    const first = cache.getToken('key-1', 'k', one.signal);
    const second = cache.getToken('key-1', 'k', two.signal);
    await tick();
    one.abort(new Error('client gone'));
    await expect(first).rejects.toThrow('client gone');
    expect(oauth.pending[0]?.signal.aborted).toBe(false);
    two.abort(new Error('client gone too'));
    await expect(second).rejects.toThrow('client gone too');
    expect(oauth.pending[0]?.signal.aborted).toBe(true);
  });
});
