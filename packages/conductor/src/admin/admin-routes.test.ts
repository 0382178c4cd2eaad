import { Script } from 'node:vm';
import { buildConfig } from '@llmgw/config';
import { keys, providers, stateChanges, triples } from '@llmgw/db/schema';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../http/app.js';
import {
  captureLog,
  createListPool,
  createScriptedRelay,
  type DatabaseFixture,
  okJson,
  openTestDatabase,
} from '../http/test-support.js';
import { adminRoutes } from './admin-routes.js';

const ADMIN = 'admin-token-0123456789abcdef';
const CLIENT = 'client-token-0123456789abcdef';
const SECRETS = ['sk-routes-SECRET-1f2e3d4c5b6a0001', 'sk-routes-SECRET-1f2e3d4c5b6a0002'];

let fixture: DatabaseFixture;
const keyIds: number[] = [];
let deadTriple = 0;

beforeAll(async () => {
  fixture = await openTestDatabase();
  const { db } = fixture.database;
  await db.insert(providers).values({ name: 'openai', type: 'openai_like' });
  const made = await db
    .insert(keys)
    .values(
      SECRETS.map((secret, index) => ({
        provider: 'openai',
        fingerprint: `fp${index}`,
        secret,
        mask: `sk-…${secret.slice(-4)}`,
        sourceFile: 'keys/openai.txt',
        sourceLine: index + 1,
      })),
    )
    .returning({ id: keys.id });
  keyIds.push(...made.map((row) => row.id));
  const [a = 0, b = 0] = keyIds;
  const rows = await db
    .insert(triples)
    .values([
      { keyId: a, provider: 'openai', model: 'gpt-4o', state: 'active' },
      { keyId: b, provider: 'openai', model: 'gpt-4o', state: 'dead', reason: 'invalid_key' },
    ])
    .returning({ id: triples.id });
  deadTriple = rows[1]?.id ?? 0;
}, 60_000);

afterAll(async () => fixture?.dispose());

function appWith(gateway: Record<string, unknown>) {
  const config = buildConfig({ gateway, providers: { openai: {} } });
  return createApp({
    config,
    relay: createScriptedRelay(() => okJson({})),
    pool: createListPool([]),
    database: fixture.database,
    log: captureLog().log,
  });
}

const guarded = () => appWith({ auth_tokens: [CLIENT], admin_tokens: [ADMIN] });

function call(app: ReturnType<typeof appWith>, path: string, token?: string, init: RequestInit = {}) {
  const headers = new Headers(init.headers);
  if (token !== undefined) headers.set('authorization', `Bearer ${token}`);
  if (!headers.has('host')) headers.set('host', '127.0.0.1:8080');
  return app.request(`http://127.0.0.1:8080${path}`, { ...init, headers });
}

const ROUTES: [string, string][] = [
  ['GET', '/admin/status'],
  ['GET', '/admin/keys'],
  ['GET', '/admin/history'],
  ['GET', '/admin/keys/1'],
  ['GET', '/admin/keys/1/history'],
  ['POST', '/admin/keys/1/reset'],
  ['POST', '/admin/keys/1/disable'],
  ['POST', '/admin/keys/1/enable'],
];

