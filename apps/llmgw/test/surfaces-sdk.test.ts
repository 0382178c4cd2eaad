import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import { createTestDatabase, type TestDatabase } from '@llmgw/db/testing';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ConductorWorld,
  createConductorWorld,
  type Gateway,
  MODEL,
  parseTrail,
  SETUP_TIMEOUT_MS,
  sleep,
} from './conductor-world.js';
import { createSecretLedger, findLeaks, newSecret } from './keeper-world.js';
import { eventually } from './spawn-llmgw.js';

/*
 * The two extra client surfaces (`/v1/responses`, `/v1/messages`) through the real gateway process,
 * with the official SDKs as clients: an OpenAI-like provider (`mock`) and a Gemini one (`gem`), both
 * answered by the testkit upstream, whose answer is "ok: <last user text>".
 */

const GEMINI_MODEL = 'gemini-2.0-flash';
const TOKEN = 'surfaces-client-token-0123456789';
const ledger = createSecretLedger();
let database: TestDatabase | null = null;
let world: ConductorWorld | null = null;
let gateway: Gateway;
let openai: OpenAI;
let anthropic: Anthropic;
/** Key id → secret, for reading trails. */
const secretOf = new Map<number, string>();
let good = '';
let limitedA = '';
let limitedB = '';
let gem = '';

function providersYaml(upstreamUrl: string): string {
  return [
    'providers:',
    '  mock:',
    '    type: openai_like',
    `    base_url: ${upstreamUrl}/v1`,
    `    models: [${MODEL}]`,
    '  gem:',
    '    type: gemini',
    `    base_url: ${upstreamUrl}/v1beta`,
    `    models: [${GEMINI_MODEL}]`,
    'gateway:',
    '  port: 0',
    '  max_attempts: 4',
    `  auth_tokens: [${TOKEN}]`,
    'keeper:',
    '  probe:',
    '    schedule: "* * * * * *"',
    '    jitter: 0s',
    '',
  ].join('\n');
}

beforeAll(async () => {
  database = await createTestDatabase();
  world = await createConductorWorld(ledger, database.url);
  writeFileSync(join(world.cwd, 'config', 'providers.yaml'), providersYaml(world.upstream.url));
  good = newSecret(ledger, 'test-ok-');
  limitedA = newSecret(ledger, 'test-ok-');
  limitedB = newSecret(ledger, 'test-ok-');
  gem = newSecret(ledger, 'test-ok-');
  world.writeKeys([good, limitedA, limitedB]);
  writeFileSync(join(world.cwd, 'keys', 'gem.txt'), `${gem}\n`);
  world.startWorker();
  gateway = await world.startGateway();
  for (const [secret, id] of await world.activeKeys([good, limitedA, limitedB, gem]))
    secretOf.set(id, secret);
  openai = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: TOKEN, maxRetries: 0, timeout: 30_000 });
  anthropic = new Anthropic({ baseURL: gateway.url, apiKey: TOKEN, maxRetries: 0, timeout: 30_000 });
  await eventually(
    async () => {
      const ids = new Set((await openai.models.list()).data.map((entry) => entry.id));
      return ids.has(`mock/${MODEL}`) && ids.has(`gem/${GEMINI_MODEL}`) ? true : undefined;
    },
    20_000,
    'both providers servable',
  );
}, SETUP_TIMEOUT_MS);

afterAll(async () => {
  await world?.close();
  await database?.drop();
});

const upstream = () => (world as ConductorWorld).upstream;

const tools: OpenAI.Responses.FunctionTool[] = [
  {
    type: 'function',
    name: 'get_weather',
    description: 'Weather in a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
    strict: true,
  },
];

