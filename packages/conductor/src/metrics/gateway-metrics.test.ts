import { buildConfig, type LlmgwConfig } from '@llmgw/config';
import { createHttpClients, type HttpClients } from '@llmgw/http';
import { createTestUpstream, type TestUpstream } from '@llmgw/testkit';
import { createCredentialSource, httpClientSettings } from '@llmgw/upstream';
import OpenAI from 'openai';
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../http/app.js';
import { type Conductor, startConductor } from '../http/start-conductor.js';
import {
  createListPool,
  createScriptedRelay,
  type DatabaseFixture,
  okJson,
  openTestDatabase,
} from '../http/test-support.js';
import { createRelay } from '../relay/create-relay.js';
import { createTestPool } from '../relay/test-pool.js';
import { ANTHROPIC_MODEL, GEMINI_MODEL, key, OPENAI_MODEL } from '../relay/test-world.js';
import { createGatewayMetrics, type GatewayMetricsSet } from './gateway-metrics.js';
import { readExposition } from './read-exposition.js';

/*
 * The real relay and HTTP surface, the testkit upstream over a socket, the official SDK as client:
 * a scripted mix of traffic, then `/metrics` must show exactly what happened.
 */

const ADMIN_TOKEN = 'admin-token-0123456789';
let upstream: TestUpstream;
let fixture: DatabaseFixture;
let http: HttpClients;
let conductor: Conductor;
let metrics: GatewayMetricsSet;
let client: OpenAI;

// openai: a 429 key listed first, so every openai request fails over to the good key.
const limited = key('test-429-', 'openai');
const good = key('test-ok-', 'openai');
const claude = key('test-ok-', 'anthropic');
const revoked = key('test-401-', 'gemini');
const slow = key('test-ok-', 'openai', 'gpt-4o');

function config(): LlmgwConfig {
  return buildConfig({
    gateway: { first_byte_timeout: '5s', queue: { max_wait: '0s' }, admin_tokens: [ADMIN_TOKEN] },
    providers: {
      openai: { base_url: `${upstream.url}/v1`, models: [OPENAI_MODEL, 'gpt-4o'] },
      anthropic: { base_url: `${upstream.url}/v1`, models: [ANTHROPIC_MODEL] },
      gemini: { base_url: `${upstream.url}/v1beta`, models: [GEMINI_MODEL] },
    },
  });
}

beforeAll(async () => {
  upstream = await createTestUpstream();
  fixture = await openTestDatabase({ migrate: false });
  const cfg = config();
  http = createHttpClients(httpClientSettings(cfg));
  const pool = createTestPool([limited, good, claude, revoked, slow]);
  metrics = createGatewayMetrics(new Registry(), { queueMaxDepth: cfg.gateway.queue.max_depth });
  const log = pino({ level: 'silent' });
  const relay = createRelay({
    config: cfg,
    pool,
    upstream: { http, credentials: createCredentialSource(http), now: Date.now },
    attempts: metrics,
    log,
    now: Date.now,
    metrics,
  });
  metrics.watch({ relay });
  conductor = await startConductor({
    config: cfg,
    relay,
    pool,
    database: fixture.database,
    log,
    host: '127.0.0.1',
    port: 0,
    metrics,
    metricsRegistry: metrics.registry,
  });
  client = new OpenAI({ baseURL: `${conductor.url}/v1`, apiKey: 'unused', maxRetries: 0 });
  upstream.setBehavior(good.secret, { kind: 'ok', usage: { promptTokens: 11, completionTokens: 5 } });
  upstream.setBehavior(claude.secret, { kind: 'ok', usage: { promptTokens: 20, completionTokens: 8 } });
}, 60_000);

afterAll(async () => {
  await conductor?.stop();
  await http?.close();
  await fixture?.dispose();
  await upstream?.close();
});

/** `null` sends no authorization header at all. */
async function scrape(token: string | null = ADMIN_TOKEN): Promise<Response> {
  return fetch(`${conductor.url}/metrics`, {
    headers: token === null ? {} : { authorization: `Bearer ${token}` },
  });
}

