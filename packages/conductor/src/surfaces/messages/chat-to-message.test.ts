import type Anthropic from '@anthropic-ai/sdk';
import type { ChatCompletion } from '@llmgw/providers';
import { describe, expect, it } from 'vitest';
import { mapChatCompletion } from './chat-to-message.js';

function completion(
  message: Record<string, unknown>,
  finishReason: string | null,
  usage?: Record<string, unknown>,
) {
  return {
    id: 'chatcmpl-1',
    object: 'chat.completion',
    created: 1,
    model: 'upstream-model',
    choices: [
      { index: 0, message: { role: 'assistant', ...message }, logprobs: null, finish_reason: finishReason },
    ],
    usage,
  } as ChatCompletion;
}

describe('mapChatCompletion (Messages)', () => {
  it('answers text as an Anthropic message with end_turn and Anthropic-counted usage', () => {
    const message = mapChatCompletion(
      completion({ content: 'hello' }, 'stop', {
        prompt_tokens: 20,
        completion_tokens: 3,
        total_tokens: 23,
        prompt_tokens_details: { cached_tokens: 8 },
      }),
    ) as unknown as Anthropic.Message;
    expect(message).toMatchObject({
      type: 'message',
      role: 'assistant',
      model: 'upstream-model',
      content: [{ type: 'text', text: 'hello', citations: null }],
      stop_reason: 'end_turn',
      stop_sequence: null,
      usage: { input_tokens: 12, output_tokens: 3, cache_read_input_tokens: 8 },
    });
    expect(message.id).toMatch(/^msg_/);
  });

  it('answers tool calls as tool_use blocks with parsed input and stop_reason tool_use', () => {
    const message = mapChatCompletion(
      completion(
        {
          content: 'checking',
          reasoning_content: 'thinking',
          tool_calls: [
            { id: 'call_1', type: 'function', function: { name: 'get', arguments: '{"city":"Oslo"}' } },
            { id: 'call_2', type: 'function', function: { name: 'now', arguments: '' } },
          ],
        },
        'tool_calls',
      ),
    ) as unknown as Anthropic.Message;
    expect(message.stop_reason).toBe('tool_use');
    expect(message.content).toEqual([
      { type: 'thinking', thinking: 'thinking', signature: '' },
      { type: 'text', text: 'checking', citations: null },
      { type: 'tool_use', id: 'call_1', name: 'get', input: { city: 'Oslo' } },
      { type: 'tool_use', id: 'call_2', name: 'now', input: {} },
    ]);
  });

  it('maps length to max_tokens and content_filter to refusal', () => {
    expect(mapChatCompletion(completion({ content: 'a' }, 'length')).stop_reason).toBe('max_tokens');
    expect(mapChatCompletion(completion({ content: null }, 'content_filter')).stop_reason).toBe('refusal');
  });
});
