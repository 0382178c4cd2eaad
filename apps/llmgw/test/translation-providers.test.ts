import { createTestDatabase, type TestDatabase } from '@llmgw/db/testing';
import OpenAI from 'openai';
import type {
  ChatCompletionMessageParam,
  ChatCompletionMessageToolCall,
  ChatCompletionTool,
} from 'openai/resources/chat/completions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSecretLedger, findLeaks } from './keeper-world.js';
import {
  createTranslationWorld,
  modelOf,
  type ProviderName,
  type TranslationWorld,
} from './translation-world.js';

const ledger = createSecretLedger();
let database: TestDatabase | null = null;
let world: TranslationWorld;

// Generous: a keeper and a gateway boot at once, and this machine is shared by several test runs.
const BOOT_MS = 150_000;

beforeAll(async () => {
  database = await createTestDatabase();
  world = await createTranslationWorld(ledger, database.url, BOOT_MS);
}, 2 * BOOT_MS);

afterAll(async () => {
  await world?.close();
  await database?.drop();
});

const WEATHER: ChatCompletionTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Weather in a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
};
const TIME: ChatCompletionTool = {
  type: 'function',
  function: {
    name: 'get_time',
    description: 'Local time in a timezone',
    parameters: {
      type: 'object',
      properties: { zone: { type: 'string', enum: ['UTC', 'CET'] }, verbose: { type: 'boolean' } },
      required: ['zone', 'verbose'],
    },
  },
};
const QUESTION: ChatCompletionMessageParam = { role: 'user', content: 'weather in Lima?' };

/** Every provider type the gateway translates, and the passthrough one. */
const ALL: ProviderName[] = ['oai', 'gem', 'claude', 'giga'];

const client = () => world.gateway.client;
const functionCall = (call: ChatCompletionMessageToolCall | undefined) => {
  if (call?.type !== 'function') throw new Error(`expected a function call, got ${JSON.stringify(call)}`);
  return call;
};
const chatCalls = (name: ProviderName) =>
  world.upstream.callsFor(world.secrets[name]).filter((call) => call.operation === 'chat');
/** Calls the fake upstream refused as malformed for its wire format (a translation bug). */
const malformed = () => world.upstream.calls().filter((call) => call.behavior === 'bad_request');

/** The conversation after the model asked for the weather and the tool answered. */
function withResult(
  call: ChatCompletionMessageToolCall,
  result = '{"sky":"sunny"}',
): ChatCompletionMessageParam[] {
  return [
    QUESTION,
    { role: 'assistant', content: null, tool_calls: [call] },
    { role: 'tool', tool_call_id: call.id, content: result },
  ];
}

describe.each(ALL)('tool calling through the gateway to %s', (name) => {
  it('round trip, non-stream: a tool call with JSON-string arguments, then a final answer quoting the result', async () => {
    const first = await client().chat.completions.create({
      model: modelOf(name),
      messages: [QUESTION],
      tools: [WEATHER],
    });
    const choice = first.choices[0];
    expect(choice?.finish_reason).toBe('tool_calls');
    const call = functionCall(choice?.message.tool_calls?.[0]);
    expect(call.id).toMatch(/\S/);
    expect(call.function.name).toBe('get_weather');
    expect(JSON.parse(call.function.arguments)).toEqual({ city: 'city' });

    const second = await client().chat.completions.create({
      model: modelOf(name),
      messages: withResult(call),
      tools: [WEATHER],
    });
    expect(second.choices[0]?.finish_reason).toBe('stop');
    expect(second.choices[0]?.message.content).toContain('sunny');
    expect(malformed()).toEqual([]);
  });

  it('round trip, stream: the SDK stream helper assembles the call and its arguments', async () => {
    const runner = client().chat.completions.stream({
      model: modelOf(name),
      messages: [QUESTION],
      tools: [WEATHER],
    });
    const done: string[] = [];
    runner.on('tool_calls.function.arguments.done', (event) => done.push(event.arguments));
    const first = await runner.finalChatCompletion();
    expect(first.choices[0]?.finish_reason).toBe('tool_calls');
    const call = functionCall(first.choices[0]?.message.tool_calls?.[0]);
    expect(call.function.name).toBe('get_weather');
    expect(JSON.parse(call.function.arguments)).toEqual({ city: 'city' });
    expect(done).toEqual([call.function.arguments]);

    const second = await client()
      .chat.completions.stream({ model: modelOf(name), messages: withResult(call), tools: [WEATHER] })
      .finalChatCompletion();
    expect(second.choices[0]?.message.content).toContain('sunny');
    expect(malformed()).toEqual([]);
  });

  it('tool_choice required and named force a call (the named one)', async () => {
    const required = await client().chat.completions.create({
      model: modelOf(name),
      messages: [QUESTION],
      tools: [WEATHER],
      tool_choice: 'required',
    });
    expect(functionCall(required.choices[0]?.message.tool_calls?.[0]).function.name).toBe('get_weather');

    const named = await client().chat.completions.create({
      model: modelOf(name),
      messages: [QUESTION],
      tools: [WEATHER, TIME],
      tool_choice: { type: 'function', function: { name: 'get_time' } },
    });
    const calls = named.choices[0]?.message.tool_calls ?? [];
    expect(calls).toHaveLength(1);
    expect(JSON.parse(functionCall(calls[0]).function.arguments)).toEqual({ zone: 'UTC', verbose: true });
  });

  it('tool_choice none answers with text even when tools are offered', async () => {
    const answer = await client().chat.completions.create({
      model: modelOf(name),
      messages: [QUESTION],
      tools: [WEATHER],
      tool_choice: 'none',
    });
    expect(answer.choices[0]?.message.tool_calls ?? []).toEqual([]);
    expect(answer.choices[0]?.message.content).toBe('ok: weather in Lima?');
  });
});

