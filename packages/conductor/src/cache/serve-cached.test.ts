import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RelayResult } from '../contracts.js';
import { createApp } from '../http/app.js';
import {
  captureLog,
  createListPool,
  createScriptedRelay,
  type DatabaseFixture,
  openTestDatabase,
  sseStream,
  TEST_TOKEN,
  testConfig,
} from '../http/test-support.js';
import type { GatewayMetrics } from '../metrics/contract.js';
import { createResponseCache } from './response-cache.js';

let fixture: DatabaseFixture;
beforeAll(async () => {
  fixture = await openTestDatabase();
});
afterAll(async () => fixture.dispose());

const HEADERS = { 'x-llm-actual-provider': 'openai', 'x-llm-actual-model': 'gpt-4o', 'x-llm-attempts': '1' };

function build(respond: () => RelayResult, cache: Record<string, unknown> = { enabled: true }) {
  const lookups: string[] = [];
  const metrics: GatewayMetrics = {
    offlineHit: () => {},
    cacheLookup: (result) => void lookups.push(result),
    affinity: () => {},
    coalesced: () => {},
  };
  const config = testConfig({ gateway: { cache, body_limit: '64kb' } });
  const relay = createScriptedRelay(() => respond());
  const responseCache = createResponseCache({ config, database: fixture.database });
  const app = createApp({
    config,
    relay,
    pool: createListPool([{ provider: 'openai', model: 'gpt-4o' }]),
    database: fixture.database,
    log: captureLog().log,
    metrics,
    ...(responseCache ? { cache: responseCache } : {}),
  });
  const ask = (
    body: Record<string, unknown>,
    path = '/v1/chat/completions',
    headers: Record<string, string> = {},
  ) =>
    app.request(path, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_TOKEN}`, 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
  return { ask, lookups, relay, responseCache };
}

let serial = 0;
function question() {
  serial += 1;
  return {
    model: 'gpt-4o',
    temperature: 0,
    messages: [{ role: 'user', content: `q${serial}-${Date.now()}` }],
  };
}

describe('response cache on the request path', () => {
  it('reports every lookup to the metrics: miss, hit, bypass', async () => {
    const { ask, lookups, relay } = build(() => ({
      kind: 'json',
      status: 200,
      body: { id: 'a' },
      headers: { ...HEADERS },
    }));
    const body = question();
    expect((await ask(body)).headers.get('x-llm-cache')).toBe('miss');
    const hit = await ask(body);
    expect(hit.headers.get('x-llm-cache')).toBe('hit');
    expect(await hit.json()).toEqual({ id: 'a' });
    expect(relay.inputs).toHaveLength(1);
    const bypass = await ask(body, '/v1/chat/completions', { 'cache-control': 'no-cache' });
    expect(bypass.headers.get('x-llm-cache')).toBe('bypass');
    expect(relay.inputs).toHaveLength(2);
    expect(lookups).toEqual(['miss', 'hit', 'bypass']);
  });

  it('never keeps an error or a stream that broke', async () => {
    let next: () => RelayResult = () => ({
      kind: 'error',
      error: { status: 503, message: 'down', type: 'upstream_error', code: 'server_error' },
      headers: { ...HEADERS },
    });
    const { ask, relay } = build(() => next());
    const body = question();
    expect((await ask(body)).status).toBe(503);
    next = () => ({
      kind: 'stream',
      body: sseStream([
        { choices: [] },
        { error: { message: 'cut', type: 'upstream_error', code: 'server_error' } },
      ]),
      headers: { ...HEADERS },
    });
    const streamed = { ...body, stream: true };
    await (await ask(streamed)).text();
    await (await ask(streamed)).text();
    expect((await ask(body)).headers.get('x-llm-cache')).toBe('miss');
    expect(relay.inputs).toHaveLength(4);
  });

  it('is not built when disabled or for no route, and serves only the routes it is configured for', async () => {
    expect(
      build(() => ({ kind: 'json', status: 200, body: {}, headers: {} }), { enabled: false }).responseCache,
    ).toBeUndefined();
    expect(
      build(() => ({ kind: 'json', status: 200, body: {}, headers: {} }), { enabled: true, routes: [] })
        .responseCache,
    ).toBeUndefined();
    const { ask, lookups } = build(
      () => ({ kind: 'json', status: 200, body: { data: [] }, headers: { ...HEADERS } }),
      {
        enabled: true,
        routes: ['embeddings'],
      },
    );
    const chat = await ask(question());
    expect(chat.headers.get('x-llm-cache')).toBeNull();
    const embeddings = await ask(
      { model: 'text-embedding-3-small', input: `e${Date.now()}` },
      '/v1/embeddings',
    );
    expect(embeddings.headers.get('x-llm-cache')).toBe('miss');
    expect(lookups).toEqual(['miss']);
  });
});
