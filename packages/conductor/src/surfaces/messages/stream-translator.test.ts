import { MessageStream } from '@anthropic-ai/sdk/lib/MessageStream';
import { describe, expect, it } from 'vitest';
import {
  brokenStream,
  chunk,
  finish,
  ndjson,
  translateChunks,
  translateFrames,
  USAGE,
} from '../shared/stream-test-support.js';
import { createMessagesStreamTranslator } from './stream-translator.js';

async function assemble(events: Parameters<typeof ndjson>[0]) {
  return MessageStream.fromReadableStream(ndjson(events)).finalMessage();
}

describe('createMessagesStreamTranslator', () => {
  it('turns text chunks into Anthropic events that MessageStream assembles, usage included', async () => {
    const events = await translateChunks(
      [
        chunk({ role: 'assistant', content: '' }),
        chunk({ content: 'Hel' }),
        chunk({ content: 'lo' }),
        finish('stop'),
        chunk(null, { usage: USAGE }),
      ],
      createMessagesStreamTranslator('requested'),
    );
    expect(events.map((event) => event.event)).toEqual([
      'message_start',
      'ping',
      'content_block_start',
      'content_block_delta',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    const final = await assemble(events.filter((event) => event.event !== 'ping'));
    expect(final.model).toBe('upstream-model');
    expect(final.content).toEqual([{ type: 'text', text: 'Hello', citations: null }]);
    expect(final.stop_reason).toBe('end_turn');
    // Anthropic counts cached input apart: 11 prompt tokens, 4 of them cached.
    expect(final.usage).toMatchObject({ input_tokens: 7, output_tokens: 7, cache_read_input_tokens: 4 });
  });

  it('streams thinking, text and tool calls as blocks whose JSON input MessageStream assembles', async () => {
    const events = await translateChunks(
      [
        chunk({ reasoning_content: 'let me think' }),
        chunk({ content: 'Sure.' }),
        chunk({
          tool_calls: [
            { index: 0, id: 'toolu_a', type: 'function', function: { name: 'get', arguments: '{"city"' } },
          ],
        }),
        chunk({ tool_calls: [{ index: 0, function: { arguments: ':"Oslo"}' } }] }),
        chunk({
          tool_calls: [
            { index: 1, id: 'toolu_b', type: 'function', function: { name: 'time', arguments: '{}' } },
          ],
        }),
        finish('tool_calls'),
        chunk(null, { usage: USAGE }),
      ],
      createMessagesStreamTranslator('requested'),
    );
    const deltas = events
      .filter((event) => event.event === 'content_block_delta')
      .map((event) => (JSON.parse(event.data) as { delta: { type: string } }).delta.type);
    expect(deltas).toEqual([
      'thinking_delta',
      'text_delta',
      'input_json_delta',
      'input_json_delta',
      'input_json_delta',
    ]);
    const final = await assemble(events);
    expect(final.stop_reason).toBe('tool_use');
    expect(final.content).toEqual([
      { type: 'thinking', thinking: 'let me think', signature: '' },
      { type: 'text', text: 'Sure.', citations: null },
      { type: 'tool_use', id: 'toolu_a', name: 'get', input: { city: 'Oslo' } },
      { type: 'tool_use', id: 'toolu_b', name: 'time', input: {} },
    ]);
  });

  it('reports a relay error event as an Anthropic error event, which the SDK raises', async () => {
    const events = await translateFrames(
      brokenStream([chunk({ content: 'partial' })], {
        message: 'upstream stream failed',
        type: 'upstream_error',
        code: 'rate_limited',
      }),
      createMessagesStreamTranslator('requested'),
    );
    const last = events.at(-1);
    expect(last?.event).toBe('error');
    expect(JSON.parse(last?.data ?? '{}')).toEqual({
      type: 'error',
      error: { type: 'rate_limit_error', message: 'upstream stream failed' },
    });
    expect(events.map((event) => event.event)).not.toContain('message_stop');
  });

  it('ends with an error event when the relay body itself fails mid-stream', async () => {
    const encoder = new TextEncoder();
    let pulls = 0;
    const source = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulls += 1;
        if (pulls === 1)
          controller.enqueue(encoder.encode(`data: ${JSON.stringify(chunk({ content: 'a' }))}\n\n`));
        else controller.error(new Error('socket reset'));
      },
    });
    const events = await translateFrames(source, createMessagesStreamTranslator('requested'));
    expect(events.map((event) => event.event)).toEqual([
      'message_start',
      'ping',
      'content_block_start',
      'content_block_delta',
      'error',
    ]);
    expect(JSON.parse(events.at(-1)?.data ?? '{}')).toMatchObject({ error: { type: 'api_error' } });
  });
});