describe.each(['oai', 'gem', 'claude'] as const)('parallel tool calls through %s', (name) => {
  it('two calls in one answer, with distinct ids, streamed and not', async () => {
    const request = { model: modelOf(name), messages: [QUESTION], tools: [WEATHER, TIME] };
    const plain = await client().chat.completions.create(request);
    const calls = (plain.choices[0]?.message.tool_calls ?? []).map(functionCall);
    expect(calls.map((call) => call.function.name)).toEqual(['get_weather', 'get_time']);
    expect(new Set(calls.map((call) => call.id)).size).toBe(2);

    const streamed = await client().chat.completions.stream(request).finalChatCompletion();
    const assembled = (streamed.choices[0]?.message.tool_calls ?? []).map(functionCall);
    expect(assembled.map((call) => [call.function.name, JSON.parse(call.function.arguments)])).toEqual([
      ['get_weather', { city: 'city' }],
      ['get_time', { zone: 'UTC', verbose: true }],
    ]);
    expect(malformed()).toEqual([]);
  });

  it('answers both results of a parallel turn', async () => {
    const first = await client().chat.completions.create({
      model: modelOf(name),
      messages: [QUESTION],
      tools: [WEATHER, TIME],
    });
    const [weather, time] = (first.choices[0]?.message.tool_calls ?? []).map(functionCall);
    if (!weather || !time) throw new Error('expected two calls');
    const answer = await client().chat.completions.create({
      model: modelOf(name),
      messages: [
        QUESTION,
        { role: 'assistant', content: null, tool_calls: [weather, time] },
        { role: 'tool', tool_call_id: weather.id, content: '{"sky":"sunny"}' },
        { role: 'tool', tool_call_id: time.id, content: '{"time":"noon"}' },
      ],
      tools: [WEATHER, TIME],
    });
    expect(answer.choices[0]?.message.content).toContain('sunny');
    expect(answer.choices[0]?.message.content).toContain('noon');
    expect(malformed()).toEqual([]);
  });
});

describe('parallel tool calls through gigachat', () => {
  it('makes one call per answer (GigaChat has a single function_call), and takes a spread-out history', async () => {
    const answer = await client().chat.completions.create({
      model: modelOf('giga'),
      messages: [QUESTION],
      tools: [WEATHER, TIME],
    });
    expect(answer.choices[0]?.message.tool_calls).toHaveLength(1);
    const follow = await client().chat.completions.create({
      model: modelOf('giga'),
      messages: [
        QUESTION,
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            {
              id: 'call_a',
              type: 'function',
              function: { name: 'get_weather', arguments: '{"city":"Lima"}' },
            },
            { id: 'call_b', type: 'function', function: { name: 'get_time', arguments: '{"zone":"UTC"}' } },
          ],
        },
        { role: 'tool', tool_call_id: 'call_a', content: '{"sky":"sunny"}' },
        { role: 'tool', tool_call_id: 'call_b', content: 'noon' },
      ],
      tools: [WEATHER, TIME],
    });
    expect(follow.choices[0]?.message.content).toContain('noon');
    expect(malformed()).toEqual([]);
  });
});

const PIXEL =
  'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';

describe('images', () => {
  it.each([
    ['oai', 'image/png, url'],
    ['gem', 'image/png, image/jpeg'],
    ['claude', 'image/png, url'],
  ] as const)('%s receives a data URL and an http URL as images of its format', async (name, kinds) => {
    const answer = await client().chat.completions.create({
      model: modelOf(name),
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'what is this?' },
            { type: 'image_url', image_url: { url: PIXEL } },
            { type: 'image_url', image_url: { url: 'https://example.test/cat.jpg', detail: 'low' } },
          ],
        },
      ],
    });
    expect(answer.choices[0]?.message.content).toBe(`ok: what is this? [2 images: ${kinds}]`);
    expect(malformed()).toEqual([]);
  });
});

const SCORE_SCHEMA = {
  type: 'object',
  properties: { answer: { type: 'string' }, score: { type: 'integer' } },
  required: ['answer', 'score'],
  additionalProperties: false,
};

