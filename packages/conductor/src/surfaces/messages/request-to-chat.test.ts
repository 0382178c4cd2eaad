import { describe, expect, it } from 'vitest';
import { isRequestError } from '../shared/fields.js';
import { mapMessagesRequest } from './request-to-chat.js';

function refusal(body: Record<string, unknown>): { code: string; message: string; param: string | null } {
  try {
    mapMessagesRequest(body);
  } catch (error) {
    if (isRequestError(error)) return { code: error.surfaceCode, message: error.message, param: error.param };
    throw error;
  }
  throw new Error('the request was accepted');
}

describe('mapMessagesRequest', () => {
  it('maps system blocks, text and max_tokens to a chat request', () => {
    const chat = mapMessagesRequest({
      model: 'claude-x',
      max_tokens: 64,
      system: [
        { type: 'text', text: 'one' },
        { type: 'text', text: 'two', cache_control: { type: 'ephemeral' } },
      ],
      messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }],
      temperature: 0.5,
      top_p: 0.8,
      stop_sequences: ['END'],
      metadata: { user_id: 'u1' },
    });
    expect(chat).toEqual({
      model: 'claude-x',
      stream: false,
      body: {
        model: 'claude-x',
        max_tokens: 64,
        messages: [
          { role: 'system', content: 'one\ntwo' },
          { role: 'user', content: 'hi' },
        ],
        temperature: 0.5,
        top_p: 0.8,
        stop: ['END'],
        user: 'u1',
      },
    });
  });

  it('turns tool_use into tool_calls and tool_result into tool messages placed before the rest of the turn', () => {
    const chat = mapMessagesRequest({
      model: 'm',
      max_tokens: 10,
      messages: [
        { role: 'user', content: 'weather?' },
        {
          role: 'assistant',
          content: [
            { type: 'thinking', thinking: 'hmm', signature: 's' },
            { type: 'text', text: 'checking' },
            { type: 'tool_use', id: 'toolu_1', name: 'get', input: { city: 'Oslo' } },
          ],
        },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'also this' },
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'AAAA' } },
            { type: 'tool_result', tool_use_id: 'toolu_1', content: [{ type: 'text', text: '3C' }] },
            { type: 'tool_result', tool_use_id: 'toolu_2', content: 'boom', is_error: true },
          ],
        },
      ],
    });
    expect(chat.body.messages).toEqual([
      { role: 'user', content: 'weather?' },
      {
        role: 'assistant',
        content: 'checking',
        tool_calls: [
          { id: 'toolu_1', type: 'function', function: { name: 'get', arguments: '{"city":"Oslo"}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'toolu_1', content: '3C' },
      { role: 'tool', tool_call_id: 'toolu_2', content: 'Error: boom' },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'also this' },
          { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } },
        ],
      },
    ]);
  });

  it('maps tools, every tool_choice, thinking budgets and JSON output', () => {
    const base = { model: 'm', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] };
    const tools = [{ name: 'get', description: 'd', input_schema: { type: 'object' } }];
    expect(mapMessagesRequest({ ...base, tools }).body.tools).toEqual([
      { type: 'function', function: { name: 'get', description: 'd', parameters: { type: 'object' } } },
    ]);
    const choice = (tool_choice: unknown) => {
      const { tool_choice: mapped, parallel_tool_calls } = mapMessagesRequest({
        ...base,
        tools,
        tool_choice,
      }).body;
      return { mapped, parallel_tool_calls };
    };
    expect(choice({ type: 'auto' })).toEqual({ mapped: 'auto', parallel_tool_calls: undefined });
    expect(choice({ type: 'any', disable_parallel_tool_use: true })).toEqual({
      mapped: 'required',
      parallel_tool_calls: false,
    });
    expect(choice({ type: 'none' }).mapped).toBe('none');
    expect(choice({ type: 'tool', name: 'get' }).mapped).toEqual({
      type: 'function',
      function: { name: 'get' },
    });

    const effort = (thinking: unknown) => mapMessagesRequest({ ...base, thinking }).body.reasoning_effort;
    expect(effort({ type: 'enabled', budget_tokens: 1024 })).toBe('low');
    expect(effort({ type: 'enabled', budget_tokens: 8192 })).toBe('medium');
    expect(effort({ type: 'enabled', budget_tokens: 24576 })).toBe('high');
    expect(effort({ type: 'adaptive' })).toBe('medium');
    expect(effort({ type: 'disabled' })).toBeUndefined();
    expect(mapMessagesRequest({ ...base, output_config: { effort: 'high' } }).body.reasoning_effort).toBe(
      'high',
    );
    expect(
      mapMessagesRequest({
        ...base,
        output_config: { format: { type: 'json_schema', schema: { type: 'object' } } },
      }).body.response_format,
    ).toEqual({
      type: 'json_schema',
      json_schema: { name: 'output', schema: { type: 'object' }, strict: true },
    });
  });

  it('asks for usage on a stream', () => {
    const chat = mapMessagesRequest({
      model: 'm',
      max_tokens: 1,
      stream: true,
      messages: [{ role: 'user', content: 'x' }],
    });
    expect(chat.stream).toBe(true);
    expect(chat.body.stream_options).toEqual({ include_usage: true });
  });

  it('refuses what cannot be translated, naming the parameter', () => {
    const base = { model: 'm', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] };
    expect(refusal({ ...base, top_k: 5 })).toMatchObject({ code: 'unsupported_parameter', param: 'top_k' });
    expect(refusal({ ...base, tools: [{ type: 'web_search_20250305', name: 'web_search' }] })).toMatchObject({
      code: 'unsupported_parameter',
      param: 'tools[0].type',
      message: expect.stringContaining('web_search_20250305'),
    });
    expect(
      refusal({
        ...base,
        messages: [{ role: 'user', content: [{ type: 'document', source: { type: 'text', data: 'x' } }] }],
      }).param,
    ).toBe('messages[0].content[0].type');
    expect(refusal({ ...base, mystery: 1 })).toMatchObject({
      code: 'unsupported_parameter',
      param: 'mystery',
    });
  });

  it('says what is missing or mistyped', () => {
    expect(refusal({ model: 'm', messages: [{ role: 'user', content: 'x' }] })).toMatchObject({
      code: 'missing_required_parameter',
      param: 'max_tokens',
    });
    expect(refusal({ model: 'm', max_tokens: 1, messages: [] })).toMatchObject({
      code: 'invalid_type',
      param: 'messages',
    });
    expect(refusal({ model: 'm', max_tokens: 1, messages: [{ role: 'tool', content: 'x' }] }).param).toBe(
      'messages[0].role',
    );
  });
});