describe('POST /v1/responses through the official openai SDK', () => {
  it('answers a string input with a completed Response, usage and the relay headers', async () => {
    const before = upstream().calls().length;
    const { data, response } = await openai.responses
      .create({ model: `mock/${MODEL}`, input: 'hello responses', instructions: 'be brief' })
      .withResponse();
    expect(response.status).toBe(200);
    expect(data.object).toBe('response');
    expect(data.status).toBe('completed');
    expect(data.output_text).toBe('ok: hello responses');
    expect(data.output[0]).toMatchObject({ type: 'message', role: 'assistant', status: 'completed' });
    expect(data.instructions).toBe('be brief');
    expect(data.usage?.input_tokens).toBeGreaterThan(0);
    expect(data.usage?.output_tokens).toBeGreaterThan(0);
    expect(data.usage?.total_tokens).toBe((data.usage?.input_tokens ?? 0) + (data.usage?.output_tokens ?? 0));
    expect(response.headers.get('x-request-id')).toBeTruthy();
    expect(response.headers.get('x-llm-actual-provider')).toBe('mock');
    expect(response.headers.get('x-llm-attempts')).toBe('1');
    const calls = upstream().calls().slice(before);
    expect(calls.map((call) => [call.operation, call.stream])).toEqual([['chat', false]]);
  });

  it('streams typed events that the SDK assembles into the final Response', async () => {
    const stream = openai.responses.stream({
      model: `mock/${MODEL}`,
      input: [{ role: 'user', content: [{ type: 'input_text', text: 'one two three four' }] }],
    });
    const types: string[] = [];
    let deltas = '';
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === 'response.output_text.delta') deltas += event.delta;
    }
    const final = await stream.finalResponse();
    expect(deltas).toBe('ok: one two three four');
    expect(final.output_text).toBe('ok: one two three four');
    expect(final.status).toBe('completed');
    expect(final.usage?.output_tokens).toBeGreaterThan(0);
    expect(types.slice(0, 4)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
    ]);
    expect(types.filter((type) => type === 'response.output_text.delta').length).toBeGreaterThan(3);
    expect(types.slice(-4)).toEqual([
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
  });

  it('runs a function tool round trip: the call out, its output back in, the final answer', async () => {
    const first = await openai.responses.create({
      model: `mock/${MODEL}`,
      tools,
      input: 'weather in Paris?',
    });
    expect(first.tools).toEqual(tools);
    const calls = first.output.filter((item) => item.type === 'function_call');
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ name: 'get_weather', status: 'completed' });
    expect(JSON.parse(calls[0]?.arguments ?? '')).toEqual({ city: 'city' });
    expect(calls[0]?.call_id).toBeTruthy();

    const second = await openai.responses.create({
      model: `mock/${MODEL}`,
      tools,
      input: [
        { role: 'user', content: 'weather in Paris?' },
        ...(first.output as OpenAI.Responses.ResponseInputItem[]),
        { type: 'function_call_output', call_id: calls[0]?.call_id ?? '', output: '{"temp":21}' },
      ],
    });
    expect(second.status).toBe('completed');
    expect(second.output_text).toBe('ok: the tool said {"temp":21}');
  });

  it('streams a function call whose arguments the SDK stream helper assembles', async () => {
    const stream = openai.responses.stream({
      model: `mock/${MODEL}`,
      tools,
      tool_choice: { type: 'function', name: 'get_weather' },
      input: 'weather in Rome?',
    });
    let argumentDeltas = 0;
    stream.on('response.function_call_arguments.delta', () => {
      argumentDeltas += 1;
    });
    const final = await stream.finalResponse();
    expect(argumentDeltas).toBeGreaterThan(0);
    const call = final.output.find((item) => item.type === 'function_call');
    expect(call).toMatchObject({ name: 'get_weather', status: 'completed' });
    expect(JSON.parse(call?.type === 'function_call' ? call.arguments : '')).toEqual({ city: 'city' });
  });

  it('refuses previous_response_id with a 400 that names it, before any upstream call', async () => {
    const before = upstream().calls().length;
    const error = await openai.responses
      .create({ model: `mock/${MODEL}`, input: 'again', previous_response_id: 'resp_123' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    const bad = error as InstanceType<typeof OpenAI.BadRequestError>;
    expect(bad.code).toBe('unsupported_parameter');
    expect(bad.message).toContain('previous_response_id');
    expect(bad.message).toContain('does not store responses');
    expect(upstream().calls().slice(before)).toHaveLength(0);
  });

  it('refuses a built-in tool and a malformed body with OpenAI-shaped 400s', async () => {
    const builtIn = await openai.responses
      .create({ model: `mock/${MODEL}`, input: 'search', tools: [{ type: 'web_search' }] })
      .catch((e: unknown) => e);
    expect(builtIn).toBeInstanceOf(OpenAI.BadRequestError);
    expect((builtIn as InstanceType<typeof OpenAI.BadRequestError>).message).toContain('web_search');

    const raw = await fetch(`${gateway.url}/v1/responses`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: '{"model": "x", "input": ',
    });
    expect(raw.status).toBe(400);
    const body = (await raw.json()) as { error: { type: string; code: string; message: string } };
    expect(body.error.type).toBe('invalid_request_error');
    expect(body.error.code).toBe('invalid_json');
    expect(raw.headers.get('x-request-id')).toBeTruthy();
  });

  it('answers through a Gemini provider, stream and not', async () => {
    const before = upstream().calls().length;
    const data = await openai.responses.create({ model: `gem/${GEMINI_MODEL}`, input: 'hello gemini' });
    expect(data.output_text).toBe('ok: hello gemini');
    expect(data.model).toBe(GEMINI_MODEL);
    expect(data.usage?.input_tokens).toBeGreaterThan(0);

    const stream = openai.responses.stream({ model: `gem/${GEMINI_MODEL}`, input: 'stream from gemini' });
    let deltas = '';
    for await (const event of stream) if (event.type === 'response.output_text.delta') deltas += event.delta;
    const final = await stream.finalResponse();
    expect(deltas).toBe('ok: stream from gemini');
    expect(final.status).toBe('completed');
    const calls = upstream().calls().slice(before);
    expect(calls.map((call) => [call.provider, call.stream])).toEqual([
      ['gemini', false],
      ['gemini', true],
    ]);
  });
  it('runs a function tool round trip through a Gemini provider', async () => {
    const first = await openai.responses.create({
      model: `gem/${GEMINI_MODEL}`,
      tools,
      input: 'weather in Lima?',
    });
    const call = first.output.find((item) => item.type === 'function_call');
    expect(call).toMatchObject({ type: 'function_call', name: 'get_weather' });
    expect(JSON.parse(call?.type === 'function_call' ? call.arguments : '')).toEqual({ city: 'city' });
    const second = await openai.responses.create({
      model: `gem/${GEMINI_MODEL}`,
      tools,
      input: [
        { role: 'user', content: 'weather in Lima?' },
        ...(first.output as OpenAI.Responses.ResponseInputItem[]),
        {
          type: 'function_call_output',
          call_id: call?.type === 'function_call' ? call.call_id : '',
          output: '{"temp":18}',
        },
      ],
    });
    expect(second.output_text).toContain('ok: the tool said');
    expect(second.output_text).toContain('18');
  });
});

