import { describe, expect, it } from 'vitest';
import { bare, context, expectSplitInvariant, fixture, replay } from '../shared/testing.js';
import { geminiAdapter as adapter, geminiDefaults } from './index.js';

const ctx = context({ type: 'gemini', ...geminiDefaults });
const streamCtx = { model: 'gemini-2.0-flash', requestId: 'req-1', created: 1 };
const encode = (text: string) => new TextEncoder().encode(text);
const sent = (request: { body?: string }) => JSON.parse(request.body ?? '');

describe('gemini requests', () => {
  it('translates system prompt, roles, stop, max tokens, temperature and top_p', () => {
    const request = adapter.buildChatRequest(ctx, {
      model: 'gemini-2.0-flash',
      messages: [
        { role: 'system', content: 'Answer briefly.' },
        { role: 'user', content: 'Capital of Peru?' },
        { role: 'assistant', content: 'Lima.' },
        { role: 'developer', content: 'Be polite.' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'And of ' },
            { type: 'text', text: 'Chile?' },
          ],
        },
        { role: 'user', content: 'Thanks.' },
      ],
      temperature: 0.2,
      top_p: 0.95,
      max_tokens: 64,
      stop: '\n\n',
    });
    expect(request.url).toBe(
      'https://generativelanguage.googleapis.com/v1beta/models/gemini-2.0-flash:generateContent',
    );
    expect(request.headers['x-goog-api-key']).toBe('sk-test-secret');
    expect(request.headers.authorization).toBeUndefined();
    expect(sent(request)).toEqual({
      systemInstruction: { parts: [{ text: 'Answer briefly.\n\nBe polite.' }] },
      contents: [
        { role: 'user', parts: [{ text: 'Capital of Peru?' }] },
        { role: 'model', parts: [{ text: 'Lima.' }] },
        { role: 'user', parts: [{ text: 'And of Chile?' }, { text: 'Thanks.' }] },
      ],
      generationConfig: { temperature: 0.2, topP: 0.95, maxOutputTokens: 64, stopSequences: ['\n\n'] },
    });
  });

  it('streams over SSE with alt=sse', () => {
    const request = adapter.buildChatRequest(ctx, { model: 'gemini-2.0-flash', messages: [], stream: true });
    expect(request.url).toBe(
      'https://generativelanguage.googleapis.com/v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse',
    );
  });

  it('probes with one output token', () => {
    expect(sent(adapter.buildProbeRequest(ctx, 'gemini-2.0-flash')).generationConfig).toEqual({
      maxOutputTokens: 1,
    });
  });

  it('embeds one text with embedContent and several with batchEmbedContents', () => {
    const one = adapter.buildEmbeddingsRequest?.(ctx, {
      model: 'text-embedding-004',
      input: 'hi',
      dimensions: 3,
    });
    expect(one?.url).toMatch(/models\/text-embedding-004:embedContent$/);
    expect(sent(one ?? {})).toEqual({
      model: 'models/text-embedding-004',
      content: { parts: [{ text: 'hi' }] },
      outputDimensionality: 3,
    });
    const many = adapter.buildEmbeddingsRequest?.(ctx, { model: 'text-embedding-004', input: ['a', 'b'] });
    expect(many?.url).toMatch(/:batchEmbedContents$/);
    expect(sent(many ?? {}).requests).toHaveLength(2);
    expect(() => adapter.buildEmbeddingsRequest?.(ctx, { model: 'm', input: [1, 2] })).toThrow(/text input/);
  });
});