describe('admin auth', () => {
  it.each(ROUTES)(
    '%s %s answers 401 without a token and with an unknown one, 403 to a client token',
    async (method, path) => {
      const app = guarded();
      for (const token of [undefined, 'not-a-token-at-all']) {
        const response = await call(app, path, token, { method });
        expect(response.status).toBe(401);
        const body = (await response.json()) as { error: { code: string; message: string } };
        expect(body.error.code).toBe('invalid_api_key');
        if (token) expect(body.error.message).not.toContain(token);
      }
      const forbidden = await call(app, path, CLIENT, { method });
      expect(forbidden.status).toBe(403);
      expect(((await forbidden.json()) as { error: { code: string } }).error.code).toBe(
        'insufficient_permissions',
      );
    },
  );

  it('lets an admin token in', async () => {
    const response = await call(guarded(), '/admin/status', ADMIN);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
  });

  it('refuses the admin API with a how-to when only client tokens are configured', async () => {
    const app = appWith({ auth_tokens: [CLIENT] });
    for (const token of [undefined, CLIENT]) {
      const response = await call(app, '/admin/keys', token);
      expect(response.status).toBe(403);
      const body = (await response.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe('admin_disabled');
      expect(body.error.message).toContain('LLMGW_ADMIN_TOKENS');
    }
  });

  it('is open on a loopback gateway with no tokens at all, but only to loopback names and same-origin calls', async () => {
    const app = appWith({});
    expect((await call(app, '/admin/status')).status).toBe(200);
    const rebound = await call(app, '/admin/status', undefined, { headers: { host: 'evil.example:8080' } });
    expect(rebound.status).toBe(403);
    const crossOrigin = await call(app, '/admin/keys/1/disable', undefined, {
      method: 'POST',
      headers: { origin: 'https://evil.example' },
    });
    expect(crossOrigin.status).toBe(403);
    const sameOrigin = await call(app, '/admin/keys', undefined, {
      headers: { origin: 'http://127.0.0.1:8080' },
    });
    expect(sameOrigin.status).toBe(200);
  });
});

describe('admin routes', () => {
  it('resets a dead triple to untested through the one reset path, audited as admin', async () => {
    const app = guarded();
    const [, deadKey = 0] = keyIds;
    const response = await call(app, `/admin/keys/${deadKey}/reset`, ADMIN, { method: 'POST' });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { reset: number; key: { triples: { state: string }[] } };
    expect(body.reset).toBe(1);
    expect(body.key.triples.map((t) => t.state)).toEqual(['untested']);
    const [row] = await fixture.database.db.select().from(triples).where(eq(triples.id, deadTriple));
    expect(row?.state).toBe('untested');
    const [audit] = await fixture.database.db
      .select()
      .from(stateChanges)
      .where(eq(stateChanges.tripleId, deadTriple));
    expect(audit).toMatchObject({
      fromState: 'dead',
      toState: 'untested',
      reason: 'manual_reset',
      actor: 'admin',
    });
  });

  it('refuses to reset a disabled key (409) and enables it again', async () => {
    const app = guarded();
    const [key = 0] = keyIds;
    expect((await call(app, `/admin/keys/${key}/disable`, ADMIN, { method: 'POST' })).status).toBe(200);
    const refused = await call(app, `/admin/keys/${key}/reset`, ADMIN, { method: 'POST' });
    expect(refused.status).toBe(409);
    const enabled = await call(app, `/admin/keys/${key}/enable`, ADMIN, { method: 'POST' });
    const body = (await enabled.json()) as { changed: boolean; key: { disabled: boolean } };
    expect(body).toMatchObject({ changed: true, key: { disabled: false } });
  });

  it('answers 404 for an unknown key and 400 naming a bad parameter', async () => {
    const app = guarded();
    const missing = await call(app, '/admin/keys/987654/reset', ADMIN, { method: 'POST' });
    expect(missing.status).toBe(404);
    for (const [query, word] of [
      ['limit=0', 'limit'],
      ['limit=abc', 'limit'],
      ['state=sleepy', 'state'],
      ['reason=bored', 'reason'],
      ['cursor=1&offset=2', 'cursor'],
    ]) {
      const response = await call(app, `/admin/keys?${query}`, ADMIN);
      expect(response.status).toBe(400);
      expect(((await response.json()) as { error: { message: string } }).error.message).toContain(word);
    }
    expect((await call(app, '/admin/keys/abc', ADMIN)).status).toBe(400);
  });

  it('never shows a key secret in any admin response', async () => {
    const app = guarded();
    const [key = 0] = keyIds;
    const bodies: string[] = [];
    for (const path of [
      '/admin/status',
      '/admin/keys?include_removed=true',
      '/admin/history?limit=500',
      `/admin/keys/${key}`,
      `/admin/keys/${key}/history`,
    ]) {
      bodies.push(await (await call(app, path, ADMIN)).text());
    }
    for (const action of ['reset', 'disable', 'enable']) {
      bodies.push(await (await call(app, `/admin/keys/${key}/${action}`, ADMIN, { method: 'POST' })).text());
    }
    const all = bodies.join('\n');
    expect(all).toContain('sk-…0001');
    for (const secret of SECRETS) expect(all).not.toContain(secret.slice(0, 20));
  });

  it('reports the database target without credentials', async () => {
    const status = (await (await call(guarded(), '/admin/status', ADMIN)).json()) as {
      database: { target: string };
      pool: { totals: { keys: number } };
      version: string;
    };
    expect(status.database.target).not.toMatch(/postgres@|:\/\/[^/]*@/);
    expect(status.pool.totals.keys).toBe(2);
    expect(status.version).toMatch(/^\d+\.\d+\.\d+/);
  });

  it("reports this replica's requests in flight and queued, read from the relay and the pool's gauge source", async () => {
    const app = adminRoutes({
      database: fixture.database,
      adminTokens: [],
      clientTokens: [],
      host: '127.0.0.1',
      keeperLockId: 1,
      live: { relay: { inflight: () => 3 }, pool: { queueDepth: () => 7, forEachTriple() {} } },
      now: Date.now,
    });
    const response = await app.request('http://127.0.0.1:8080/status', {
      headers: { host: '127.0.0.1:8080' },
    });
    expect(response.status).toBe(200);
    const status = (await response.json()) as { conductor: unknown };
    expect(status.conductor).toEqual({ inflight: 3, queueDepth: 7 });
  });
});

describe('dashboard assets', () => {
  it('serves the page, script and stylesheet without a token, under a strict CSP', async () => {
    const app = guarded();
    const page = await call(app, '/dashboard');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await page.text();
    expect(html).toContain('/dashboard/app.js');
    const script = await call(app, '/dashboard/app.js');
    expect(script.headers.get('content-type')).toContain('javascript');
    // Compiles (not run): a syntax error would only show in a browser otherwise.
    const source = await script.text();
    expect(source).toContain('/admin/status');
    expect(() => new Script(source)).not.toThrow();
    const css = await call(app, '/dashboard/app.css');
    expect(css.headers.get('content-type')).toContain('text/css');
  });
});
