import { describe, expect, it } from 'vitest';
import { verbatimJson } from '../shared/json.js';
import { bare, context, crlf, expectSplitInvariant, fixture, replay } from '../shared/testing.js';
import { openAiLikeAdapter as adapter } from './index.js';

const ctx = context({
  type: 'openai_like',
  baseUrl: 'https://api.openai.com/v1/',
  headers: { 'OpenAI-Organization': 'org-1' },
});
const streamCtx = { model: 'gpt-4o-mini', requestId: 'req-1', created: 1 };
const encode = (text: string) => new TextEncoder().encode(text);

describe('openai_like requests', () => {
  it('passes the chat body through untouched, unknown fields included', () => {
    const body = {
      model: 'gpt-4o-mini',
      messages: [{ role: 'user' as const, content: 'Hi' }],
      reasoning_effort: 'low' as const,
    };
    const request = adapter.buildChatRequest(ctx, body);
    expect(request).toMatchObject({ method: 'POST', url: 'https://api.openai.com/v1/chat/completions' });
    expect(request.headers).toMatchObject({
      authorization: 'Bearer sk-test-secret',
      'openai-organization': 'org-1',
    });
    expect(JSON.parse(request.body ?? '')).toEqual(body);
  });

  it('asks for an event stream when the body streams', () => {
    const request = adapter.buildChatRequest(ctx, { model: 'm', messages: [], stream: true });
    expect(request.headers.accept).toBe('text/event-stream');
  });

  it('sends no Authorization header to a keyless local Ollama', () => {
    const ollama = context({ type: 'openai_like', auth: 'none', baseUrl: 'http://localhost:11434/v1' });
    const request = adapter.buildChatRequest(
      { ...ollama, credential: '' },
      { model: 'llama3', messages: [] },
    );
    expect(request.url).toBe('http://localhost:11434/v1/chat/completions');
    expect(request.headers.authorization).toBeUndefined();
  });

  it('never lets a configured header replace the key', () => {
    const sneaky = context({ type: 'openai_like', headers: { Authorization: 'Bearer other' } });
    expect(adapter.buildChatRequest(sneaky, { model: 'm', messages: [] }).headers.authorization).toBe(
      'Bearer sk-test-secret',
    );
  });

  it('probes with a one-token chat, or the models list when configured', () => {
    const probe = adapter.buildProbeRequest(ctx, 'gpt-4o-mini');
    expect(JSON.parse(probe.body ?? '')).toMatchObject({
      model: 'gpt-4o-mini',
      max_tokens: 1,
      stream: false,
    });
    const models = adapter.buildProbeRequest(
      { ...ctx, settings: { ...ctx.settings, probeMethod: 'models' } },
      'm',
    );
    expect(models).toMatchObject({ method: 'GET', url: 'https://api.openai.com/v1/models' });
  });

  it('builds embeddings and models requests', () => {
    const request = adapter.buildEmbeddingsRequest?.(ctx, { model: 'text-embedding-3-small', input: ['a'] });
    expect(request?.url).toBe('https://api.openai.com/v1/embeddings');
    expect(adapter.buildModelsRequest(ctx).url).toBe('https://api.openai.com/v1/models');
  });
});

describe('openai_like responses', () => {
  it('parses a chat completion keeping provider extras', () => {
    const completion = adapter.parseChatResponse(200, {}, fixture(import.meta.url, 'chat-completion.json'));
    expect(completion.choices[0]?.message.content).toBe('Lima.');
    expect(completion.usage?.prompt_tokens_details?.cached_tokens).toBe(0);
    expect(completion.service_tier).toBe('default');
  });

  it('vouches for the upstream text when nothing needed filling in, and not otherwise', () => {
    const text = fixture(import.meta.url, 'chat-completion.json');
    expect(verbatimJson(adapter.parseChatResponse(200, {}, text))).toBe(text);

    const { created: _created, ...withoutCreated } = JSON.parse(text) as Record<string, unknown>;
    const repaired = adapter.parseChatResponse(200, {}, JSON.stringify(withoutCreated));
    expect(typeof repaired.created).toBe('number');
    expect(verbatimJson(repaired)).toBeUndefined();
    // Leading blank lines are dropped by a re-serialisation rather than sent on.
    expect(verbatimJson(adapter.parseChatResponse(200, {}, `\n\n${text}`))).toBeUndefined();
  });

  it('tolerates DeepSeek keep-alive blank lines before the JSON', () => {
    const text = `\n\n\n${fixture(import.meta.url, 'chat-completion.json')}`;
    expect(adapter.parseChatResponse(200, {}, text).id).toBe('chatcmpl-7QyqpwdfhqwajicIEznoc6Q47XAyW');
  });

  it('treats an error object in a 200 body as a failure', () => {
    const body = JSON.stringify({ error: { code: 502, message: 'Provider returned error' } });
    expect(() => adapter.parseChatResponse(200, {}, body)).toThrow(/Provider returned error/);
  });

  it('parses embeddings and the models list', () => {
    const embeddings = adapter.parseEmbeddingsResponse?.(fixture(import.meta.url, 'embeddings.json'), 'x');
    expect(embeddings?.data).toHaveLength(2);
    expect(embeddings?.usage).toEqual({ prompt_tokens: 5, total_tokens: 5 });
    expect(adapter.parseModelsResponse(fixture(import.meta.url, 'models.json'))).toEqual([
      'gpt-4o-mini',
      'text-embedding-3-small',
    ]);
  });
});

