import { describe, expect, it } from 'vitest';
import type { ChatCompletionRequest } from '../openai-types.js';
import { isRequestRefusal } from '../shared/refusal.js';
import { context, expectSplitInvariant, fixture, replay } from '../shared/testing.js';
import { geminiAdapter as adapter, geminiDefaults } from './index.js';

const ctx = context({ type: 'gemini', ...geminiDefaults });
const sent = (request: { body?: string }) => JSON.parse(request.body ?? '');
const encode = (text: string) => new TextEncoder().encode(text);
const WEATHER = {
  type: 'function' as const,
  function: {
    name: 'get_weather',
    parameters: { $schema: 'x', type: 'object', properties: { city: { type: 'string' } } },
  },
};
const build = (body: Partial<ChatCompletionRequest>) =>
  sent(adapter.buildChatRequest(ctx, { model: 'gemini-2.5-flash', messages: [], ...body }));

describe('gemini translation of tools, images, JSON and reasoning', () => {
  it('declares tools with their JSON Schema and maps tool_choice to functionCallingConfig', () => {
    const body = build({
      messages: [{ role: 'user', content: 'weather?' }],
      tools: [WEATHER],
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
    });
    expect(body.tools).toEqual([
      {
        functionDeclarations: [
          {
            name: 'get_weather',
            parametersJsonSchema: { type: 'object', properties: { city: { type: 'string' } } },
          },
        ],
      },
    ]);
    expect(body.toolConfig).toEqual({
      functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['get_weather'] },
    });
    expect(build({ tools: [WEATHER], tool_choice: 'required' }).toolConfig.functionCallingConfig).toEqual({
      mode: 'ANY',
    });
    expect(build({ tools: [WEATHER], tool_choice: 'none' }).toolConfig.functionCallingConfig).toEqual({
      mode: 'NONE',
    });
  });

  it('sends assistant calls as functionCall parts and tool results as functionResponse matched by name', () => {
    const body = build({
      messages: [
        { role: 'user', content: 'weather and time?' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            { id: 'c1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Lima"}' } },
            { id: 'c2', type: 'function', function: { name: 'get_time', arguments: '{}' } },
          ],
        },
        { role: 'tool', tool_call_id: 'c1', content: '{"sky":"sunny"}' },
        { role: 'tool', tool_call_id: 'c2', content: 'noon' },
      ],
    });
    expect(body.contents).toEqual([
      { role: 'user', parts: [{ text: 'weather and time?' }] },
      {
        role: 'model',
        parts: [
          { functionCall: { name: 'get_weather', args: { city: 'Lima' } } },
          { functionCall: { name: 'get_time', args: {} } },
        ],
      },
      {
        role: 'user',
        parts: [
          { functionResponse: { name: 'get_weather', response: { sky: 'sunny' } } },
          { functionResponse: { name: 'get_time', response: { content: 'noon' } } },
        ],
      },
    ]);
  });

  it('turns data URLs into inlineData and links into fileData', () => {
    const body = build({
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'look' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } },
            { type: 'image_url', image_url: { url: 'https://x.test/a.webp?size=2' } },
          ],
        },
      ],
    });
    expect(body.contents[0].parts).toEqual([
      { text: 'look' },
      { inlineData: { mimeType: 'image/png', data: 'AAAA' } },
      { fileData: { mimeType: 'image/webp', fileUri: 'https://x.test/a.webp?size=2' } },
    ]);
  });

  it('asks for JSON with responseJsonSchema, and for thinking with a budget and thoughts', () => {
    const body = build({
      response_format: { type: 'json_schema', json_schema: { name: 's', schema: { type: 'object' } } },
      reasoning_effort: 'medium',
    });
    expect(body.generationConfig).toEqual({
      responseMimeType: 'application/json',
      responseJsonSchema: { type: 'object' },
      thinkingConfig: { thinkingBudget: 8192, includeThoughts: true },
    });
    expect(build({ response_format: { type: 'json_object' } }).generationConfig).toEqual({
      responseMimeType: 'application/json',
    });
  });

  it('refuses what it cannot honour before any call, naming the parameter and provider', () => {
    const refuse = (body: Partial<ChatCompletionRequest>) => {
      try {
        build(body);
      } catch (error) {
        if (isRequestRefusal(error)) return { code: error.code, message: error.message };
        throw error;
      }
      return undefined;
    };
    expect(refuse({ tools: [WEATHER], parallel_tool_calls: false })).toEqual({
      code: 'unsupported_parameter',
      message: expect.stringMatching(/parallel_tool_calls.*provider test \(gemini\)/),
    });
    expect(refuse({ logit_bias: { 1: 2 } })?.message).toContain('logit_bias');
    expect(
      refuse({ messages: [{ role: 'user', content: [{ type: 'input_audio', input_audio: {} }] }] })?.code,
    ).toBe('unsupported_parameter');
    expect(
      refuse({
        messages: [
          {
            role: 'assistant',
            content: null,
            tool_calls: [{ id: 'x', type: 'function', function: { name: 'f', arguments: '{' } }],
          },
        ],
      })?.code,
    ).toBe('invalid_parameter');
    // Defaults and identifiers ask for nothing.
    expect(refuse({ n: 1, logprobs: false, user: 'u', store: false })).toBeUndefined();
  });

  it('drops instead under drop_unsupported, telling the caller what it dropped', () => {
    const dropped: string[] = [];
    const request = adapter.buildChatRequest(
      {
        ...ctx,
        settings: { ...ctx.settings, dropUnsupported: true },
        onDropped: (name) => dropped.push(name),
      },
      {
        model: 'm',
        messages: [{ role: 'user', content: 'hi' }],
        tools: [WEATHER],
        parallel_tool_calls: false,
        logit_bias: {},
      },
    );
    expect(dropped).toEqual(['logit_bias', 'parallel_tool_calls']);
    expect(sent(request).tools).toHaveLength(1);
  });
});

