import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RelayInput, RelayResult } from '../contracts.js';
import { type Conductor, startConductor } from '../http/start-conductor.js';
import {
  captureLog,
  createListPool,
  createScriptedRelay,
  type DatabaseFixture,
  okJson,
  openTestDatabase,
  type ScriptedRelay,
  sseStream,
  TEST_TOKEN,
  testConfig,
} from '../http/test-support.js';
import { chunk, finish, USAGE } from './shared/stream-test-support.js';

/*
 * The two surfaces' routes over a real socket with the official SDKs as clients, in front of a scripted
 * relay (what the relay receives and answers is the test's to see and choose). The real relay, pool
 * and upstream are exercised in apps/llmgw/test/surfaces-sdk.test.ts.
 */

let fixture: DatabaseFixture;
beforeAll(async () => {
  fixture = await openTestDatabase({ migrate: false });
});
afterAll(async () => fixture.dispose());

const running: Conductor[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((conductor) => conductor.stop()));
});

const RELAY_HEADERS = {
  'x-request-id': 'req-surface-1',
  'x-llm-actual-provider': 'openai',
  'x-llm-actual-model': 'gpt-4o',
  'x-llm-attempts': '1',
  'x-llm-attempt-trail': 'openai:7:ok',
};

async function start(respond: (input: RelayInput) => RelayResult | Promise<RelayResult>) {
  const relay = createScriptedRelay(respond);
  const conductor = await startConductor({
    config: testConfig({ gateway: { body_limit: '64kb' } }),
    relay,
    pool: createListPool([]),
    database: fixture.database,
    log: captureLog().log,
    host: '127.0.0.1',
    port: 0,
  });
  running.push(conductor);
  const openai = new OpenAI({ baseURL: `${conductor.url}/v1`, apiKey: TEST_TOKEN, maxRetries: 0 });
  const anthropic = new Anthropic({ baseURL: conductor.url, apiKey: TEST_TOKEN, maxRetries: 0 });
  return { conductor, relay, openai, anthropic };
}

function completion(message: Record<string, unknown>, finishReason: string) {
  return {
    id: 'chatcmpl-1',
    object: 'chat.completion',
    created: 1,
    model: 'gpt-4o',
    choices: [
      { index: 0, message: { role: 'assistant', ...message }, logprobs: null, finish_reason: finishReason },
    ],
    usage: USAGE,
  };
}

const TOOL_CALL_CHUNKS = [
  chunk({ role: 'assistant', content: null }),
  chunk({
    tool_calls: [
      { index: 0, id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '' } },
    ],
  }),
  chunk({ tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] }),
  chunk({ tool_calls: [{ index: 0, function: { arguments: '"Oslo"}' } }] }),
  finish('tool_calls'),
  chunk(null, { usage: USAGE }),
];

function onlyInput(relay: ScriptedRelay): RelayInput {
  expect(relay.inputs).toHaveLength(1);
  return relay.inputs[0] as RelayInput;
}

