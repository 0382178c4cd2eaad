import { describe, expect, it } from 'vitest';
import { isRequestError } from '../shared/fields.js';
import { mapResponsesRequest } from './request-to-chat.js';

function refusal(body: Record<string, unknown>): { code: string; message: string; param: string | null } {
  try {
    mapResponsesRequest(body);
  } catch (error) {
    if (isRequestError(error)) return { code: error.surfaceCode, message: error.message, param: error.param };
    throw error;
  }
  throw new Error('the request was accepted');
}

describe('mapResponsesRequest', () => {
  it('turns a string input and instructions into system and user chat messages', () => {
    const { chat } = mapResponsesRequest({ model: ' gpt-4o-mini ', input: 'hi', instructions: 'be brief' });
    expect(chat.model).toBe('gpt-4o-mini');
    expect(chat.stream).toBe(false);
    expect(chat.body).toEqual({
      model: 'gpt-4o-mini',
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: 'hi' },
      ],
    });
  });

  it('maps message items, images, function calls and their outputs to one chat conversation', () => {
    const { chat } = mapResponsesRequest({
      model: 'm',
      input: [
        { role: 'developer', content: 'rules' },
        {
          role: 'user',
          content: [
            { type: 'input_text', text: 'what is this?' },
            { type: 'input_image', image_url: 'data:image/png;base64,AAAA', detail: 'low' },
          ],
        },
        { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'let me look' }] },
        { type: 'reasoning', id: 'rs_1', summary: [] },
        { type: 'function_call', call_id: 'c1', name: 'look', arguments: '{"a":1}' },
        { type: 'function_call', call_id: 'c2', name: 'look', arguments: '{"a":2}' },
        { type: 'function_call_output', call_id: 'c1', output: 'one' },
        { type: 'function_call_output', call_id: 'c2', output: [{ type: 'input_text', text: 'two' }] },
      ],
    });
    expect(chat.body.messages).toEqual([
      { role: 'system', content: 'rules' },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'what is this?' },
          { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA', detail: 'low' } },
        ],
      },
      {
        role: 'assistant',
        content: 'let me look',
        tool_calls: [
          { id: 'c1', type: 'function', function: { name: 'look', arguments: '{"a":1}' } },
          { id: 'c2', type: 'function', function: { name: 'look', arguments: '{"a":2}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'c1', content: 'one' },
      { role: 'tool', tool_call_id: 'c2', content: 'two' },
    ]);
  });

  it('maps tools, tool_choice, text.format, reasoning and sampling to their chat names', () => {
    const { chat, echo } = mapResponsesRequest({
      model: 'm',
      input: 'x',
      stream: true,
      tools: [
        { type: 'function', name: 'f', description: 'd', parameters: { type: 'object' }, strict: true },
      ],
      tool_choice: { type: 'function', name: 'f' },
      parallel_tool_calls: false,
      text: { format: { type: 'json_schema', name: 'answer', schema: { type: 'object' }, strict: true } },
      reasoning: { effort: 'low' },
      max_output_tokens: 100,
      temperature: 0.2,
      top_p: 0.9,
      metadata: { run: '7' },
      store: true,
      user: 'u1',
    });
    expect(chat.stream).toBe(true);
    expect(chat.body).toMatchObject({
      tools: [
        {
          type: 'function',
          function: { name: 'f', description: 'd', parameters: { type: 'object' }, strict: true },
        },
      ],
      tool_choice: { type: 'function', function: { name: 'f' } },
      parallel_tool_calls: false,
      response_format: {
        type: 'json_schema',
        json_schema: { name: 'answer', schema: { type: 'object' }, strict: true },
      },
      reasoning_effort: 'low',
      max_completion_tokens: 100,
      temperature: 0.2,
      top_p: 0.9,
      user: 'u1',
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(chat.body).not.toHaveProperty('metadata');
    expect(chat.body).not.toHaveProperty('store');
    expect(echo.metadata).toEqual({ run: '7' });
    expect(echo.parallelToolCalls).toBe(false);
  });

  it('asks for max_tokens when no reasoning is requested, json_object as is', () => {
    const { chat } = mapResponsesRequest({
      model: 'm',
      input: 'x',
      max_output_tokens: 5,
      text: { format: { type: 'json_object' } },
    });
    expect(chat.body.max_tokens).toBe(5);
    expect(chat.body.response_format).toEqual({ type: 'json_object' });
  });

  it('refuses previous_response_id, naming it and saying responses are not stored', () => {
    const refused = refusal({ model: 'm', input: 'x', previous_response_id: 'resp_1' });
    expect(refused.code).toBe('unsupported_parameter');
    expect(refused.param).toBe('previous_response_id');
    expect(refused.message).toContain('"previous_response_id"');
    expect(refused.message).toContain('does not store responses');
  });

  it('refuses built-in tools, item references, file inputs and unknown parameters by name', () => {
    expect(refusal({ model: 'm', input: 'x', tools: [{ type: 'web_search' }] })).toMatchObject({
      code: 'unsupported_parameter',
      param: 'tools[0].type',
      message: expect.stringContaining('web_search'),
    });
    expect(refusal({ model: 'm', input: [{ type: 'item_reference', id: 'msg_1' }] }).param).toBe(
      'input[0].type',
    );
    expect(
      refusal({ model: 'm', input: [{ role: 'user', content: [{ type: 'input_file', file_id: 'f' }] }] })
        .param,
    ).toBe('input[0].content[0].type');
    expect(refusal({ model: 'm', input: 'x', frequency_penalty: 1 })).toMatchObject({
      code: 'unsupported_parameter',
      param: 'frequency_penalty',
    });
    expect(refusal({ model: 'm', input: 'x', background: true }).param).toBe('background');
  });

  it('says what is missing or mistyped', () => {
    expect(refusal({ input: 'x' })).toMatchObject({ code: 'missing_required_parameter', param: 'model' });
    expect(refusal({ model: 'm' })).toMatchObject({ code: 'missing_required_parameter', param: 'input' });
    expect(refusal({ model: 'm', input: [] })).toMatchObject({ code: 'invalid_type', param: 'input' });
    expect(refusal({ model: 'm', input: 'x', temperature: 'hot' })).toMatchObject({
      code: 'invalid_type',
      param: 'temperature',
    });
    expect(refusal({ model: 'm', input: [{ role: 'robot', content: 'x' }] }).param).toBe('input[0].role');
  });
});