describe('gemini function calls and thoughts in answers', () => {
  it('returns calls with JSON-string arguments and stable ids, thoughts as reasoning_content', () => {
    const text = fixture(import.meta.url, 'function-call.json');
    const completion = adapter.parseChatResponse(200, {}, text);
    const again = adapter.parseChatResponse(200, {}, text);
    const choice = completion.choices[0];
    expect(choice?.finish_reason).toBe('tool_calls');
    expect(choice?.message.content).toBeNull();
    expect(choice?.message.reasoning_content).toBe('The user wants the weather.');
    expect(choice?.message.tool_calls?.map((call) => [call.function.name, call.function.arguments])).toEqual([
      ['get_weather', '{"city":"Lima"}'],
      ['get_time', '{"zone":"UTC"}'],
    ]);
    const ids = choice?.message.tool_calls?.map((call) => call.id) ?? [];
    expect(new Set(ids).size).toBe(2);
    expect(again.choices[0]?.message.tool_calls?.map((call) => call.id)).toEqual(ids);
    expect(completion.usage?.completion_tokens_details).toEqual({ reasoning_tokens: 7 });
  });

  it('streams a whole call as one tool_calls delta, the finish apart, with the same id as non-stream', () => {
    const parser = adapter.createStreamParser({ model: 'gemini-2.5-flash', requestId: 'r', created: 1 });
    const { chunks, failure } = replay(parser, encode(fixture(import.meta.url, 'function-call-stream.txt')));
    expect(failure).toBeUndefined();
    const deltas = chunks.flatMap((chunk) => chunk.choices);
    expect(deltas[0]?.delta).toMatchObject({ role: 'assistant', reasoning_content: 'Checking.' });
    const call = deltas.find((choice) => choice.delta.tool_calls)?.delta.tool_calls?.[0];
    expect(call).toMatchObject({
      index: 0,
      type: 'function',
      function: { name: 'get_weather', arguments: '{"city":"Lima"}' },
    });
    const whole = adapter.parseChatResponse(200, {}, fixture(import.meta.url, 'function-call.json'));
    expect(call?.id).toBe(whole.choices[0]?.message.tool_calls?.[0]?.id);
    const finishing = deltas.filter((choice) => choice.finish_reason !== null);
    expect(finishing).toEqual([{ index: 0, delta: {}, logprobs: null, finish_reason: 'tool_calls' }]);
  });

  it('gives the same chunks however the bytes of a function call stream are split', () => {
    expectSplitInvariant(
      () => adapter.createStreamParser({ model: 'm', requestId: 'r', created: 1 }),
      fixture(import.meta.url, 'function-call-stream.txt'),
    );
  });
});