describe('gemini responses', () => {
  it('parses generateContent into a chat completion with usage', () => {
    const completion = adapter.parseChatResponse(200, {}, fixture(import.meta.url, 'generate-content.json'));
    expect(completion).toMatchObject({
      id: 'chatcmpl-mZ3xZ4n2Jq2bz7IPsaKw0AE',
      object: 'chat.completion',
      model: 'gemini-2.0-flash',
      choices: [{ index: 0, message: { role: 'assistant', content: 'Santiago.' }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 14, completion_tokens: 2, total_tokens: 16 },
    });
  });

  it('maps finish reasons and a blocked prompt', () => {
    const body = (extra: object) =>
      JSON.stringify({ candidates: [{ content: { parts: [{ text: 'x' }] }, ...extra }] });
    expect(
      adapter.parseChatResponse(200, {}, body({ finishReason: 'MAX_TOKENS' })).choices[0]?.finish_reason,
    ).toBe('length');
    expect(
      adapter.parseChatResponse(200, {}, body({ finishReason: 'SAFETY' })).choices[0]?.finish_reason,
    ).toBe('content_filter');
    const blocked = JSON.stringify({ promptFeedback: { blockReason: 'SAFETY' } });
    expect(adapter.parseChatResponse(200, {}, blocked).choices[0]?.finish_reason).toBe('content_filter');
  });

  it('counts thinking tokens as completion tokens', () => {
    const body = JSON.stringify({
      candidates: [
        { content: { parts: [{ text: 'plan', thought: true }, { text: 'ok' }] }, finishReason: 'STOP' },
      ],
      usageMetadata: {
        promptTokenCount: 3,
        candidatesTokenCount: 1,
        thoughtsTokenCount: 7,
        totalTokenCount: 11,
      },
    });
    const completion = adapter.parseChatResponse(200, {}, body);
    expect(completion.choices[0]?.message.content).toBe('ok');
    expect(completion.usage).toMatchObject({
      completion_tokens: 8,
      completion_tokens_details: { reasoning_tokens: 7 },
    });
  });

  it('parses embeddings of both shapes and strips models/ from the list', () => {
    expect(
      adapter.parseEmbeddingsResponse?.(fixture(import.meta.url, 'embed-content.json'), 'e')?.data,
    ).toEqual([{ object: 'embedding', index: 0, embedding: [0.013, -0.008, 0.021] }]);
    expect(
      adapter.parseEmbeddingsResponse?.(fixture(import.meta.url, 'batch-embed-contents.json'), 'e')?.data,
    ).toHaveLength(2);
    expect(adapter.parseModelsResponse(fixture(import.meta.url, 'models.json'))).toEqual([
      'gemini-2.0-flash',
      'text-embedding-004',
    ]);
  });
});

describe('gemini stream', () => {
  const stream = fixture(import.meta.url, 'stream.txt');
  const parse = (text: string) => replay(adapter.createStreamParser(streamCtx), encode(text));

  it('yields text deltas, the finish reason, then the last chunk’s usage', () => {
    const { chunks, failure } = parse(stream);
    expect(failure).toBeUndefined();
    expect(chunks.map((chunk) => chunk.choices[0]?.delta)).toEqual([
      { role: 'assistant', content: 'The sky' },
      { content: ' is blue — голубое.' },
      undefined,
    ]);
    expect(chunks[1]?.choices[0]?.finish_reason).toBe('stop');
    expect(chunks[0]?.id).toBe('chatcmpl-r1');
    expect(chunks.at(-1)?.usage).toEqual({ prompt_tokens: 11, completion_tokens: 5, total_tokens: 16 });
  });

  it('gives the same chunks however the bytes are split, with \\n, \\r\\n or \\r', () => {
    expectSplitInvariant(() => adapter.createStreamParser(streamCtx), stream);
    expect(parse(stream.replace(/\r\n/g, '\n'))).toEqual(parse(stream));
    expect(parse(bare(stream.replace(/\r\n/g, '\n')))).toEqual(parse(stream));
  });

  it('reports a stream that closes before any finishReason as cut', () => {
    const firstEvent = stream.slice(0, stream.indexOf('\r\n\r\n') + 4);
    expect(parse(firstEvent)).toMatchObject({ failure: 'network_error' });
    expect(parse('').failure).toBe('network_error');
  });

  it('turns an error object in the stream into a classified failure', () => {
    const text =
      'data: {"error":{"code":503,"message":"The model is overloaded.","status":"UNAVAILABLE"}}\n\n';
    expect(parse(text).failure).toBe('server_error');
  });
});
