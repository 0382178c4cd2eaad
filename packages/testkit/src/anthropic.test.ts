import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestUpstream, type TestUpstream } from './server.js';
import { type ErrorBody, type ModelList, parseSse, postJson, readJson } from './test-support.js';

let upstream: TestUpstream;
const headers = (key: string) => ({ 'x-api-key': key, 'anthropic-version': '2023-06-01' });
const request = (extra: Record<string, unknown> = {}) => ({
  model: 'claude-sonnet-4-5',
  max_tokens: 64,
  system: 'Be brief.',
  messages: [{ role: 'user', content: [{ type: 'text', text: 'hi claude' }] }],
  ...extra,
});

beforeAll(async () => {
  upstream = await createTestUpstream();
});
afterAll(() => upstream.close());
beforeEach(() => upstream.reset());

describe('Anthropic wire format', () => {
  it('answers a message with text content and usage', async () => {
    const answer = await postJson(`${upstream.url}/v1/messages`, request(), headers('sk-ant-a'));
    expect(answer.status).toBe(200);
    const body = await readJson<{ id: string; usage: { input_tokens: number } }>(answer);
    expect(body).toMatchObject({
      type: 'message',
      role: 'assistant',
      model: 'claude-sonnet-4-5',
      content: [{ type: 'text', text: 'ok: hi claude' }],
      stop_reason: 'end_turn',
      stop_sequence: null,
    });
    expect(body.id).toMatch(/^msg_/);
    expect(body.usage.input_tokens).toBeGreaterThan(0);
    expect(upstream.calls()[0]).toMatchObject({ provider: 'anthropic', key: 'sk-ant-a' });
  });

  it('streams named events from message_start to message_stop, with a ping', async () => {
    const answer = await postJson(
      `${upstream.url}/v1/messages`,
      request({ stream: true }),
      headers('sk-ant-a'),
    );
    const events = parseSse(await answer.text());
    const names = events.map((event) => event.event);
    expect(names[0]).toBe('message_start');
    expect(names).toContain('ping');
    expect(names.slice(-3)).toEqual(['content_block_stop', 'message_delta', 'message_stop']);
    for (const event of events) expect(JSON.parse(event.data).type).toBe(event.event);
    const text = events
      .filter((event) => event.event === 'content_block_delta')
      .map((event) => JSON.parse(event.data).delta.text)
      .join('');
    expect(text).toBe('ok: hi claude');
    const delta = JSON.parse(events.at(-2)?.data ?? '{}');
    expect(delta.delta.stop_reason).toBe('end_turn');
    expect(delta.usage.output_tokens).toBeGreaterThan(0);
  });

  it('lists models with paging fields, told apart from OpenAI by its headers', async () => {
    const list = await readJson<ModelList>(
      await fetch(`${upstream.url}/v1/models`, { headers: headers('sk-ant-a') }),
    );
    expect(list.has_more).toBe(false);
    expect(list.data[0]).toMatchObject({ type: 'model', id: 'claude-sonnet-4-5-20250929' });
    expect(upstream.calls()[0]?.provider).toBe('anthropic');
  });

  it('fails in the error envelope with request-id', async () => {
    const cases = [
      [401, 'authentication_error'],
      [402, 'billing_error'],
      [404, 'not_found_error'],
      [429, 'rate_limit_error'],
      [500, 'api_error'],
      [529, 'overloaded_error'],
    ] as const;
    for (const [status, type] of cases) {
      upstream.setBehavior('sk-ant-f', { kind: 'status', status, retryAfterSec: 5 });
      const answer = await postJson(`${upstream.url}/v1/messages`, request(), headers('sk-ant-f'));
      expect(answer.status).toBe(status);
      expect(answer.headers.get('request-id')).toMatch(/^req_/);
      expect(answer.headers.get('retry-after')).toBe('5');
      const body = await answer.json();
      expect(body).toMatchObject({ type: 'error', error: { type } });
    }
  });

  it('turns an exhausted quota into 402 billing_error', async () => {
    upstream.setBehavior('sk-ant-q', { kind: 'status', status: 429, variant: 'insufficient_quota' });
    const answer = await postJson(`${upstream.url}/v1/messages`, request(), headers('sk-ant-q'));
    expect(answer.status).toBe(402);
    expect((await readJson<ErrorBody>(answer)).error.type).toBe('billing_error');
  });

  it('sends an error event mid-stream', async () => {
    upstream.setBehavior('sk-ant-e', { kind: 'stream_error', afterChunks: 1 });
    const answer = await postJson(
      `${upstream.url}/v1/messages`,
      request({ stream: true }),
      headers('sk-ant-e'),
    );
    const events = parseSse(await answer.text());
    expect(events.filter((event) => event.event === 'content_block_delta')).toHaveLength(1);
    expect(events.at(-1)?.event).toBe('error');
    expect(JSON.parse(events.at(-1)?.data ?? '{}').error.type).toBe('overloaded_error');
  });
});

describe('Anthropic tools, images and thinking', () => {
  const tool = {
    name: 'get_weather',
    input_schema: { type: 'object', properties: { city: { type: 'string' } } },
  };

  it('answers tools with a tool_use whose input fits the schema, and a tool_result with text quoting it', async () => {
    const call = await postJson(`${upstream.url}/v1/messages`, request({ tools: [tool] }), headers('sk-a'));
    const body = await readJson<{
      content: Array<{ type: string; id: string; input: unknown }>;
      stop_reason: string;
    }>(call);
    expect(body.stop_reason).toBe('tool_use');
    const use = body.content[0];
    expect(use).toMatchObject({ type: 'tool_use', input: { city: 'city' } });
    const answer = await postJson(
      `${upstream.url}/v1/messages`,
      request({
        tools: [tool],
        messages: [
          { role: 'user', content: 'weather?' },
          { role: 'assistant', content: body.content },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: use?.id, content: 'sunny' }] },
        ],
      }),
      headers('sk-a'),
    );
    expect(await readJson(answer)).toMatchObject({
      content: [{ type: 'text', text: 'ok: the tool said sunny' }],
    });
  });

  it('refuses a tool_use left unanswered with 400 naming the rule, logged as bad_request', async () => {
    const answer = await postJson(
      `${upstream.url}/v1/messages`,
      request({
        messages: [
          { role: 'user', content: 'weather?' },
          { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'f', input: {} }] },
          { role: 'user', content: 'well?' },
        ],
      }),
      headers('sk-a'),
    );
    expect(answer.status).toBe(400);
    expect((await readJson<ErrorBody>(answer)).error.message).toContain('must answer tool_use toolu_1');
    expect(upstream.calls()[0]?.behavior).toBe('bad_request');
  });

  it('streams thinking and acknowledges images', async () => {
    const answer = await postJson(
      `${upstream.url}/v1/messages`,
      request({
        stream: true,
        max_tokens: 4000,
        thinking: { type: 'enabled', budget_tokens: 1024 },
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'see' },
              { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'AA' } },
            ],
          },
        ],
      }),
      headers('sk-a'),
    );
    const deltas = parseSse(await answer.text())
      .filter((event) => event.event === 'content_block_delta')
      .map((event) => JSON.parse(event.data).delta);
    expect(deltas[0]).toEqual({ type: 'thinking_delta', thinking: 'thinking about: see' });
    expect(
      deltas
        .filter((delta) => delta.type === 'text_delta')
        .map((delta) => delta.text)
        .join(''),
    ).toBe('ok: see [1 image: image/png]');
  });
});