describe.each(ALL)('structured output through %s', (name) => {
  it('json_schema: the content is JSON valid for the schema, streamed and not', async () => {
    const request = {
      model: modelOf(name),
      messages: [QUESTION],
      response_format: {
        type: 'json_schema' as const,
        json_schema: { name: 'score', schema: SCORE_SCHEMA, strict: true },
      },
    };
    const plain = await client().chat.completions.create(request);
    expect(plain.choices[0]?.finish_reason).toBe('stop');
    expect(JSON.parse(plain.choices[0]?.message.content ?? '')).toEqual({ answer: 'answer', score: 1 });
    const streamed = await client().chat.completions.stream(request).finalChatCompletion();
    expect(JSON.parse(streamed.choices[0]?.message.content ?? '')).toEqual({ answer: 'answer', score: 1 });
    expect(malformed()).toEqual([]);
  });

  it('json_object: the content is a JSON object', async () => {
    const answer = await client().chat.completions.create({
      model: modelOf(name),
      messages: [QUESTION],
      response_format: { type: 'json_object' },
    });
    expect(JSON.parse(answer.choices[0]?.message.content ?? '')).toBeTypeOf('object');
  });
});

describe.each(ALL)('reasoning through %s', (name) => {
  it('reasoning_effort returns the thinking as reasoning_content and counts reasoning tokens', async () => {
    const answer = await client().chat.completions.create({
      model: modelOf(name),
      messages: [QUESTION],
      reasoning_effort: 'low',
    });
    const message = answer.choices[0]?.message as { content: string | null; reasoning_content?: string };
    expect(message.content).toBe('ok: weather in Lima?');
    expect(message.reasoning_content).toBe('thinking about: weather in Lima?');
    if (name !== 'giga') expect(answer.usage?.completion_tokens_details?.reasoning_tokens).toBeGreaterThan(0);

    const stream = await client().chat.completions.create({
      model: modelOf(name),
      messages: [QUESTION],
      reasoning_effort: 'low',
      stream: true,
    });
    let reasoning = '';
    let content = '';
    for await (const chunk of stream) {
      const delta = chunk.choices[0]?.delta as
        | { content?: string | null; reasoning_content?: string }
        | undefined;
      reasoning += delta?.reasoning_content ?? '';
      content += delta?.content ?? '';
    }
    expect(reasoning).toBe('thinking about: weather in Lima?');
    expect(content).toBe('ok: weather in Lima?');
  });
});

describe('a parameter a provider cannot honour', () => {
  it.each([
    ['gem', { parallel_tool_calls: false, tools: [WEATHER] }, 'parallel_tool_calls'],
    ['claude', { seed: 7 }, 'seed'],
    ['giga', { stop: ['\n'] }, 'stop'],
    [
      'giga',
      { messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: PIXEL } }] }] },
      'image_url',
    ],
  ] as const)(
    '%s: 400 unsupported_parameter naming %s and the provider, no chat call, key untouched',
    async (name, extra, parameter) => {
      const before = chatCalls(name).length;
      const triplesBefore = await world.triplesOf(name);
      const refused = await client()
        .chat.completions.create({
          model: modelOf(name),
          messages: [QUESTION],
          ...extra,
        } as OpenAI.ChatCompletionCreateParamsNonStreaming)
        .then(
          () => undefined,
          (error: unknown) => error,
        );
      expect(refused).toBeInstanceOf(OpenAI.BadRequestError);
      const error = refused as InstanceType<typeof OpenAI.BadRequestError>;
      expect(error.status).toBe(400);
      expect(error.code).toBe('unsupported_parameter');
      expect(error.message).toContain(parameter);
      expect(error.message).toContain(name);
      expect(chatCalls(name).length).toBe(before);
      const triplesAfter = await world.triplesOf(name);
      expect(
        triplesAfter.map(({ state, reason, cooldownUntil }) => ({ state, reason, cooldownUntil })),
      ).toEqual(triplesBefore.map(({ state, reason, cooldownUntil }) => ({ state, reason, cooldownUntil })));
      // The same request still works without the parameter: the key was never blamed.
      const fine = await client().chat.completions.create({ model: modelOf(name), messages: [QUESTION] });
      expect(fine.choices[0]?.message.content).toBe('ok: weather in Lima?');
    },
  );

  it('a stream request is refused the same way before any byte is streamed', async () => {
    const refused = await client()
      .chat.completions.create({ model: modelOf('claude'), messages: [QUESTION], seed: 7, stream: true })
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(refused).toBeInstanceOf(OpenAI.BadRequestError);
    expect((refused as InstanceType<typeof OpenAI.BadRequestError>).code).toBe('unsupported_parameter');
  });

  it('is dropped, and the request served, when the provider says drop_unsupported: true', async () => {
    const answer = await client().chat.completions.create({
      model: modelOf('gemdrop'),
      messages: [QUESTION],
      tools: [WEATHER],
      parallel_tool_calls: false,
    });
    expect(functionCall(answer.choices[0]?.message.tool_calls?.[0]).function.name).toBe('get_weather');
    // Log lines leave in batches (at most 100 ms late): wait for it rather than read at once.
    await world.gateway.process.waitForLine((line) => line.includes('"parameter":"parallel_tool_calls"'));
  });
});

describe('secrets', () => {
  it('no key ever reached a log line', () => {
    expect(findLeaks(ledger)).toEqual([]);
  });
});
