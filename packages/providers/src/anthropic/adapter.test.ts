import { describe, expect, it } from 'vitest';
import { context, crlf, expectSplitInvariant, fixture, replay } from '../shared/testing.js';
import { anthropicAdapter as adapter, anthropicDefaults } from './index.js';

const ctx = context({ type: 'anthropic', ...anthropicDefaults });
const streamCtx = { model: 'claude-sonnet-4-5', requestId: 'req-1', created: 1 };
const encode = (text: string) => new TextEncoder().encode(text);
const sent = (request: { body?: string }) => JSON.parse(request.body ?? '');

describe('anthropic requests', () => {
  it('translates system messages, roles, stop and max_tokens', () => {
    const request = adapter.buildChatRequest(ctx, {
      model: 'claude-sonnet-4-5',
      messages: [
        { role: 'system', content: 'Answer briefly.' },
        { role: 'user', content: 'Capital of Peru?' },
        { role: 'assistant', content: 'Lima.' },
        { role: 'system', content: 'Be polite.' },
        { role: 'user', content: 'And of Chile?' },
        { role: 'user', content: [{ type: 'text', text: 'Thanks.' }] },
      ],
      temperature: 0.2,
      top_p: 0.9,
      max_completion_tokens: 256,
      stop: ['\n\nHuman:'],
      user: 'u-1',
    });
    expect(request.url).toBe('https://api.anthropic.com/v1/messages');
    expect(request.headers).toMatchObject({
      'x-api-key': 'sk-test-secret',
      'anthropic-version': '2023-06-01',
    });
    expect(request.headers.authorization).toBeUndefined();
    expect(sent(request)).toEqual({
      model: 'claude-sonnet-4-5',
      max_tokens: 256,
      system: 'Answer briefly.\n\nBe polite.',
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'Capital of Peru?' }] },
        { role: 'assistant', content: [{ type: 'text', text: 'Lima.' }] },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'And of Chile?' },
            { type: 'text', text: 'Thanks.' },
          ],
        },
      ],
      temperature: 0.2,
      top_p: 0.9,
      stop_sequences: ['\n\nHuman:'],
      metadata: { user_id: 'u-1' },
    });
  });

  it('defaults max_tokens from settings and caps temperature at 1', () => {
    const body = {
      model: 'm',
      messages: [{ role: 'user' as const, content: 'hi' }],
      temperature: 1.7,
      stream: true,
    };
    expect(sent(adapter.buildChatRequest(ctx, body))).toMatchObject({
      max_tokens: 4096,
      temperature: 1,
      stream: true,
    });
    const custom = { ...ctx, settings: { ...ctx.settings, maxTokensDefault: 1000 } };
    expect(sent(adapter.buildChatRequest(custom, body)).max_tokens).toBe(1000);
  });

  it('probes with max_tokens 1 and lists models', () => {
    expect(sent(adapter.buildProbeRequest(ctx, 'claude-haiku')).max_tokens).toBe(1);
    expect(adapter.buildModelsRequest(ctx)).toMatchObject({
      method: 'GET',
      url: 'https://api.anthropic.com/v1/models?limit=1000',
    });
    expect(adapter.buildEmbeddingsRequest).toBeUndefined();
  });
});

describe('anthropic responses', () => {
  it('parses a message into a chat completion, cache reads counted in the prompt', () => {
    const completion = adapter.parseChatResponse(200, {}, fixture(import.meta.url, 'message.json'));
    expect(completion).toMatchObject({
      id: 'msg_01XFDUDYJgAACzvnptvVoYEL',
      model: 'claude-sonnet-4-5-20250929',
      choices: [{ message: { role: 'assistant', content: 'Santiago.' }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 31, completion_tokens: 5, total_tokens: 36 },
    });
    const capped = fixture(import.meta.url, 'message.json').replace('"end_turn"', '"max_tokens"');
    expect(adapter.parseChatResponse(200, {}, capped).choices[0]?.finish_reason).toBe('length');
  });

  it('parses the models list', () => {
    expect(adapter.parseModelsResponse(fixture(import.meta.url, 'models.json'))).toEqual([
      'claude-sonnet-4-5-20250929',
    ]);
  });
});

describe('anthropic stream', () => {
  const stream = fixture(import.meta.url, 'stream.txt');
  const parse = (text: string) => replay(adapter.createStreamParser(streamCtx), encode(text));

  it('maps events to chunks: role, text, finish reason, then usage at message_stop', () => {
    const { chunks, failure } = parse(stream);
    expect(failure).toBeUndefined();
    expect(chunks.map((chunk) => [chunk.choices[0]?.delta, chunk.choices[0]?.finish_reason])).toEqual([
      [{ role: 'assistant', content: '' }, null],
      [{ content: 'Santi' }, null],
      [{ content: 'ago 🇨🇱.' }, null],
      [{}, 'stop'],
      [undefined, undefined],
    ]);
    expect(chunks[0]).toMatchObject({
      id: 'msg_01',
      model: 'claude-sonnet-4-5-20250929',
      object: 'chat.completion.chunk',
    });
    expect(chunks.at(-1)?.usage).toEqual({
      prompt_tokens: 35,
      completion_tokens: 5,
      total_tokens: 40,
      prompt_tokens_details: { cached_tokens: 4 },
    });
  });

  it('gives the same chunks however the bytes are split, and with CRLF', () => {
    expectSplitInvariant(() => adapter.createStreamParser(streamCtx), stream);
    expect(parse(crlf(stream))).toEqual(parse(stream));
  });

  it('reports a stream without message_stop as cut', () => {
    expect(parse(stream.slice(0, stream.indexOf('event: message_stop')))).toMatchObject({
      failure: 'network_error',
    });
  });

  it('turns an overloaded error event into rate_limited, keeping the text before it', () => {
    const result = parse(fixture(import.meta.url, 'stream-error.txt'));
    expect(result.failure).toBe('rate_limited');
    expect(result.chunks.map((chunk) => chunk.choices[0]?.delta.content)).toEqual(['', 'Santi']);
  });
});