describe('POST /v1/messages through the official @anthropic-ai/sdk', () => {
  const weatherTool: Anthropic.Tool = {
    name: 'get_weather',
    description: 'Weather in a city',
    input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  };

  it('answers messages.create (x-api-key auth) with an Anthropic Message and the relay headers', async () => {
    const { data, response } = await anthropic.messages
      .create({
        model: `mock/${MODEL}`,
        max_tokens: 64,
        system: 'be brief',
        messages: [{ role: 'user', content: 'hello claude client' }],
      })
      .withResponse();
    expect(data.type).toBe('message');
    expect(data.role).toBe('assistant');
    expect(data.content).toEqual([{ type: 'text', text: 'ok: hello claude client', citations: null }]);
    expect(data.stop_reason).toBe('end_turn');
    expect(data.usage.input_tokens).toBeGreaterThan(0);
    expect(data.usage.output_tokens).toBeGreaterThan(0);
    expect(response.headers.get('x-llm-actual-provider')).toBe('mock');
    expect(response.headers.get('request-id')).toBe(response.headers.get('x-request-id'));
  });

  it('streams Anthropic events that messages.stream assembles (finalMessage)', async () => {
    const stream = anthropic.messages.stream({
      model: `mock/${MODEL}`,
      max_tokens: 64,
      messages: [{ role: 'user', content: 'one two three' }],
    });
    const types: string[] = [];
    stream.on('streamEvent', (event) => types.push(event.type));
    let text = '';
    stream.on('text', (delta) => {
      text += delta;
    });
    const final = await stream.finalMessage();
    expect(text).toBe('ok: one two three');
    expect(final.content).toEqual([{ type: 'text', text: 'ok: one two three', citations: null }]);
    expect(final.stop_reason).toBe('end_turn');
    expect(final.usage.output_tokens).toBeGreaterThan(0);
    expect(final.usage.input_tokens).toBeGreaterThan(0);
    expect(types.slice(0, 2)).toEqual(['message_start', 'content_block_start']);
    expect(types.filter((type) => type === 'content_block_delta').length).toBeGreaterThan(2);
    expect(types.slice(-3)).toEqual(['content_block_stop', 'message_delta', 'message_stop']);
  });

  it('runs a tool round trip: tool_use from messages.create, tool_result back, the final answer', async () => {
    const first = await anthropic.messages.create({
      model: `mock/${MODEL}`,
      max_tokens: 64,
      tools: [weatherTool],
      tool_choice: { type: 'auto' },
      messages: [{ role: 'user', content: 'weather in Oslo?' }],
    });
    expect(first.stop_reason).toBe('tool_use');
    const use = first.content.find((block) => block.type === 'tool_use');
    expect(use).toMatchObject({ type: 'tool_use', name: 'get_weather', input: { city: 'city' } });
    const id = use?.type === 'tool_use' ? use.id : '';
    expect(id).toBeTruthy();

    const second = await anthropic.messages.create({
      model: `mock/${MODEL}`,
      max_tokens: 64,
      tools: [weatherTool],
      messages: [
        { role: 'user', content: 'weather in Oslo?' },
        { role: 'assistant', content: first.content },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: id, content: '{"temp":3}' }] },
      ],
    });
    expect(second.stop_reason).toBe('end_turn');
    expect(second.content).toEqual([{ type: 'text', text: 'ok: the tool said {"temp":3}', citations: null }]);
  });

  it('streams a forced tool call whose input messages.stream assembles', async () => {
    const stream = anthropic.messages.stream({
      model: `mock/${MODEL}`,
      max_tokens: 64,
      tools: [weatherTool],
      tool_choice: { type: 'tool', name: 'get_weather' },
      messages: [{ role: 'user', content: 'weather in Bergen?' }],
    });
    const partials: string[] = [];
    stream.on('inputJson', (partial) => partials.push(partial));
    const final = await stream.finalMessage();
    expect(partials.length).toBeGreaterThan(0);
    expect(final.stop_reason).toBe('tool_use');
    expect(final.content).toMatchObject([{ type: 'tool_use', name: 'get_weather', input: { city: 'city' } }]);
  });

  it('accepts the token as a bearer too, and refuses a wrong one in Anthropic shape', async () => {
    const bearer = new Anthropic({ baseURL: gateway.url, authToken: TOKEN, apiKey: null, maxRetries: 0 });
    const data = await bearer.messages.create({
      model: `mock/${MODEL}`,
      max_tokens: 16,
      messages: [{ role: 'user', content: 'by bearer' }],
    });
    expect(data.content).toEqual([{ type: 'text', text: 'ok: by bearer', citations: null }]);

    const wrong = new Anthropic({ baseURL: gateway.url, apiKey: 'not-a-gateway-token', maxRetries: 0 });
    const error = await wrong.messages
      .create({ model: `mock/${MODEL}`, max_tokens: 16, messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.AuthenticationError);
    expect((error as InstanceType<typeof Anthropic.AuthenticationError>).error).toMatchObject({
      type: 'error',
      error: { type: 'authentication_error' },
    });
  });

  it('refuses a body without max_tokens and a server tool with Anthropic-shaped 400s, calling no upstream', async () => {
    const before = upstream().calls().length;
    const noMax = await fetch(`${gateway.url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': TOKEN, 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ model: `mock/${MODEL}`, messages: [{ role: 'user', content: 'x' }] }),
    });
    expect(noMax.status).toBe(400);
    expect(await noMax.json()).toMatchObject({
      type: 'error',
      error: { type: 'invalid_request_error', message: expect.stringContaining('max_tokens') },
    });

    const serverTool = await anthropic.messages
      .create({
        model: `mock/${MODEL}`,
        max_tokens: 8,
        tools: [{ type: 'web_search_20250305', name: 'web_search' }],
        messages: [{ role: 'user', content: 'x' }],
      })
      .catch((e: unknown) => e);
    expect(serverTool).toBeInstanceOf(Anthropic.BadRequestError);
    const bad = serverTool as InstanceType<typeof Anthropic.BadRequestError>;
    expect(bad.message).toContain('web_search_20250305');
    expect(bad.error).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
    expect(upstream().calls().slice(before)).toHaveLength(0);
  });

  it('answers an unknown model with a 404 not_found_error', async () => {
    const error = await anthropic.messages
      .create({ model: 'no-such-model', max_tokens: 8, messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.NotFoundError);
    expect((error as InstanceType<typeof Anthropic.NotFoundError>).error).toMatchObject({
      error: { type: 'not_found_error' },
    });
  });
});

/**
 * One key says 429 at once; the others answer slowly, so the pool (which prefers fast keys, by a
 * latency average it learns as they serve) soon tries the 429 key first. That request must move to
 * another key at once and never call the 429 key twice.
 */
async function failsOverFrom(
  limited: string,
  ask: (round: number) => Promise<Headers>,
): Promise<{ provider: string; keyId: number; word: string }[]> {
  const w = world as ConductorWorld;
  for (const secret of [good, limitedA, limitedB]) {
    w.upstream.setBehavior(secret, { kind: 'ok', delayMs: 800 });
  }
  w.upstream.setBehavior(limited, { kind: 'status', status: 429, retryAfterSec: 30 });
  const deadline = Date.now() + 45_000;
  try {
    for (let round = 0; Date.now() < deadline; round += 1) {
      const before = w.upstream.calls().length;
      const headers = await ask(round);
      const trail = parseTrail(headers.get('x-llm-attempt-trail'));
      const keys = trail.map((entry) => secretOf.get(entry.keyId));
      expect(new Set(keys).size).toBe(keys.length);
      expect(
        w.upstream
          .calls()
          .slice(before)
          .map((call) => call.key),
      ).toEqual(keys);
      if (keys[0] === limited) return trail;
      // Served by a slow key: the pool learns it is slow (its averages reach the view in batches).
      await sleep(100);
    }
    throw new Error('the 429 key was never tried first');
  } finally {
    for (const secret of [good, limitedA, limitedB]) w.upstream.clearBehavior(secret);
  }
}

describe('failover on the new surfaces', () => {
  it('moves a Responses request from a 429 key to another key, never re-hitting it', {
    timeout: 60_000,
  }, async () => {
    const trail = await failsOverFrom(limitedA, async (round) => {
      const { data, response } = await openai.responses
        .create({ model: MODEL, input: `failover ${round}` })
        .withResponse();
      expect(data.output_text).toBe(`ok: failover ${round}`);
      return response.headers;
    });
    expect(trail.map((entry) => entry.word)).toEqual(['rate_limited', 'ok']);
  });

  it('moves a Messages stream from a 429 key to another key, never re-hitting it', {
    timeout: 60_000,
  }, async () => {
    const trail = await failsOverFrom(limitedB, async (round) => {
      const { data: stream, response } = await anthropic.messages
        .create({
          model: MODEL,
          max_tokens: 32,
          stream: true,
          messages: [{ role: 'user', content: `stream failover ${round}` }],
        })
        .withResponse();
      let text = '';
      for await (const event of stream) {
        if (event.type === 'content_block_delta' && event.delta.type === 'text_delta')
          text += event.delta.text;
      }
      expect(text).toBe(`ok: stream failover ${round}`);
      return response.headers;
    });
    expect(trail.map((entry) => entry.word)).toEqual(['rate_limited', 'ok']);
  });

  it('never writes a key into any log line', () => {
    expect(ledger.processes.length).toBe(2);
    expect(findLeaks(ledger)).toEqual([]);
  });
});
