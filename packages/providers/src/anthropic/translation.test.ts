import { describe, expect, it } from 'vitest';
import type { ChatCompletionRequest } from '../openai-types.js';
import { isRequestRefusal } from '../shared/refusal.js';
import { context, expectSplitInvariant, fixture, replay } from '../shared/testing.js';
import { STRUCTURED_OUTPUT_TOOL } from './config.js';
import { anthropicAdapter as adapter, anthropicDefaults } from './index.js';

const ctx = context({ type: 'anthropic', ...anthropicDefaults });
const sent = (request: { body?: string }) => JSON.parse(request.body ?? '');
const encode = (text: string) => new TextEncoder().encode(text);
const WEATHER = {
  type: 'function' as const,
  function: {
    name: 'get_weather',
    description: 'Weather',
    parameters: { type: 'object', properties: { city: { type: 'string' } } },
  },
};
const build = (body: Partial<ChatCompletionRequest>) =>
  sent(
    adapter.buildChatRequest(ctx, {
      model: 'claude-sonnet-4-5',
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

describe('anthropic translation of tools, images, JSON and reasoning', () => {
  it('maps tools to input_schema and tool_choice (with parallel calls off) to its own words', () => {
    const body = build({ tools: [WEATHER], tool_choice: 'required', parallel_tool_calls: false });
    expect(body.tools).toEqual([
      {
        name: 'get_weather',
        description: 'Weather',
        input_schema: { type: 'object', properties: { city: { type: 'string' } } },
      },
    ]);
    expect(body.tool_choice).toEqual({ type: 'any', disable_parallel_tool_use: true });
    expect(build({ tools: [WEATHER], tool_choice: 'none' }).tool_choice).toEqual({ type: 'none' });
    expect(
      build({ tools: [WEATHER], tool_choice: { type: 'function', function: { name: 'get_weather' } } })
        .tool_choice,
    ).toEqual({
      type: 'tool',
      name: 'get_weather',
    });
    expect(build({ tools: [WEATHER] }).tool_choice).toBeUndefined();
  });

  it('sends calls as tool_use blocks and merges consecutive tool results (and a user turn) into one user turn', () => {
    const body = build({
      messages: [
        { role: 'user', content: 'weather and time?' },
        {
          role: 'assistant',
          content: 'Checking.',
          tool_calls: [
            {
              id: 'toolu_1',
              type: 'function',
              function: { name: 'get_weather', arguments: '{"city":"Lima"}' },
            },
            { id: 'toolu_2', type: 'function', function: { name: 'get_time', arguments: '' } },
          ],
        },
        { role: 'tool', tool_call_id: 'toolu_1', content: 'sunny' },
        { role: 'tool', tool_call_id: 'toolu_2', content: [{ type: 'text', text: 'noon' }] },
        { role: 'user', content: 'thanks' },
      ],
    });
    expect(body.messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'weather and time?' }] },
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'Checking.' },
          { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Lima' } },
          { type: 'tool_use', id: 'toolu_2', name: 'get_time', input: {} },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'toolu_1', content: 'sunny' },
          { type: 'tool_result', tool_use_id: 'toolu_2', content: 'noon' },
          { type: 'text', text: 'thanks' },
        ],
      },
    ]);
  });

  it('sends images as base64 or url sources', () => {
    const body = build({
      messages: [
        {
          role: 'user',
          content: [
            { type: 'image_url', image_url: { url: 'data:image/jpeg;base64,/9j/' } },
            { type: 'image_url', image_url: { url: 'http://x.test/cat' } },
          ],
        },
      ],
    });
    expect(body.messages[0].content).toEqual([
      { type: 'image', source: { type: 'base64', media_type: 'image/jpeg', data: '/9j/' } },
      { type: 'image', source: { type: 'url', url: 'http://x.test/cat' } },
    ]);
  });

  it('asks for structured output with a forced tool whose input_schema is the schema', () => {
    const schema = { type: 'object', properties: { a: { type: 'string' } } };
    const body = build({ response_format: { type: 'json_schema', json_schema: { name: 'answer', schema } } });
    expect(body.tools).toEqual([
      { name: STRUCTURED_OUTPUT_TOOL, description: expect.stringContaining('answer'), input_schema: schema },
    ]);
    expect(body.tool_choice).toEqual({ type: 'tool', name: STRUCTURED_OUTPUT_TOOL });
    expect(refusal({ response_format: { type: 'json_object' }, tools: [WEATHER] })).toMatch(
      /^unsupported_parameter: .*response_format/,
    );
    expect(
      refusal({
        response_format: { type: 'json_schema', json_schema: { name: 'x', schema: { type: 'array' } } },
      }),
    ).toMatch(/response_format\.json_schema\.schema/);
  });

  it('turns reasoning_effort into a thinking budget under max_tokens, without sampling knobs', () => {
    expect(build({ reasoning_effort: 'low' })).toMatchObject({
      thinking: { type: 'enabled', budget_tokens: 2048 },
      max_tokens: 2048 + 4096,
    });
    expect(build({ reasoning_effort: 'high', max_completion_tokens: 5000 })).toMatchObject({
      thinking: { type: 'enabled', budget_tokens: 4999 },
      max_tokens: 5000,
    });
    expect(build({ reasoning_effort: 'none' }).thinking).toBeUndefined();
    expect(refusal({ reasoning_effort: 'low', max_tokens: 1000 })).toMatch(/reasoning_effort.*above 1024/);
    expect(refusal({ reasoning_effort: 'low', temperature: 0.2 })).toMatch(/temperature/);
    expect(refusal({ reasoning_effort: 'low', tools: [WEATHER], tool_choice: 'required' })).toMatch(
      /tool_choice/,
    );
    expect(refusal({ seed: 1 })).toMatch(/^unsupported_parameter: parameter seed .*anthropic.*no seed/);
    expect(refusal({ n: 2 })).toMatch(/exactly one choice/);
  });
});

