import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Candidate, RelayInput, RelayResult } from '../contracts.js';
import { createApp } from './app.js';
import {
  captureLog,
  createListPool,
  createScriptedRelay,
  type DatabaseFixture,
  okJson,
  openTestDatabase,
  sseStream,
  TEST_TOKEN,
  testConfig,
} from './test-support.js';

let fixture: DatabaseFixture;
beforeAll(async () => {
  fixture = await openTestDatabase({ migrate: false });
});
afterAll(async () => fixture.dispose());

const CHAT = { model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] };
const COMPLETION = { id: 'chatcmpl-1', object: 'chat.completion', choices: [] };

function build(
  respond: (input: RelayInput) => RelayResult | Promise<RelayResult> = () => okJson(COMPLETION),
  usable: Candidate[] = [],
) {
  const relay = createScriptedRelay(respond);
  const captured = captureLog();
  const pool = createListPool([
    { provider: 'openai', model: 'gpt-4o' },
    { provider: 'groq', model: 'llama-3.3-70b-versatile' },
    { provider: 'ollama', model: 'llama3.2' },
    ...usable,
  ]);
  const app = createApp({ config: testConfig(), relay, pool, database: fixture.database, log: captured.log });
  return { app, relay, lines: captured.lines };
}

function post(
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
): RequestInit & { path: string } {
  return {
    path,
    method: 'POST',
    headers: { authorization: `Bearer ${TEST_TOKEN}`, 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  };
}

async function send(app: ReturnType<typeof build>['app'], request: RequestInit & { path: string }) {
  const { path, ...init } = request;
  return app.request(path, init);
}

async function errorOf(response: Response): Promise<{ message: string; type: string; code: string }> {
  const body = (await response.json()) as { error: { message: string; type: string; code: string } };
  expect(Object.keys(body.error).sort()).toEqual(['code', 'message', 'type']);
  return body.error;
}

describe('auth', () => {
  it('answers 401 without a bearer token', async () => {
    const { app, relay } = build();
    const response = await send(app, { ...post('/v1/chat/completions', CHAT), headers: {} });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer');
    expect(await errorOf(response)).toMatchObject({ code: 'invalid_api_key' });
    expect(relay.inputs).toHaveLength(0);
  });

  it('answers 401 with a wrong token, without echoing it', async () => {
    const { app } = build();
    const response = await send(
      app,
      post('/v1/chat/completions', CHAT, { authorization: 'Bearer sk-live-guess' }),
    );
    expect(response.status).toBe(401);
    expect((await errorOf(response)).message).not.toContain('sk-live-guess');
  });

  it('rejects a token that only shares a prefix with the right one', async () => {
    const { app } = build();
    const response = await send(app, post('/v1/models', '', { authorization: `Bearer ${TEST_TOKEN}x` }));
    expect(response.status).toBe(401);
  });

  it('lets the right token through', async () => {
    const { app, relay } = build();
    const response = await send(app, post('/v1/chat/completions', CHAT));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual(COMPLETION);
    expect(relay.inputs).toHaveLength(1);
  });

  it('needs no token with none configured', async () => {
    const relay = createScriptedRelay(() => okJson(COMPLETION));
    const config = testConfig({ gateway: { auth_tokens: [] } });
    const app = createApp({
      config,
      relay,
      pool: createListPool([]),
      database: fixture.database,
      log: captureLog().log,
    });
    const response = await app.request('/v1/chat/completions', {
      method: 'POST',
      body: JSON.stringify(CHAT),
    });
    expect(response.status).toBe(200);
  });
});

describe('request validation', () => {
  it('answers 413 in OpenAI shape for a body over gateway.body_limit', async () => {
    const { app, relay } = build();
    const big = { ...CHAT, messages: [{ role: 'user', content: 'x'.repeat(2000) }] };
    const response = await send(app, post('/v1/chat/completions', big));
    expect(response.status).toBe(413);
    const error = await errorOf(response);
    expect(error).toMatchObject({ type: 'invalid_request_error', code: 'request_too_large' });
    expect(error.message).toContain('1kb');
    expect(relay.inputs).toHaveLength(0);
  });

  it('enforces the limit on a streamed body without Content-Length', async () => {
    const { app } = build();
    const chunks = sseStream(Array.from({ length: 40 }, () => 'x'.repeat(50)));
    const response = await app.request('/v1/chat/completions', {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_TOKEN}` },
      body: chunks,
      duplex: 'half',
    } as RequestInit);
    expect(response.status).toBe(413);
  });

  it('answers 400 naming the JSON problem', async () => {
    const { app } = build();
    const response = await send(app, post('/v1/chat/completions', '{"model": "gpt-4o",'));
    expect(response.status).toBe(400);
    const error = await errorOf(response);
    expect(error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_json' });
    expect(error.message).toMatch(/not valid JSON: .+/);
  });

  it.each([
    ['a JSON array', [CHAT], 'must be a JSON object'],
    ['no model', { messages: CHAT.messages }, 'Missing required parameter "model"'],
    ['a numeric model', { ...CHAT, model: 4 }, 'Invalid "model"'],
    ['no messages', { model: 'gpt-4o' }, 'Missing required parameter "messages"'],
    ['string messages', { model: 'gpt-4o', messages: 'hi' }, 'Invalid "messages"'],
    ['a string stream flag', { ...CHAT, stream: 'yes' }, 'Invalid "stream"'],
  ])('answers 400 for %s', async (_name, body, message) => {
    const { app } = build();
    const response = await send(app, post('/v1/chat/completions', body));
    expect(response.status).toBe(400);
    expect((await errorOf(response)).message).toContain(message);
  });

  it('answers 400 for embeddings without input', async () => {
    const { app } = build();
    const response = await send(app, post('/v1/embeddings', { model: 'text-embedding-3-small' }));
    expect(response.status).toBe(400);
    expect((await errorOf(response)).message).toContain('"input"');
  });

  it('answers 404 model_not_found for an unknown model, saying where the list is', async () => {
    const { app, relay } = build();
    const response = await send(app, post('/v1/chat/completions', { ...CHAT, model: 'gpt-17' }));
    expect(response.status).toBe(404);
    const error = await errorOf(response);
    expect(error.code).toBe('model_not_found');
    expect(error.message).toContain('GET /v1/models');
    expect(relay.inputs).toHaveLength(0);
  });
});

describe('relaying', () => {
  it('hands the relay the resolved tiers, body, stream flag, request id and an abort signal', async () => {
    const { app, relay } = build();
    await send(app, post('/v1/chat/completions', { ...CHAT, model: 'fast' }, { 'x-request-id': 'abc-123' }));
    const input = relay.inputs[0];
    expect(input).toMatchObject({ operation: 'chat', stream: false, requestId: 'abc-123' });
    expect(input?.tiers).toEqual([
      [{ provider: 'groq', model: 'llama-3.3-70b-versatile' }],
      [{ provider: 'openai', model: 'gpt-4o-mini' }],
      [{ provider: 'ollama', model: 'llama3.2' }],
    ]);
    expect(input?.body).toMatchObject({ model: 'fast', messages: CHAT.messages });
    expect(input?.signal.aborted).toBe(false);
  });

  it('restricts to the provider named by X-LLM-Provider', async () => {
    const { app, relay } = build();
    await send(app, post('/v1/chat/completions', { ...CHAT, model: 'fast' }, { 'x-llm-provider': 'openai' }));
    expect(relay.inputs[0]?.tiers).toEqual([[{ provider: 'openai', model: 'gpt-4o-mini' }]]);
  });

  it('finds a model only the pool knows (models_from_api) when the config does not', async () => {
    const { app, relay } = build(undefined, [{ provider: 'ollama', model: 'qwen2.5:7b' }]);
    const response = await send(app, post('/v1/chat/completions', { ...CHAT, model: 'qwen2.5:7b' }));
    expect(response.status).toBe(200);
    expect(relay.inputs[0]?.tiers).toEqual([[{ provider: 'ollama', model: 'qwen2.5:7b' }]]);
  });

  it('relays embeddings with embedding models', async () => {
    const { app, relay } = build();
    const response = await send(
      app,
      post('/v1/embeddings', { model: 'text-embedding-3-small', input: 'hi' }),
    );
    expect(response.status).toBe(200);
    expect(relay.inputs[0]).toMatchObject({
      operation: 'embeddings',
      tiers: [[{ provider: 'openai', model: 'text-embedding-3-small' }]],
    });
  });

  it('copies the relay headers onto a JSON answer', async () => {
    const { app } = build(() =>
      okJson(COMPLETION, {
        'x-llm-actual-provider': 'openai',
        'x-llm-attempts': '2',
        'x-llm-attempt-trail': 'groq:7:rate_limited,openai:3:ok',
      }),
    );
    const response = await send(app, post('/v1/chat/completions', CHAT));
    expect(response.headers.get('x-llm-actual-provider')).toBe('openai');
    expect(response.headers.get('x-llm-attempts')).toBe('2');
    expect(response.headers.get('x-llm-attempt-trail')).toBe('groq:7:rate_limited,openai:3:ok');
    expect(response.headers.get('content-type')).toContain('application/json');
  });

  it('streams SSE with event-stream headers, frames intact, ending with [DONE]', async () => {
    const events = [
      { choices: [{ delta: { content: 'Hel' } }] },
      { choices: [{ delta: { content: 'lo' } }] },
    ];
    const { app, relay } = build(() => ({
      kind: 'stream',
      body: sseStream(events),
      headers: { 'x-llm-actual-model': 'gpt-4o' },
    }));
    const response = await send(app, post('/v1/chat/completions', { ...CHAT, stream: true }));
    expect(relay.inputs[0]?.stream).toBe(true);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    expect(response.headers.get('cache-control')).toBe('no-cache');
    expect(response.headers.get('x-llm-actual-model')).toBe('gpt-4o');
    expect(response.headers.get('x-request-id')).toBeTruthy();
    const text = await response.text();
    expect(text).toBe(
      `data: ${JSON.stringify(events[0])}\n\ndata: ${JSON.stringify(events[1])}\n\ndata: [DONE]\n\n`,
    );
    expect(relay.inflight()).toBe(0);
  });

  it('answers a relay refusal in OpenAI shape with Retry-After on 429', async () => {
    const { app } = build(() => ({
      kind: 'error',
      error: {
        status: 429,
        message: 'every key is at its limit',
        type: 'rate_limit_error',
        code: 'rate_limited',
        retryAfterSec: 7.2,
      },
      headers: { 'x-llm-attempts': '0' },
    }));
    const response = await send(app, post('/v1/chat/completions', CHAT));
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('8');
    expect(response.headers.get('x-llm-attempts')).toBe('0');
    expect(await errorOf(response)).toEqual({
      message: 'every key is at its limit',
      type: 'rate_limit_error',
      code: 'rate_limited',
    });
  });

  it('answers 503 with the relay message and no Retry-After', async () => {
    const { app } = build(() => ({
      kind: 'error',
      error: {
        status: 503,
        message: 'no usable key: dead 3, cooldown 2',
        type: 'server_error',
        code: 'no_usable_triple',
      },
      headers: {},
    }));
    const response = await send(app, post('/v1/chat/completions', CHAT));
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBeNull();
    expect((await errorOf(response)).message).toContain('dead 3');
  });

  it('turns an unexpected failure into an OpenAI-shaped 500 without internals', async () => {
    const { app, lines } = build(() => {
      throw new Error('pool exploded near sk-secret-in-message');
    });
    const response = await send(app, post('/v1/chat/completions', CHAT, { 'x-request-id': 'req-500' }));
    expect(response.status).toBe(500);
    const error = await errorOf(response);
    expect(error).toMatchObject({ type: 'server_error', code: 'internal_error' });
    expect(error.message).toContain('req-500');
    expect(error.message).not.toContain('exploded');
    expect(error.message).not.toContain('at ');
    expect(response.headers.get('x-request-id')).toBe('req-500');
    expect(lines().some((line) => line.msg === 'request failed unexpectedly')).toBe(true);
  });
});

describe('request id', () => {
  it('echoes a sane incoming x-request-id', async () => {
    const { app } = build();
    const response = await send(app, post('/v1/chat/completions', CHAT, { 'x-request-id': 'lb-42.a:b' }));
    expect(response.headers.get('x-request-id')).toBe('lb-42.a:b');
  });

  it('replaces an insane one and generates one when absent', async () => {
    const { app, relay } = build();
    const injected = await send(
      app,
      post('/v1/chat/completions', CHAT, { 'x-request-id': 'a b\tc<script>' }),
    );
    const generated = injected.headers.get('x-request-id');
    expect(generated).toMatch(/^[0-9a-f-]{36}$/);
    expect(relay.inputs[0]?.requestId).toBe(generated);
    const absent = await app.request('/healthz');
    expect(absent.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(absent.headers.get('x-request-id')).not.toBe(generated);
  });

  it('is on error answers too', async () => {
    const { app } = build();
    const response = await app.request('/v1/models', { headers: { 'x-request-id': 'denied-1' } });
    expect(response.status).toBe(401);
    expect(response.headers.get('x-request-id')).toBe('denied-1');
  });

  it('is logged once per request', async () => {
    const { app, lines, relay } = build();
    await send(app, post('/v1/chat/completions', CHAT, { 'x-request-id': 'logged-1' }));
    expect(relay.inputs[0]?.answersOnSocket).toBe(false);
    // In-process there is no socket write to wait for: the line is there when the answer is.
    const logged = lines().filter((line) => line.msg === 'request');
    expect(logged).toEqual([
      expect.objectContaining({ requestId: 'logged-1', status: 200, path: '/v1/chat/completions' }),
    ]);
    expect(JSON.stringify(lines())).not.toContain(TEST_TOKEN);
  });
});

describe('GET /v1/models', () => {
  it('lists usable models as provider/model plus the groups that can serve', async () => {
    const { app } = build();
    const response = await app.request('/v1/models', { headers: { authorization: `Bearer ${TEST_TOKEN}` } });
    expect(response.status).toBe(200);
    const body = (await response.json()) as {
      object: string;
      data: { id: string; object: string; owned_by: string }[];
    };
    expect(body.object).toBe('list');
    expect(body.data.map((model) => model.id)).toEqual([
      'openai/gpt-4o',
      'groq/llama-3.3-70b-versatile',
      'ollama/llama3.2',
      'fast',
    ]);
    expect(body.data[0]).toMatchObject({ object: 'model', owned_by: 'openai' });
  });
});

describe('unknown routes', () => {
  it('answer an OpenAI-shaped 404', async () => {
    const { app } = build();
    const response = await app.request('/v2/whatever');
    expect(response.status).toBe(404);
    expect((await errorOf(response)).message).toContain('/v1/chat/completions');
  });

  it('answer /healthz without auth', async () => {
    const { app } = build();
    const response = await app.request('/healthz');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });
});
