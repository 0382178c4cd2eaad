import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestUpstream, type TestUpstream } from './server.js';
import {
  type ChatCompletion,
  chat,
  type EmbeddingList,
  type ErrorBody,
  type ModelList,
  parseSse,
  postJson,
  readJson,
} from './test-support.js';

let upstream: TestUpstream;
const auth = (key: string) => ({ authorization: `Bearer ${key}` });

beforeAll(async () => {
  upstream = await createTestUpstream();
});
afterAll(() => upstream.close());
beforeEach(() => upstream.reset());

describe('OpenAI wire format', () => {
  it('answers a chat completion that echoes the last user turn, with usage', async () => {
    const answer = await postJson(`${upstream.url}/v1/chat/completions`, chat('hello there'), auth('sk-a'));
    expect(answer.status).toBe(200);
    const body = await readJson<ChatCompletion>(answer);
    expect(body).toMatchObject({
      object: 'chat.completion',
      model: 'gpt-4o-mini',
      choices: [
        { index: 0, message: { role: 'assistant', content: 'ok: hello there' }, finish_reason: 'stop' },
      ],
    });
    expect(body.id).toMatch(/^chatcmpl-/);
    expect(body.usage.total_tokens).toBe(body.usage.prompt_tokens + body.usage.completion_tokens);
    expect(upstream.calls()).toMatchObject([
      {
        provider: 'openai',
        operation: 'chat',
        key: 'sk-a',
        model: 'gpt-4o-mini',
        stream: false,
        status: 200,
      },
    ]);
  });

  it('streams chunks, a usage chunk with empty choices when asked, then [DONE]', async () => {
    const answer = await postJson(
      `${upstream.url}/v1/chat/completions`,
      chat('one two three', { stream: true, stream_options: { include_usage: true } }),
      auth('sk-a'),
    );
    expect(answer.headers.get('content-type')).toBe('text/event-stream');
    const events = parseSse(await answer.text());
    expect(events.at(-1)?.data).toBe('[DONE]');
    const chunks = events.slice(0, -1).map((event) => JSON.parse(event.data));
    expect(chunks.every((chunk) => chunk.object === 'chat.completion.chunk')).toBe(true);
    expect(chunks[0].choices[0].delta).toEqual({ role: 'assistant', content: '' });
    const text = chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('');
    expect(text).toBe('ok: one two three');
    const usageChunk = chunks.at(-1);
    expect(usageChunk.choices).toEqual([]);
    expect(usageChunk.usage.prompt_tokens).toBeGreaterThan(0);
    expect(chunks.slice(0, -1).every((chunk) => chunk.usage === null)).toBe(true);
    expect(chunks.at(-2).choices[0].finish_reason).toBe('stop');
  });

  it('serves OpenAI-compatible prefixes and DeepSeek-style root paths', async () => {
    for (const path of [
      '/compatible-mode/v1/chat/completions',
      '/api/v1/chat/completions',
      '/chat/completions',
    ]) {
      const answer = await postJson(`${upstream.url}${path}`, chat('x'), auth('sk-a'));
      expect(answer.status).toBe(200);
    }
    expect(upstream.calls().map((call) => call.provider)).toEqual(['openai', 'openai', 'openai']);
  });

  it('returns deterministic embeddings, also as base64 float32', async () => {
    const url = `${upstream.url}/v1/embeddings`;
    const body = { model: 'text-embedding-3-small', input: ['first', 'second'], dimensions: 4 };
    const first = await readJson<EmbeddingList>(await postJson(url, body, auth('sk-a')));
    const again = await readJson<EmbeddingList>(await postJson(url, body, auth('sk-a')));
    expect(first.data).toHaveLength(2);
    const vector = first.data[0]?.embedding ?? [];
    expect(vector).toHaveLength(4);
    expect(first).toEqual(again);
    expect(first.usage?.total_tokens).toBe(first.usage?.prompt_tokens);
    const encoded = await readJson<{ data: Array<{ embedding: string }> }>(
      await postJson(url, { ...body, encoding_format: 'base64' }, auth('sk-a')),
    );
    const bytes = new Uint8Array(Buffer.from(encoded.data[0]?.embedding ?? '', 'base64'));
    const floats = new Float32Array(bytes.buffer);
    expect([...floats].map((value) => value.toFixed(4))).toEqual(vector.map((value) => value.toFixed(4)));
  });

  it('lists the configured models and looks one up', async () => {
    upstream.setModels('openai', ['m-1', 'm-2']);
    const list = await readJson<ModelList>(
      await fetch(`${upstream.url}/v1/models`, { headers: auth('sk-a') }),
    );
    expect(list.data.map((model: { id: string }) => model.id)).toEqual(['m-1', 'm-2']);
    expect(list.data[0]).toMatchObject({ object: 'model', owned_by: 'testkit' });
    expect((await fetch(`${upstream.url}/v1/models/m-2`, { headers: auth('sk-a') })).status).toBe(200);
    const missing = await fetch(`${upstream.url}/v1/models/nope`, { headers: auth('sk-a') });
    expect(missing.status).toBe(404);
    expect((await readJson<ErrorBody>(missing)).error.code).toBe('model_not_found');
  });

  it('refuses a request without a key with 401', async () => {
    const answer = await postJson(`${upstream.url}/v1/chat/completions`, chat('x'));
    expect(answer.status).toBe(401);
    expect((await readJson<ErrorBody>(answer)).error.message).toContain("didn't provide an API key");
  });

  it('answers 400 to a body that is not JSON', async () => {
    const answer = await fetch(`${upstream.url}/v1/chat/completions`, {
      method: 'POST',
      headers: auth('sk-a'),
      body: '{nope',
    });
    expect(answer.status).toBe(400);
    expect((await readJson<ErrorBody>(answer)).error.type).toBe('invalid_request_error');
  });
});