async function exposition() {
  const response = await scrape();
  expect(response.status).toBe(200);
  return { text: await response.clone().text(), ...readExposition(await response.text()) };
}

const ask = (model: string) => ({ model, messages: [{ role: 'user' as const, content: 'hi' }] });

describe('GET /metrics after scripted traffic', () => {
  it('counts requests, attempts, fallbacks, tokens and hooks with their exact values', async () => {
    // One openai request: the 429 key, then the good key.
    const failover = await client.chat.completions.create(ask(`openai/${OPENAI_MODEL}`));
    expect(failover.choices[0]?.message.content).toMatch(/^ok:/);
    // Two anthropic successes and one anthropic stream with usage.
    await client.chat.completions.create(ask(`anthropic/${ANTHROPIC_MODEL}`));
    await client.chat.completions.create(ask(`anthropic/${ANTHROPIC_MODEL}`));
    const stream = await client.chat.completions.create({
      ...ask(`anthropic/${ANTHROPIC_MODEL}`),
      stream: true,
      stream_options: { include_usage: true },
    });
    for await (const _chunk of stream) {
      // drain
    }
    // gemini's only key is revoked: 503 after one attempt, nothing to fall back to.
    const refused = await client.chat.completions.create(ask(`gemini/${GEMINI_MODEL}`)).catch((e) => e);
    expect(refused).toBeInstanceOf(OpenAI.APIError);
    expect((refused as InstanceType<typeof OpenAI.APIError>).status).toBe(503);
    // What the offline, cache, affinity and coalescing parts report through the hooks.
    metrics.offlineHit();
    metrics.offlineHit();
    metrics.cacheLookup('hit');
    metrics.cacheLookup('miss');
    metrics.cacheLookup('miss');
    metrics.affinity('moved');
    metrics.coalesced();

    const m = await exposition();
    const requests = (provider: string, model: string, code: string) =>
      m.value('llm_gateway_requests_total', { provider, model, code });
    expect(requests('openai', OPENAI_MODEL, '200')).toBe(1);
    expect(requests('anthropic', ANTHROPIC_MODEL, '200')).toBe(3);
    expect(requests('gemini', GEMINI_MODEL, '503')).toBe(1);
    expect(m.samples.filter((s) => s.name === 'llm_gateway_requests_total')).toHaveLength(3);

    const attempts = (provider: string, reason: string) =>
      m.value('llm_gateway_attempts_total', { provider, reason });
    expect(attempts('openai', 'rate_limited')).toBe(1);
    expect(attempts('openai', 'ok')).toBe(1);
    expect(attempts('anthropic', 'ok')).toBe(3);
    expect(attempts('gemini', 'invalid_key')).toBe(1);
    expect(m.samples.filter((s) => s.name === 'llm_gateway_attempts_total')).toHaveLength(4);

    expect(m.samples.filter((s) => s.name === 'llm_gateway_fallbacks_total')).toEqual([
      {
        name: 'llm_gateway_fallbacks_total',
        labels: { from: 'openai', to: 'openai', reason: 'rate_limited' },
        value: 1,
      },
    ]);

    const tokens = (provider: string, model: string, kind: string) =>
      m.value('llm_gateway_tokens_total', { provider, model, kind });
    expect(tokens('openai', OPENAI_MODEL, 'prompt')).toBe(11);
    expect(tokens('openai', OPENAI_MODEL, 'completion')).toBe(5);
    expect(tokens('anthropic', ANTHROPIC_MODEL, 'prompt')).toBe(60);
    expect(tokens('anthropic', ANTHROPIC_MODEL, 'completion')).toBe(24);

    const durations = (provider: string, stream: string) =>
      m.value('llm_gateway_request_duration_seconds_count', { provider, stream });
    expect(durations('anthropic', 'false')).toBe(2);
    expect(durations('anthropic', 'true')).toBe(1);
    expect(durations('openai', 'false')).toBe(1);
    expect(durations('gemini', 'false')).toBe(1);
    // A first byte arrived for the four successful attempts only.
    expect(m.value('llm_gateway_upstream_ttfb_seconds_count', { provider: 'openai' })).toBe(1);
    expect(m.value('llm_gateway_upstream_ttfb_seconds_count', { provider: 'anthropic' })).toBe(3);
    expect(m.value('llm_gateway_upstream_ttfb_seconds_count', { provider: 'gemini' })).toBeUndefined();

    expect(m.value('llm_gateway_offline_hits_total')).toBe(2);
    expect(m.value('llm_gateway_cache_total', { result: 'hit' })).toBe(1);
    expect(m.value('llm_gateway_cache_total', { result: 'miss' })).toBe(2);
    expect(m.value('llm_gateway_cache_total', { result: 'bypass' })).toBe(0);
    expect(m.value('llm_gateway_affinity_total', { result: 'moved' })).toBe(1);
    expect(m.value('llm_gateway_affinity_total', { result: 'hit' })).toBe(0);
    expect(m.value('llm_gateway_coalesced_total')).toBe(1);
    expect(m.value('llm_gateway_inflight')).toBe(0);
    expect(m.value('llm_gateway_queue_depth')).toBe(0);
    expect(m.value('llm_gateway_queue_max_depth')).toBe(1000);
    expect(m.types.get('llm_gateway_request_duration_seconds')).toBe('histogram');
    expect(m.types.get('llm_gateway_requests_total')).toBe('counter');

    // No secret, no request id, no client-invented name anywhere in the text.
    for (const secret of [limited.secret, good.secret, claude.secret, revoked.secret]) {
      expect(m.text).not.toContain(secret);
      expect(m.text).not.toContain(secret.slice(-8));
    }
    expect(m.text).not.toMatch(/request_?id|req-/i);
  }, 60_000);

  it('counts a request for a model nobody serves without a label for the name the client sent', async () => {
    const before = (await exposition()).samples.length;
    const unknown = await client.chat.completions.create(ask('no-such-model-xyz')).catch((e) => e);
    expect(unknown).toBeInstanceOf(OpenAI.APIError);
    const after = await exposition();
    expect(after.text).not.toContain('no-such-model-xyz');
    expect(after.samples.length).toBe(before);
  });

  it('shows a request in flight while its upstream is still answering', async () => {
    upstream.setBehavior(slow.secret, { kind: 'ok', delayMs: 1_500 });
    const pending = client.chat.completions.create(ask('openai/gpt-4o'));
    await expect
      .poll(async () => (await exposition()).value('llm_gateway_inflight'), { timeout: 5_000 })
      .toBe(1);
    await pending;
    expect((await exposition()).value('llm_gateway_inflight')).toBe(0);
  });

  it('serves Prometheus text and asks for an admin token once admin tokens are configured', async () => {
    const response = await scrape();
    expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(await response.text()).toContain('# TYPE llm_gateway_requests_total counter');

    const anonymous = await scrape(null);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe('Bearer');
    const body = (await anonymous.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('invalid_api_key');
    expect((await scrape('not-the-admin-token')).status).toBe(401);
  });
});

describe('GET /metrics without admin tokens', () => {
  const build = (withRegistry: boolean) => {
    const cfg = buildConfig({ providers: { openai: {} } });
    const registry = new Registry();
    createGatewayMetrics(registry);
    return createApp({
      config: cfg,
      relay: createScriptedRelay(() => okJson({})),
      pool: createListPool([]),
      database: fixture.database,
      log: pino({ level: 'silent' }),
      ...(withRegistry ? { metricsRegistry: registry } : {}),
    });
  };

  it('is open to a scraper with no token at all', async () => {
    const response = await build(true).request('/metrics');
    expect(response.status).toBe(200);
    expect(readExposition(await response.text()).value('llm_gateway_inflight')).toBe(0);
  });

  it('does not exist when the app is built without a registry', async () => {
    expect((await build(false).request('/metrics')).status).toBe(404);
  });
});
