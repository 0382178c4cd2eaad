import { describe, expect, it } from 'vitest';
import type { ChatCompletionRequest } from '../openai-types.js';
import { isRequestRefusal } from '../shared/refusal.js';
import { context, fixture, replay } from '../shared/testing.js';
import { gigachatAdapter as adapter, gigachatDefaults } from './index.js';

const ctx = { ...context({ type: 'gigachat', ...gigachatDefaults }), credential: 'access-token-1' };
const sent = (request: { body?: string }) => JSON.parse(request.body ?? '');
const encode = (text: string) => new TextEncoder().encode(text);
const WEATHER = {
  type: 'function' as const,
  function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } },
};
const TIME = { type: 'function' as const, function: { name: 'get_time' } };
const build = (body: Partial<ChatCompletionRequest>) =>
  sent(
    adapter.buildChatRequest(ctx, {
      model: 'GigaChat',
      messages: [{ role: 'user', content: 'hi' }],
      ...body,
    }),
  );
const refusal = (body: Partial<ChatCompletionRequest>) => {
  try {
    build(body);
  } catch (error) {
    if (isRequestRefusal(error)) return `${error.code}: ${error.message}`;
    throw error;
  }
  return undefined;
};

describe('gigachat translation of tools, JSON and reasoning', () => {
  it('sends tools as functions and tool_choice as function_call', () => {
    const body = build({
      tools: [WEATHER, TIME],
      tool_choice: { type: 'function', function: { name: 'get_time' } },
    });
    expect(body.functions).toEqual([
      { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } },
      { name: 'get_time', parameters: { type: 'object', properties: {} } },
    ]);
    expect(body.function_call).toEqual({ name: 'get_time' });
    expect(build({ tools: [WEATHER], tool_choice: 'required' }).function_call).toEqual({
      name: 'get_weather',
    });
    expect(refusal({ tools: [WEATHER, TIME], tool_choice: 'required' })).toMatch(
      /^unsupported_parameter: .*tool_choice/,
    );
  });

  it('spreads a turn of several calls over one assistant turn per call, each followed by its result', () => {
    const body = build({
      messages: [
        { role: 'user', content: 'weather and time?' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            { id: 'a', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Lima"}' } },
            { id: 'b', type: 'function', function: { name: 'get_time', arguments: '{}' } },
          ],
        },
        { role: 'tool', tool_call_id: 'a', content: '{"sky":"sunny"}' },
        { role: 'tool', tool_call_id: 'b', content: 'noon' },
        { role: 'user', content: 'thanks' },
      ],
    });
    expect(body.messages).toEqual([
      { role: 'user', content: 'weather and time?' },
      { role: 'assistant', content: '', function_call: { name: 'get_weather', arguments: { city: 'Lima' } } },
      { role: 'function', name: 'get_weather', content: '{"sky":"sunny"}' },
      { role: 'assistant', content: '', function_call: { name: 'get_time', arguments: {} } },
      { role: 'function', name: 'get_time', content: '{"content":"noon"}' },
      { role: 'user', content: 'thanks' },
    ]);
  });

  it('maps JSON output to its json_schema response_format and effort to its three words', () => {
    expect(build({ response_format: { type: 'json_object' } }).response_format).toEqual({
      type: 'json_schema',
      schema: { type: 'object' },
    });
    expect(
      build({
        response_format: {
          type: 'json_schema',
          json_schema: { name: 'n', schema: { type: 'object' }, strict: true },
        },
      }).response_format,
    ).toEqual({ type: 'json_schema', schema: { type: 'object' }, strict: true });
    expect(build({ reasoning_effort: 'minimal' }).reasoning_effort).toBe('low');
    expect(build({ reasoning_effort: 'xhigh' }).reasoning_effort).toBe('high');
  });

  it('refuses images, stop and seed, naming each', () => {
    expect(
      refusal({
        messages: [
          { role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://x.test/a.png' } }] },
        ],
      }),
    ).toMatch(/messages\[0\]\.content\[0\] \(image_url\).*uploaded/);
    expect(refusal({ stop: ['x'] })).toMatch(/parameter stop .*no stop sequences/);
    expect(refusal({ seed: 3 })).toMatch(/parameter seed/);
  });
});

describe('gigachat function calls in answers', () => {
  it('returns function_call as one tool call with a stable id and JSON-string arguments', () => {
    const text = fixture(import.meta.url, 'function-call.json');
    const completion = adapter.parseChatResponse(200, {}, text);
    expect(completion.choices[0]).toMatchObject({
      finish_reason: 'tool_calls',
      message: {
        content: null,
        reasoning_content: 'Need the weather.',
        tool_calls: [{ type: 'function', function: { name: 'get_weather', arguments: '{"city":"Lima"}' } }],
      },
    });
    const id = completion.choices[0]?.message.tool_calls?.[0]?.id;
    expect(id).toMatch(/^call_/);
    expect(adapter.parseChatResponse(200, {}, text).choices[0]?.message.tool_calls?.[0]?.id).toBe(id);
  });

  it('streams the final-chunk function_call as a tool_calls delta, its finish in a chunk of its own', () => {
    const parser = adapter.createStreamParser({ model: 'GigaChat', requestId: 'r', created: 1 });
    const { chunks, failure } = replay(parser, encode(fixture(import.meta.url, 'function-call-stream.txt')));
    expect(failure).toBeUndefined();
    const choices = chunks.flatMap((chunk) => chunk.choices);
    expect(choices[0]).toMatchObject({
      finish_reason: null,
      delta: {
        role: 'assistant',
        tool_calls: [
          { index: 0, type: 'function', function: { name: 'get_weather', arguments: '{"city":"Lima"}' } },
        ],
      },
    });
    expect(choices[0]?.delta.content).toBeUndefined();
    expect(choices[1]).toEqual({ index: 0, delta: {}, logprobs: null, finish_reason: 'tool_calls' });
  });
});