describe('anthropic tool_use, thinking and structured output in answers', () => {
  it('returns tool_use as tool calls, thinking as reasoning_content, thinking tokens as reasoning tokens', () => {
    const completion = adapter.parseChatResponse(200, {}, fixture(import.meta.url, 'tool-use.json'));
    expect(completion.choices[0]).toMatchObject({
      finish_reason: 'tool_calls',
      message: {
        content: 'Let me check.',
        reasoning_content: 'Need the weather.',
        tool_calls: [
          {
            id: 'toolu_01',
            type: 'function',
            function: { name: 'get_weather', arguments: '{"city":"Lima"}' },
          },
        ],
      },
    });
    expect(completion.usage?.completion_tokens_details).toEqual({ reasoning_tokens: 9 });
  });

  it('reads the structured-output tool back as the answer text with finish stop', () => {
    const body = {
      type: 'message',
      id: 'm',
      model: 'c',
      content: [{ type: 'tool_use', id: 't', name: STRUCTURED_OUTPUT_TOOL, input: { a: 'x' } }],
      stop_reason: 'tool_use',
      usage: { input_tokens: 1, output_tokens: 1 },
    };
    const completion = adapter.parseChatResponse(200, {}, JSON.stringify(body));
    expect(completion.choices[0]).toMatchObject({ finish_reason: 'stop', message: { content: '{"a":"x"}' } });
    expect(completion.choices[0]?.message.tool_calls).toBeUndefined();
  });

  it('streams thinking, then the call: id and name first, input_json_delta pieces as arguments', () => {
    const parser = adapter.createStreamParser({ model: 'c', requestId: 'r', created: 1 });
    const { chunks, failure } = replay(parser, encode(fixture(import.meta.url, 'tool-use-stream.txt')));
    expect(failure).toBeUndefined();
    const deltas = chunks.flatMap((chunk) => chunk.choices.map((choice) => choice.delta));
    expect(deltas.map((delta) => delta.reasoning_content ?? '').join('')).toBe('Need the weather.');
    const calls = deltas.flatMap((delta) => delta.tool_calls ?? []);
    expect(calls[0]).toEqual({
      index: 0,
      id: 'toolu_01',
      type: 'function',
      function: { name: 'get_weather', arguments: '' },
    });
    expect(calls.map((call) => call.function?.arguments ?? '').join('')).toBe('{"city":"Lima"}');
    expect(chunks.flatMap((chunk) => chunk.choices).at(-1)?.finish_reason).toBe('tool_calls');
    expect(chunks.at(-1)?.usage?.completion_tokens_details).toEqual({ reasoning_tokens: 9 });
  });

  it('gives the same chunks however the bytes of a tool stream are split', () => {
    expectSplitInvariant(
      () => adapter.createStreamParser({ model: 'c', requestId: 'r', created: 1 }),
      fixture(import.meta.url, 'tool-use-stream.txt'),
    );
  });
});