describe('openai_like stream', () => {
  const stream = fixture(import.meta.url, 'chat-stream.txt');
  const parse = (text: string, cuts?: number[]) =>
    replay(adapter.createStreamParser(streamCtx), encode(text), cuts);

  it('yields every chunk, the usage chunk last, and ends cleanly at [DONE]', () => {
    const { chunks, failure } = parse(stream);
    expect(failure).toBeUndefined();
    expect(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? null)).toEqual([
      '',
      'Li',
      'ma. ¡Sí! 🦙',
      null,
      null,
    ]);
    expect(chunks.at(-1)?.usage).toEqual({ prompt_tokens: 21, completion_tokens: 2, total_tokens: 23 });
  });

  it('gives the same chunks however the bytes are split', () => {
    expectSplitInvariant(() => adapter.createStreamParser(streamCtx), stream);
  });

  it('reads CRLF and bare-CR line endings, comments and keep-alive lines alike', () => {
    const expected = parse(stream);
    expect(parse(crlf(stream))).toEqual(expected);
    expect(parse(bare(stream))).toEqual(expected);
    expect(
      parse(`: keep-alive\n\n\n\n${stream.replace('\n\n', '\n\n: OPENROUTER PROCESSING\n\n\n')}`),
    ).toEqual(expected);
  });

  it('accepts a final [DONE] without its blank line', () => {
    expect(parse(stream.trimEnd()).failure).toBeUndefined();
  });

  it('reports a stream cut before [DONE] as a network error, keeping the chunks before it', () => {
    const cut = stream.slice(0, stream.indexOf('data: [DONE]'));
    expect(parse(cut)).toMatchObject({ failure: 'network_error' });
    expect(parse(cut).chunks).toHaveLength(5);
    expect(parse(stream.slice(0, 200)).failure).toBe('network_error');
  });

  it('turns an OpenRouter error event after HTTP 200 into a failure, keeping earlier text', () => {
    const result = parse(fixture(import.meta.url, 'openrouter-stream-error.txt'));
    expect(result.failure).toBe('server_error');
    expect(result.chunks[0]?.choices[0]?.delta.content).toBe('Hel');
  });

  it('classifies an OpenAI error event by its type', () => {
    const text =
      'data: {"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}}\n\n';
    expect(parse(text).failure).toBe('rate_limited');
  });

  it('treats a DashScope flat `event: error` frame as a failure', () => {
    const text =
      'event: error\ndata: {"code":"invalid_model_error","message":"Model not exist.","request_id":"r"}\n\n';
    expect(parse(text).failure).toBe('model_unavailable');
  });

  it('treats an unreadable event mid-stream as the upstream’s fault', () => {
    const text = `data: {"choices":[{"index":0,"delta":{"content":"a"},"finish_reason":null}]}\n\ndata: {oops\n\n${stream}`;
    expect(parse(text)).toMatchObject({ failure: 'server_error' });
  });

  it('keeps the upstream text of a chunk with nothing to fill, not of one it filled or that spans lines', () => {
    // `\u00e9` stays escaped: these are the upstream's bytes, not a second JSON.stringify.
    const complete =
      '{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"caf\\u00e9"}}]}';
    const filled = '{"choices":[{"index":0,"delta":{"content":"a"}}]}';
    const split =
      'data: {"id":"c","object":"chat.completion.chunk",\ndata: "created":1,"model":"m","choices":[]}';
    const { chunks, failure } = parse(`data: ${complete}\n\ndata: ${filled}\n\n${split}\n\ndata: [DONE]\n\n`);
    expect(failure).toBeUndefined();
    expect(chunks.map((chunk) => verbatimJson(chunk))).toEqual([complete, undefined, undefined]);
    expect(chunks[0]?.choices[0]?.delta.content).toBe('café');
    expect(chunks[1]).toMatchObject({ id: streamCtx.requestId, object: 'chat.completion.chunk' });
  });

  it('moves Groq usage from x_groq into usage', () => {
    const { chunks } = parse(fixture(import.meta.url, 'groq-stream.txt'));
    expect(chunks.at(-1)?.usage).toMatchObject({ prompt_tokens: 18, completion_tokens: 9, total_tokens: 27 });
  });
});