describe('POST /v1/responses', () => {
  it('runs a function tool round trip: the call out (non-stream), its output back in', async () => {
    let turn = 0;
    const { relay, openai } = await start(() => {
      turn += 1;
      return turn === 1
        ? okJson(
            completion(
              {
                content: null,
                tool_calls: [
                  {
                    id: 'call_1',
                    type: 'function',
                    function: { name: 'get_weather', arguments: '{"city":"Oslo"}' },
                  },
                ],
              },
              'tool_calls',
            ),
            { ...RELAY_HEADERS },
          )
        : okJson(completion({ content: 'It is 3C in Oslo.' }, 'stop'), { ...RELAY_HEADERS });
    });
    const tools: OpenAI.Responses.FunctionTool[] = [
      {
        type: 'function',
        name: 'get_weather',
        parameters: { type: 'object', properties: { city: { type: 'string' } } },
        strict: false,
      },
    ];
    const { data: first, response } = await openai.responses
      .create({ model: 'gpt-4o', input: 'weather in Oslo?', tools, tool_choice: 'required' })
      .withResponse();
    expect(response.headers.get('x-llm-attempt-trail')).toBe('openai:7:ok');
    expect(response.headers.get('x-request-id')).toBe('req-surface-1');
    const call = first.output.find((item) => item.type === 'function_call');
    expect(call).toMatchObject({ call_id: 'call_1', name: 'get_weather', arguments: '{"city":"Oslo"}' });
    expect(relay.inputs[0]?.body).toMatchObject({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'weather in Oslo?' }],
      tools: [{ type: 'function', function: { name: 'get_weather' } }],
      tool_choice: 'required',
    });
    expect(relay.inputs[0]?.operation).toBe('chat');
    expect(relay.inputs[0]?.tiers).toEqual([[{ provider: 'openai', model: 'gpt-4o' }]]);

    // The SDK's own output items go straight back in, with the tool's answer.
    const second = await openai.responses.create({
      model: 'gpt-4o',
      tools,
      input: [
        { role: 'user', content: 'weather in Oslo?' },
        ...(first.output as OpenAI.Responses.ResponseInputItem[]),
        { type: 'function_call_output', call_id: 'call_1', output: '3C' },
      ],
    });
    expect(second.output_text).toBe('It is 3C in Oslo.');
    expect(relay.inputs[1]?.body.messages).toEqual([
      { role: 'user', content: 'weather in Oslo?' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'call_1', content: '3C' },
    ]);
  });

  it('streams a function call whose arguments the SDK assembles', async () => {
    const { relay, openai } = await start(() => ({
      kind: 'stream',
      body: sseStream(TOOL_CALL_CHUNKS),
      headers: { ...RELAY_HEADERS },
    }));
    const stream = openai.responses.stream({
      model: 'gpt-4o',
      input: 'weather?',
      tools: [{ type: 'function', name: 'get_weather', parameters: {}, strict: false }],
    });
    const argumentDeltas: string[] = [];
    stream.on('response.function_call_arguments.delta', (event) => argumentDeltas.push(event.delta));
    const final = await stream.finalResponse();
    expect(argumentDeltas).toEqual(['{"city":', '"Oslo"}']);
    expect(final.output).toMatchObject([
      { type: 'function_call', call_id: 'call_1', name: 'get_weather', arguments: '{"city":"Oslo"}' },
    ]);
    expect(final.usage?.total_tokens).toBe(18);
    expect(onlyInput(relay).stream).toBe(true);
    expect(onlyInput(relay).body.stream_options).toEqual({ include_usage: true });
  });

  it("passes the relay's errors on in OpenAI's shape with the relay's status and headers", async () => {
    const { openai } = await start(() => ({
      kind: 'error',
      error: {
        status: 429,
        message: 'every upstream is at its limits',
        type: 'rate_limit_error',
        code: 'saturated',
        retryAfterSec: 3,
      },
      headers: { ...RELAY_HEADERS, 'x-llm-attempts': '0' },
    }));
    const error = await openai.responses.create({ model: 'gpt-4o', input: 'x' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    const limited = error as InstanceType<typeof OpenAI.RateLimitError>;
    expect(limited.code).toBe('saturated');
    expect(limited.headers.get('retry-after')).toBe('3');
    expect(limited.headers.get('x-llm-attempts')).toBe('0');
  });

  it('answers a retrieval of a response with a 404 that says nothing is stored', async () => {
    const { openai, relay } = await start(() => okJson(completion({ content: 'x' }, 'stop')));
    const error = await openai.responses.retrieve('resp_123').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
    expect((error as InstanceType<typeof OpenAI.NotFoundError>).message).toContain(
      'does not store responses',
    );
    expect(relay.inputs).toHaveLength(0);
  });

  it('needs the bearer token like every OpenAI route (x-api-key is not enough here)', async () => {
    const { conductor, relay } = await start(() => okJson(completion({ content: 'x' }, 'stop')));
    const response = await fetch(`${conductor.url}/v1/responses`, {
      method: 'POST',
      headers: { 'x-api-key': TEST_TOKEN, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o', input: 'x' }),
    });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: { code: 'invalid_api_key' } });
    expect(relay.inputs).toHaveLength(0);
  });
});

