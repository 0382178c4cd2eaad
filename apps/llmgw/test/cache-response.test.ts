import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTestDatabase, type TestDatabase } from '@llmgw/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ConductorWorld,
  createConductorWorld,
  type Gateway,
  MODEL,
  SETUP_TIMEOUT_MS,
  sleep,
  stopWithin,
} from './conductor-world.js';
import { createSecretLedger, newSecret } from './keeper-world.js';

/*
 * The response cache (SPEC §8) end to end: a real gateway with `gateway.cache` on, the test upstream's
 * call log as the proof of what reached a provider, Postgres as the store.
 */

const TTL_MS = 4_000;
const EMBEDDING_MODEL = 'text-embedding-3-small';
const ledger = createSecretLedger();
let database: TestDatabase | null = null;
let world: ConductorWorld | null = null;
let gateway: Gateway;

beforeAll(async () => {
  database = await createTestDatabase();
  world = await createConductorWorld(ledger, database.url, {
    models: [MODEL, EMBEDDING_MODEL],
    gateway: { cache: `{ enabled: true, ttl: ${TTL_MS} }` },
  });
  // Embeddings need the model among `models` too: the keeper makes triples only for those.
  const yamlPath = join(world.cwd, 'config', 'providers.yaml');
  const yaml = readFileSync(yamlPath, 'utf8');
  writeFileSync(
    yamlPath,
    yaml.replace('    models: [', `    embedding_models: [${EMBEDDING_MODEL}]\n    models: [`),
  );
  const key = newSecret(ledger, 'test-ok-');
  world.writeKeys([key]);
  const worker = world.startWorker();
  await world.activeKeys([key]);
  expect(await stopWithin(worker, 15_000)).toBe(0);
  gateway = await world.startGateway();
  await world.servable(gateway, MODEL);
}, SETUP_TIMEOUT_MS);

afterAll(async () => {
  await world?.close();
  await database?.drop();
});

interface Answer {
  status: number;
  headers: Headers;
  text: string;
}

async function post(
  path: string,
  body: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const response = await fetch(`${gateway.url}/v1${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

let serial = 0;
/** A question no other test asks, so each test starts from an empty cache for its requests. */
function question(): string {
  serial += 1;
  return `question ${serial} at ${Date.now()}`;
}

const deterministic = (content: string, extra: Record<string, unknown> = {}) => ({
  model: MODEL,
  messages: [{ role: 'user', content }],
  temperature: 0,
  ...extra,
});

function upstreamCalls(): number {
  return (world as ConductorWorld).upstream.calls().length;
}

describe('response cache', () => {
  it('serves the second of two identical deterministic requests from the cache: one upstream call', async () => {
    const content = question();
    const before = upstreamCalls();
    const first = await post('/chat/completions', deterministic(content));
    const second = await post('/chat/completions', deterministic(content));

    expect(first.status).toBe(200);
    expect(second.status).toBe(200);
    expect(first.headers.get('x-llm-cache')).toBe('miss');
    expect(second.headers.get('x-llm-cache')).toBe('hit');
    expect(second.headers.get('x-llm-actual-provider')).toBe('mock');
    expect(second.headers.get('x-llm-attempts')).toBe('0');
    expect(JSON.parse(second.text)).toEqual(JSON.parse(first.text));
    expect(upstreamCalls() - before).toBe(1);
  });

  it('treats key order and the `user` field as the same request', async () => {
    const content = question();
    const before = upstreamCalls();
    await post('/chat/completions', deterministic(content, { user: 'alice', max_tokens: 50 }));
    const reordered = await post('/chat/completions', {
      max_tokens: 50,
      temperature: 0,
      user: 'bob',
      messages: [{ content, role: 'user' }],
      model: MODEL,
    });
    expect(reordered.headers.get('x-llm-cache')).toBe('hit');
    expect(upstreamCalls() - before).toBe(1);
  });

  it('bypasses the cache on Cache-Control: no-cache, and keeps nothing on no-store', async () => {
    const content = question();
    const before = upstreamCalls();
    const stored = await post('/chat/completions', deterministic(content), { 'cache-control': 'no-store' });
    expect(stored.headers.get('x-llm-cache')).toBe('bypass');
    // no-store kept nothing: the next request misses.
    const miss = await post('/chat/completions', deterministic(content));
    expect(miss.headers.get('x-llm-cache')).toBe('miss');
    const bypass = await post('/chat/completions', deterministic(content), { 'Cache-Control': 'no-cache' });
    expect(bypass.headers.get('x-llm-cache')).toBe('bypass');
    expect(upstreamCalls() - before).toBe(3);
    // no-cache refreshed the entry: an ordinary request is served its answer.
    const hit = await post('/chat/completions', deterministic(content));
    expect(hit.headers.get('x-llm-cache')).toBe('hit');
    expect(JSON.parse(hit.text)).toEqual(JSON.parse(bypass.text));
    expect(upstreamCalls() - before).toBe(3);
  });

  it('never caches a request whose sampling is not pinned', async () => {
    const content = question();
    const before = upstreamCalls();
    const body = { model: MODEL, messages: [{ role: 'user', content }] };
    const first = await post('/chat/completions', body);
    const second = await post('/chat/completions', body);
    expect([first.headers.get('x-llm-cache'), second.headers.get('x-llm-cache')]).toEqual(['skip', 'skip']);
    expect(upstreamCalls() - before).toBe(2);
    // A seed pins sampling even at the default temperature.
    const seeded = { ...body, seed: 7 };
    await post('/chat/completions', seeded);
    expect((await post('/chat/completions', seeded)).headers.get('x-llm-cache')).toBe('hit');
  });

  it('replays a stream byte for byte, and keeps stream and JSON answers apart', async () => {
    const content = question();
    const before = upstreamCalls();
    const body = deterministic(content, { stream: true });
    const original = await post('/chat/completions', body);
    const replay = await post('/chat/completions', body);

    expect(original.headers.get('x-llm-cache')).toBe('miss');
    expect(replay.headers.get('x-llm-cache')).toBe('hit');
    expect(replay.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(original.text.endsWith('data: [DONE]\n\n')).toBe(true);
    expect(original.text.split('data: ').length).toBeGreaterThan(3);
    expect(replay.text).toBe(original.text);
    expect(upstreamCalls() - before).toBe(1);

    const json = await post('/chat/completions', deterministic(content));
    expect(json.headers.get('x-llm-cache')).toBe('miss');
    expect(upstreamCalls() - before).toBe(2);
  });

  it('caches embeddings', async () => {
    const before = upstreamCalls();
    const body = { model: EMBEDDING_MODEL, input: [question(), question()] };
    const first = await post('/embeddings', body);
    const second = await post('/embeddings', body);
    expect(first.status).toBe(200);
    expect([first.headers.get('x-llm-cache'), second.headers.get('x-llm-cache')]).toEqual(['miss', 'hit']);
    expect(JSON.parse(second.text)).toEqual(JSON.parse(first.text));
    expect(upstreamCalls() - before).toBe(1);
  });

  it('stops serving an entry once its ttl has passed', async () => {
    const content = question();
    const before = upstreamCalls();
    await post('/chat/completions', deterministic(content));
    expect((await post('/chat/completions', deterministic(content))).headers.get('x-llm-cache')).toBe('hit');
    await sleep(TTL_MS + 500);
    const expired = await post('/chat/completions', deterministic(content));
    expect(expired.headers.get('x-llm-cache')).toBe('miss');
    expect(upstreamCalls() - before).toBe(2);
  }, 30_000);
});
