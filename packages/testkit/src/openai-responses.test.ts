import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestUpstream, type TestUpstream } from './server.js';
import { parseSse, postJson, readJson } from './test-support.js';

let upstream: TestUpstream;
const auth = (key: string) => ({ authorization: `Bearer ${key}` });

beforeAll(async () => {
  upstream = await createTestUpstream();
});
afterAll(() => upstream.close());
beforeEach(() => upstream.reset());

interface ResponseBody {
  id: string;
  object: string;
  status: string;
  model: string;
  output: Array<Record<string, unknown>>;
  usage: { input_tokens: number; output_tokens: number; total_tokens: number };
}

const request = (input: unknown, extra: Record<string, unknown> = {}) => ({
  model: 'gpt-4o-mini',
  input,
  ...extra,
});

describe('OpenAI Responses wire format', () => {
  it('answers a Response whose message echoes the last user text, with usage, logging the path', async () => {
    const answer = await postJson(`${upstream.url}/v1/responses`, request('hello there'), auth('sk-a'));
    expect(answer.status).toBe(200);
    const body = await readJson<ResponseBody>(answer);
    expect(body).toMatchObject({ object: 'response', status: 'completed', model: 'gpt-4o-mini' });
    expect(body.id).toMatch(/^resp_tk/);
    expect(body.output).toMatchObject([
      { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'ok: hello there' }] },
    ]);
    expect(body.usage.total_tokens).toBe(body.usage.input_tokens + body.usage.output_tokens);
    expect(upstream.calls()).toMatchObject([
      { path: '/v1/responses', provider: 'openai', operation: 'chat', stream: false, status: 200 },
    ]);
  });

  it('streams numbered typed events ending with response.completed carrying the whole Response', async () => {
    const answer = await postJson(
      `${upstream.url}/v1/responses`,
      request([{ role: 'user', content: [{ type: 'input_text', text: 'one two three' }] }], { stream: true }),
      auth('sk-a'),
    );
    const events = parseSse(await answer.text()).map((event) => ({
      name: event.event,
      data: JSON.parse(event.data) as Record<string, unknown>,
    }));
    expect(events.every((event) => event.name === event.data.type)).toBe(true);
    expect(events.map((event) => event.data.sequence_number)).toEqual(events.map((_, index) => index));
    expect(events.map((event) => event.name)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
    const deltas = events.filter((event) => event.name === 'response.output_text.delta');
    expect(deltas.map((event) => event.data.delta).join('')).toBe('ok: one two three');
    const completed = events.at(-1)?.data.response as ResponseBody;
    expect(completed.status).toBe('completed');
    expect(completed.usage.output_tokens).toBeGreaterThan(0);
    expect(upstream.calls()[0]).toMatchObject({ path: '/v1/responses', stream: true });
  });

  it('answers a function call item when tools are offered, and quotes the tool output after it', async () => {
    const tools = [
      { type: 'function', name: 'get_weather', parameters: { type: 'object', properties: { city: {} } } },
    ];
    const first = await readJson<ResponseBody>(
      await postJson(`${upstream.url}/v1/responses`, request('weather?', { tools }), auth('sk-a')),
    );
    const call = first.output[0] ?? {};
    expect(call).toMatchObject({ type: 'function_call', name: 'get_weather', arguments: '{"city":"city"}' });
    const second = await readJson<ResponseBody>(
      await postJson(
        `${upstream.url}/v1/responses`,
        request([call, { type: 'function_call_output', call_id: call.call_id, output: 'sunny' }], { tools }),
        auth('sk-a'),
      ),
    );
    expect(second.output[0]).toMatchObject({ content: [{ text: 'ok: the tool said sunny' }] });
  });

  it('fails like OpenAI for the key prefixes: a 429 error body, a stream that ends with an error event', async () => {
    const limited = await postJson(`${upstream.url}/v1/responses`, request('hi'), auth('test-429-a'));
    expect(limited.status).toBe(429);
    expect(await limited.json()).toMatchObject({ error: { code: 'rate_limit_exceeded' } });

    const broken = await postJson(
      `${upstream.url}/v1/responses`,
      request('one two three four', { stream: true }),
      auth('test-streamerr-a'),
    );
    const events = parseSse(await broken.text());
    expect(events.slice(0, 2).map((event) => event.event)).toEqual([
      'response.created',
      'response.in_progress',
    ]);
    expect(events.at(-1)?.event).toBe('error');
    expect(events.some((event) => event.event === 'response.completed')).toBe(false);
  });

  it('refuses a function output that answers no call with a 400 naming it', async () => {
    const answer = await postJson(
      `${upstream.url}/v1/responses`,
      request([{ type: 'function_call_output', call_id: 'nope', output: 'x' }]),
      auth('sk-a'),
    );
    expect(answer.status).toBe(400);
    expect(JSON.stringify(await answer.json())).toContain('answers no function call');
  });
});
