import * as crypto from 'node:crypto';
import { Hono } from 'hono';
import { describe, expect, it, vi } from 'vitest';
import type { AppEnv } from './app-env.js';
import { bearerAuth } from './auth.js';

// Observe (not replace) the comparison, to prove tokens are compared in constant time.
vi.mock('node:crypto', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:crypto')>();
  return { ...actual, timingSafeEqual: vi.fn(actual.timingSafeEqual) };
});

function guarded(tokens: string[]): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use(bearerAuth({ tokens }));
  app.get('/', (c) => c.text('in'));
  return app;
}

describe('bearerAuth', () => {
  it('compares equal-length digests with timingSafeEqual against every token', async () => {
    const compare = vi.mocked(crypto.timingSafeEqual);
    compare.mockClear();
    const app = guarded(['first-token', 'second-much-longer-token', 'third']);
    const response = await app.request('/', { headers: { authorization: 'Bearer first-token' } });
    expect(response.status).toBe(200);
    // Even after the first matched, the others were compared: timing does not say which one it was.
    expect(compare).toHaveBeenCalledTimes(3);
    for (const [left, right] of compare.mock.calls) {
      expect(Buffer.from(left as Uint8Array).length).toBe(32);
      expect(Buffer.from(right as Uint8Array).length).toBe(32);
    }
  });

  it('accepts any of several tokens, case-insensitive scheme', async () => {
    const app = guarded(['one', 'two']);
    expect((await app.request('/', { headers: { authorization: 'bearer two' } })).status).toBe(200);
  });

  it.each([
    ['no header', undefined],
    ['another scheme', 'Basic dXNlcjpwYXNz'],
    ['an empty bearer', 'Bearer '],
    ['a wrong token', 'Bearer three'],
    ['a longer token with the right prefix', 'Bearer onex'],
  ])('refuses %s with 401', async (_name, authorization) => {
    const app = guarded(['one']);
    const headers: Record<string, string> = authorization === undefined ? {} : { authorization };
    const response = await app.request('/', { headers });
    expect(response.status).toBe(401);
  });

  it('lets everything through with no tokens configured', async () => {
    expect((await guarded([]).request('/')).status).toBe(200);
  });
});
