import { ResponseStream } from 'openai/lib/responses/ResponseStream';
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
import { mapResponsesRequest } from './request-to-chat.js';
import { createResponsesStreamTranslator } from './stream-translator.js';

const { echo } = mapResponsesRequest({ model: 'm', input: 'x', metadata: { run: '1' } });
const translator = () => createResponsesStreamTranslator(echo, 'requested-model');

/** What the official SDK's ResponseStream assembles from the events. */
async function assemble(events: Parameters<typeof ndjson>[0]) {
  const stream = ResponseStream.fromReadableStream(ndjson(events));
  return stream.finalResponse();
}

describe('createResponsesStreamTranslator', () => {
  it('turns text chunks into the typed events the SDK assembles, with usage and numbered events', async () => {
    const events = await translateChunks(
      [
        chunk({ role: 'assistant', content: '' }),
        chunk({ content: 'Hel' }),
        chunk({ content: 'lo' }),
        finish('stop'),
        chunk(null, { usage: USAGE }),
      ],
      translator(),
    );
    expect(events.map((event) => event.event)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
    const parsed = events.map((event) => JSON.parse(event.data) as { type: string; sequence_number: number });
    expect(parsed.map((event) => event.type)).toEqual(events.map((event) => event.event));
    expect(parsed.map((event) => event.sequence_number)).toEqual(parsed.map((_, index) => index));

    const final = await assemble(events);
    expect(final.output_text).toBe('Hello');
    expect(final.status).toBe('completed');
    expect(final.model).toBe('upstream-model');
    expect(final.metadata).toEqual({ run: '1' });
    expect(final.usage).toEqual({
      input_tokens: 11,
      input_tokens_details: { cached_tokens: 4 },
      output_tokens: 7,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: 18,
    });
  });

  it('streams reasoning, then text, then parallel tool calls whose arguments the SDK assembles', async () => {
    const events = await translateChunks(
      [
        chunk({ reasoning_content: 'think ' }),
        chunk({ reasoning_content: 'hard' }),
        chunk({ content: 'Calling.' }),
        chunk({
          tool_calls: [{ index: 0, id: 'call_a', type: 'function', function: { name: 'f', arguments: '' } }],
        }),
        chunk({ tool_calls: [{ index: 0, function: { arguments: '{"x":' } }] }),
        chunk({
          tool_calls: [
            { index: 1, id: 'call_b', type: 'function', function: { name: 'g', arguments: '{}' } },
          ],
        }),
        // A provider that interleaves: a late fragment for the first call still lands in it.
        chunk({ tool_calls: [{ index: 0, function: { arguments: '1}' } }] }),
        finish('tool_calls'),
        chunk(null, { usage: USAGE }),
      ],
      translator(),
    );
    const types = events.map((event) => event.event);
    expect(types).toContain('response.reasoning_text.delta');
    expect(types.filter((type) => type === 'response.function_call_arguments.delta')).toHaveLength(3);
    expect(types.filter((type) => type === 'response.function_call_arguments.done')).toHaveLength(2);

    const final = await assemble(events);
    expect(final.status).toBe('completed');
    expect(final.output.map((item) => item.type)).toEqual([
      'reasoning',
      'message',
      'function_call',
      'function_call',
    ]);
    expect(final.output[0]).toMatchObject({ content: [{ type: 'reasoning_text', text: 'think hard' }] });
    expect(final.output_text).toBe('Calling.');
    expect(final.output.slice(2)).toMatchObject([
      { type: 'function_call', call_id: 'call_a', name: 'f', arguments: '{"x":1}', status: 'completed' },
      { type: 'function_call', call_id: 'call_b', name: 'g', arguments: '{}', status: 'completed' },
    ]);
  });

  it('ends a stream cut short by max tokens as response.incomplete', async () => {
    const events = await translateChunks([chunk({ content: 'trunc' }), finish('length')], translator());
    expect(events.at(-1)?.event).toBe('response.incomplete');
    const final = await assemble(events);
    expect(final.status).toBe('incomplete');
    expect(final.incomplete_details).toEqual({ reason: 'max_output_tokens' });
  });

  it('reports a relay error event as an error event and response.failed, never a clean completion', async () => {
    const events = await translateFrames(
      brokenStream([chunk({ content: 'partial' })], {
        message: 'upstream stream failed: cut',
        type: 'upstream_error',
        code: 'server_error',
      }),
      translator(),
    );
    expect(events.slice(-2).map((event) => event.event)).toEqual(['error', 'response.failed']);
    expect(JSON.parse(events.at(-2)?.data ?? '{}')).toMatchObject({
      type: 'error',
      code: 'server_error',
      message: 'upstream stream failed: cut',
    });
    expect(events.map((event) => event.event)).not.toContain('response.completed');
    expect(JSON.parse(events.at(-1)?.data ?? '{}')).toMatchObject({
      response: { status: 'failed', error: { code: 'server_error', message: 'upstream stream failed: cut' } },
    });
    // The SDK's stream helper raises the error event rather than resolving a half answer.
    await expect(assemble(events)).rejects.toThrow('upstream stream failed: cut');
  });

  it('treats a relay stream that stops without [DONE] as failed', async () => {
    const source = new Response(`data: ${JSON.stringify(chunk({ content: 'x' }))}\n\n`)
      .body as ReadableStream<Uint8Array>;
    const events = await translateFrames(source, translator());
    expect(events.at(-1)?.event).toBe('response.failed');
  });
});
