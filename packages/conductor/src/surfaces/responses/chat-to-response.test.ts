import type { ChatCompletion } from '@llmgw/providers';
import type OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { mapChatCompletion } from './chat-to-response.js';
import { mapResponsesRequest } from './request-to-chat.js';

const { echo } = mapResponsesRequest({
  model: 'm',
  input: 'x',
  instructions: 'rules',
  temperature: 0.3,
  tools: [{ type: 'function', name: 'get', parameters: { type: 'object' }, strict: false }],
});

function completion(message: Record<string, unknown>, finishReason: string, usage?: Record<string, unknown>) {
  return {
    id: 'chatcmpl-1',
    object: 'chat.completion',
    created: 1_700_000_000,
    model: 'upstream-model',
    choices: [
      { index: 0, message: { role: 'assistant', ...message }, logprobs: null, finish_reason: finishReason },
    ],
    usage,
  } as ChatCompletion;
}

describe('mapChatCompletion (Responses)', () => {
  it('answers text as one message item, echoing the request and mapping usage', () => {
    const response = mapChatCompletion(
      completion({ content: 'hello' }, 'stop', {
        prompt_tokens: 10,
        completion_tokens: 5,
        total_tokens: 15,
        completion_tokens_details: { reasoning_tokens: 2 },
      }),
      echo,
    ) as unknown as OpenAI.Responses.Response;
    expect(response).toMatchObject({
      object: 'response',
      status: 'completed',
      model: 'upstream-model',
      created_at: 1_700_000_000,
      instructions: 'rules',
      temperature: 0.3,
      output_text: 'hello',
      error: null,
      incomplete_details: null,
      usage: {
        input_tokens: 10,
        input_tokens_details: { cached_tokens: 0 },
        output_tokens: 5,
        output_tokens_details: { reasoning_tokens: 2 },
        total_tokens: 15,
      },
    });
    expect(response.id).toMatch(/^resp_[0-9a-f]{24}$/);
    expect(response.output).toEqual([
      {
        id: expect.stringMatching(/^msg_/),
        type: 'message',
        role: 'assistant',
        status: 'completed',
        content: [{ type: 'output_text', text: 'hello', annotations: [], logprobs: [] }],
      },
    ]);
    expect(response.tools).toEqual([
      { type: 'function', name: 'get', parameters: { type: 'object' }, strict: false },
    ]);
  });

  it('answers tool calls as function_call items after the reasoning item, with no empty message', () => {
    const response = mapChatCompletion(
      completion(
        {
          content: null,
          reasoning_content: 'need the weather',
          tool_calls: [
            { id: 'call_1', type: 'function', function: { name: 'get', arguments: '{"city":"Oslo"}' } },
            { id: 'call_2', type: 'function', function: { name: 'get', arguments: '{"city":"Rome"}' } },
          ],
        },
        'tool_calls',
      ),
      echo,
    ) as unknown as OpenAI.Responses.Response;
    expect(response.output).toEqual([
      {
        id: expect.stringMatching(/^rs_/),
        type: 'reasoning',
        summary: [],
        content: [{ type: 'reasoning_text', text: 'need the weather' }],
        status: 'completed',
      },
      {
        id: expect.stringMatching(/^fc_/),
        type: 'function_call',
        call_id: 'call_1',
        name: 'get',
        arguments: '{"city":"Oslo"}',
        status: 'completed',
      },
      {
        id: expect.stringMatching(/^fc_/),
        type: 'function_call',
        call_id: 'call_2',
        name: 'get',
        arguments: '{"city":"Rome"}',
        status: 'completed',
      },
    ]);
    expect(response.output_text).toBe('');
    expect(response.usage).toBeNull();
  });

  it('marks an answer cut by max tokens incomplete, and keeps a refusal as a refusal part', () => {
    const cut = mapChatCompletion(completion({ content: 'abc' }, 'length'), echo);
    expect(cut).toMatchObject({ status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } });
    const refused = mapChatCompletion(completion({ content: null, refusal: 'no' }, 'stop'), echo);
    expect(refused).toMatchObject({
      output: [{ type: 'message', content: [{ type: 'refusal', refusal: 'no' }] }],
    });
  });
});