describe('POST /v1/messages', () => {
  it('runs a tool round trip through messages.create: tool_use out, tool_result back in', async () => {
    let turn = 0;
    const { relay, anthropic } = await start(() => {
      turn += 1;
      return turn === 1
        ? okJson(
            completion(
              {
                content: 'Let me check.',
                tool_calls: [
                  {
                    id: 'call_9',
                    type: 'function',
                    function: { name: 'get_weather', arguments: '{"city":"Oslo"}' },
                  },
                ],
              },
              'tool_calls',
            ),
            { ...RELAY_HEADERS },
          )
        : okJson(completion({ content: 'It is 3C.' }, 'stop'), { ...RELAY_HEADERS });
    });
    const tools: Anthropic.Tool[] = [
      { name: 'get_weather', input_schema: { type: 'object', properties: { city: { type: 'string' } } } },
    ];
    const first = await anthropic.messages.create({
      model: 'gpt-4o',
      max_tokens: 100,
      tools,
      tool_choice: { type: 'any' },
      messages: [{ role: 'user', content: 'weather in Oslo?' }],
    });
    expect(first.stop_reason).toBe('tool_use');
    expect(first.content).toEqual([
      { type: 'text', text: 'Let me check.', citations: null },
      { type: 'tool_use', id: 'call_9', name: 'get_weather', input: { city: 'Oslo' } },
    ]);
    expect(relay.inputs[0]?.body).toMatchObject({
      max_tokens: 100,
      tool_choice: 'required',
      tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object' } } }],
    });

    const second = await anthropic.messages.create({
      model: 'gpt-4o',
      max_tokens: 100,
      tools,
      messages: [
        { role: 'user', content: 'weather in Oslo?' },
        { role: 'assistant', content: first.content },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'call_9', content: '3C' }] },
      ],
    });
    expect(second.content).toEqual([{ type: 'text', text: 'It is 3C.', citations: null }]);
    expect(relay.inputs[1]?.body.messages).toEqual([
      { role: 'user', content: 'weather in Oslo?' },
      {
        role: 'assistant',
        content: 'Let me check.',
        tool_calls: [
          { id: 'call_9', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'call_9', content: '3C' },
    ]);
  });

  it('streams a tool call that messages.stream assembles into tool_use input (finalMessage)', async () => {
    const { anthropic } = await start(() => ({
      kind: 'stream',
      body: sseStream(TOOL_CALL_CHUNKS),
      headers: { ...RELAY_HEADERS },
    }));
    const stream = anthropic.messages.stream({
      model: 'gpt-4o',
      max_tokens: 100,
      tools: [{ name: 'get_weather', input_schema: { type: 'object' } }],
      messages: [{ role: 'user', content: 'weather?' }],
    });
    const partials: string[] = [];
    stream.on('inputJson', (partial) => partials.push(partial));
    const final = await stream.finalMessage();
    expect(partials).toEqual(['{"city":', '"Oslo"}']);
    expect(final.stop_reason).toBe('tool_use');
    expect(final.content).toEqual([
      { type: 'tool_use', id: 'call_1', name: 'get_weather', input: { city: 'Oslo' } },
    ]);
    expect(final.usage).toMatchObject({ input_tokens: 7, output_tokens: 7, cache_read_input_tokens: 4 });
  });

  it("passes the relay's errors on in Anthropic's shape with the same status", async () => {
    const { anthropic } = await start(() => ({
      kind: 'error',
      error: {
        status: 503,
        message: 'no usable upstream for this model (dead: 2)',
        type: 'service_unavailable',
        code: 'no_usable_upstream',
      },
      headers: { ...RELAY_HEADERS },
    }));
    const error = await anthropic.messages
      .create({ model: 'gpt-4o', max_tokens: 8, messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.InternalServerError);
    const failed = error as InstanceType<typeof Anthropic.InternalServerError>;
    expect(failed.status).toBe(503);
    expect(failed.error).toEqual({
      type: 'error',
      error: {
        type: 'overloaded_error',
        message: 'no_usable_upstream: no usable upstream for this model (dead: 2)',
      },
    });
    expect(failed.requestID).toBe('req-surface-1');
  });

  it('answers 401 in Anthropic shape without a token, and 413 over the body limit', async () => {
    const { conductor, relay } = await start(() => okJson(completion({ content: 'x' }, 'stop')));
    const missing = await fetch(`${conductor.url}/v1/messages`, { method: 'POST', body: '{}' });
    expect(missing.status).toBe(401);
    expect(await missing.json()).toEqual({
      type: 'error',
      error: {
        type: 'authentication_error',
        message: expect.stringContaining('x-api-key'),
      },
    });
    const large = await fetch(`${conductor.url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': TEST_TOKEN },
      body: 'x'.repeat(70 * 1024),
    });
    expect(large.status).toBe(413);
    expect(await large.json()).toMatchObject({ type: 'error', error: { type: 'request_too_large' } });
    expect(relay.inputs).toHaveLength(0);
  });

  it('cancels the relay stream when the client leaves mid-stream', async () => {
    let cancelled = false;
    const { anthropic } = await start(() => {
      const encoder = new TextEncoder();
      let sent = 0;
      const body = new ReadableStream<Uint8Array>({
        async pull(controller) {
          await new Promise((resolve) => setTimeout(resolve, 50));
          sent += 1;
          controller.enqueue(encoder.encode(`data: ${JSON.stringify(chunk({ content: `w${sent} ` }))}\n\n`));
        },
        cancel() {
          cancelled = true;
        },
      });
      return { kind: 'stream', body, headers: { ...RELAY_HEADERS } };
    });
    const stream = await anthropic.messages.create({
      model: 'gpt-4o',
      max_tokens: 8,
      stream: true,
      messages: [{ role: 'user', content: 'long' }],
    });
    let deltas = 0;
    for await (const event of stream) {
      if (event.type === 'content_block_delta') deltas += 1;
      if (deltas === 2) break;
    }
    for (let waited = 0; !cancelled && waited < 5_000; waited += 20)
      await new Promise((r) => setTimeout(r, 20));
    expect(cancelled).toBe(true);
  });
});