describe('OpenAI failures', () => {
  async function failWith(behavior: Parameters<TestUpstream['setBehavior']>[1]) {
    upstream.setBehavior('sk-fail-0000abcd', behavior);
    const answer = await postJson(`${upstream.url}/v1/chat/completions`, chat('x'), auth('sk-fail-0000abcd'));
    return { status: answer.status, headers: answer.headers, body: await readJson<ErrorBody>(answer) };
  }

  it('401 invalid_api_key names only the masked key', async () => {
    const { status, body } = await failWith({ kind: 'status', status: 401 });
    expect(status).toBe(401);
    expect(body.error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_api_key', param: null });
    expect(body.error.message).toContain('sk-…abcd');
    expect(body.error.message).not.toContain('sk-fail-0000abcd');
  });

  it('429 rate limit carries retry-after and rate-limit headers', async () => {
    const { status, headers, body } = await failWith({ kind: 'status', status: 429, retryAfterSec: 7 });
    expect(status).toBe(429);
    expect(headers.get('retry-after')).toBe('7');
    expect(headers.get('x-ratelimit-remaining-requests')).toBe('0');
    expect(body.error).toMatchObject({ type: 'requests', code: 'rate_limit_exceeded' });
    expect(body.error.message).toContain('Please try again in 7s');
  });

  it('429 on tokens says type tokens', async () => {
    const { body } = await failWith({ kind: 'status', status: 429, variant: 'tokens', retryAfterSec: 1 });
    expect(body.error).toMatchObject({ type: 'tokens', code: 'rate_limit_exceeded' });
  });

  it('429 insufficient_quota has no retry-after', async () => {
    const { status, headers, body } = await failWith({
      kind: 'status',
      status: 429,
      variant: 'insufficient_quota',
    });
    expect(status).toBe(429);
    expect(headers.get('retry-after')).toBeNull();
    expect(body.error).toMatchObject({ type: 'insufficient_quota', code: 'insufficient_quota' });
  });

  it('429 OpenRouter-style states when the limit will reset', async () => {
    const resetAt = Date.UTC(2030, 0, 2, 0, 0, 0);
    const { body } = await failWith({ kind: 'status', status: 429, variant: 'will_reset_at', resetAt });
    expect(body.error.code).toBe(429);
    expect(body.error.message).toContain('will reset at 2030-01-02T00:00:00.000Z');
    expect(body.error.metadata?.headers['X-RateLimit-Reset']).toBe(String(resetAt));
  });

  it('402 is DeepSeek "Insufficient Balance", or OpenRouter-shaped on request', async () => {
    const deepseek = await failWith({ kind: 'status', status: 402 });
    expect(deepseek.status).toBe(402);
    expect(deepseek.body.error).toEqual({
      message: 'Insufficient Balance',
      type: 'unknown_error',
      param: null,
      code: 'invalid_request_error',
    });
    const openrouter = await failWith({ kind: 'status', status: 402, variant: 'openrouter' });
    expect(openrouter.body.error.code).toBe(402);
  });

  it('404 model_not_found names the model', async () => {
    const { status, body } = await failWith({ kind: 'status', status: 404 });
    expect(status).toBe(404);
    expect(body.error).toMatchObject({ code: 'model_not_found', type: 'invalid_request_error' });
    expect(body.error.message).toContain('`gpt-4o-mini`');
  });

  it('400 context_length_exceeded points at messages', async () => {
    const { status, body } = await failWith({ kind: 'status', status: 400, variant: 'context_length' });
    expect(status).toBe(400);
    expect(body.error).toMatchObject({ code: 'context_length_exceeded', param: 'messages' });
  });

  it('5xx are server_error and overload bodies', async () => {
    expect((await failWith({ kind: 'status', status: 500 })).body.error.type).toBe('server_error');
    const overloaded = await failWith({ kind: 'status', status: 503, retryAfterSec: 3 });
    expect(overloaded.body.error.code).toBe('server_is_overloaded');
    expect(overloaded.headers.get('retry-after')).toBe('3');
  });

  it('Mistral 401 is flat', async () => {
    const { body } = await failWith({ kind: 'status', status: 401, variant: 'mistral' });
    expect(body.message).toBe('Unauthorized');
    expect(typeof body.request_id).toBe('string');
  });

  it('Gemini OpenAI-compat errors are Google-shaped and wrapped in an array', async () => {
    upstream.setBehavior('gem-key', { kind: 'status', status: 401 });
    const answer = await postJson(
      `${upstream.url}/v1beta/openai/chat/completions`,
      chat('x'),
      auth('gem-key'),
    );
    expect(answer.status).toBe(400);
    const body = await readJson<ErrorBody[]>(answer);
    expect(Array.isArray(body)).toBe(true);
    expect(body[0]?.error.details?.[0]?.reason).toBe('API_KEY_INVALID');
  });
});

describe('OpenAI tools, JSON and reasoning', () => {
  const tools = [
    {
      type: 'function',
      function: { name: 'a', parameters: { type: 'object', properties: { n: { type: 'integer' } } } },
    },
    { type: 'function', function: { name: 'b' } },
  ];

  it('makes two parallel calls with JSON-string arguments, or one when parallel calls are off', async () => {
    const both = await readJson<ChatCompletion & { choices: Array<{ message: { tool_calls: unknown[] } }> }>(
      await postJson(`${upstream.url}/v1/chat/completions`, chat('go', { tools }), auth('sk-a')),
    );
    expect(both.choices[0]?.finish_reason).toBe('tool_calls');
    expect(both.choices[0]?.message.tool_calls).toMatchObject([
      { type: 'function', function: { name: 'a', arguments: '{"n":1}' } },
      { type: 'function', function: { name: 'b', arguments: '{}' } },
    ]);
    const one = await readJson<{ choices: Array<{ message: { tool_calls: unknown[] } }> }>(
      await postJson(
        `${upstream.url}/v1/chat/completions`,
        chat('go', { tools, parallel_tool_calls: false }),
        auth('sk-a'),
      ),
    );
    expect(one.choices[0]?.message.tool_calls).toHaveLength(1);
  });

  it('answers json_schema with a valid value and reasoning with reasoning_content and tokens', async () => {
    const schema = { type: 'object', properties: { ok: { type: 'boolean' } }, required: ['ok'] };
    const body = await readJson<
      ChatCompletion & { usage: { completion_tokens_details?: { reasoning_tokens: number } } }
    >(
      await postJson(
        `${upstream.url}/v1/chat/completions`,
        chat('hi', {
          response_format: { type: 'json_schema', json_schema: { name: 's', schema } },
          reasoning_effort: 'low',
        }),
        auth('sk-a'),
      ),
    );
    expect(JSON.parse(body.choices[0]?.message.content ?? '')).toEqual({ ok: true });
    expect(body.choices[0]?.message).toMatchObject({ reasoning_content: 'thinking about: hi' });
    expect(body.usage.completion_tokens_details?.reasoning_tokens).toBeGreaterThan(0);
  });

  it('refuses a tool result that answers no call with 400 naming it', async () => {
    const answer = await postJson(
      `${upstream.url}/v1/chat/completions`,
      chat('x', { messages: [{ role: 'tool', tool_call_id: 'nope', content: 'r' }] }),
      auth('sk-a'),
    );
    expect(answer.status).toBe(400);
    expect((await readJson<ErrorBody>(answer)).error.message).toContain('answers no tool call');
  });
});
