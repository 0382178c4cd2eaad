import type { Classification, UpstreamFailure } from '@llmgw/core';
import { describe, expect, it } from 'vitest';
import { context, crlf, expectSplitInvariant, fixture, jsonFixture, replay } from '../shared/testing.js';
import {
  gigachatAdapter as adapter,
  buildTokenRequest,
  gigachatDefaults,
  parseTokenResponse,
  shouldRefreshToken,
} from './index.js';

const ctx = { ...context({ type: 'gigachat', ...gigachatDefaults }), credential: 'access-token-1' };
const streamCtx = { model: 'GigaChat', requestId: 'req-1', created: 1 };
const sent = (request: { body?: string }) => JSON.parse(request.body ?? '');

describe('gigachat requests', () => {
  it('sends the access token as bearer, one system message first, and no stream_options', () => {
    const request = adapter.buildChatRequest(ctx, {
      model: 'GigaChat',
      messages: [
        { role: 'user', content: 'Привет' },
        { role: 'system', content: 'Отвечай кратко.' },
      ],
      max_completion_tokens: 50,
      temperature: 0.3,
      stream_options: { include_usage: true },
    });
    expect(request.url).toBe('https://gigachat.devices.sberbank.ru/api/v1/chat/completions');
    expect(request.headers).toMatchObject({
      authorization: 'Bearer access-token-1',
      'x-request-id': 'req-1',
    });
    expect(sent(request)).toEqual({
      model: 'GigaChat',
      messages: [
        { role: 'system', content: 'Отвечай кратко.' },
        { role: 'user', content: 'Привет' },
      ],
      temperature: 0.3,
      max_tokens: 50,
    });
  });

  it('builds the OAuth token request with Basic key, a fresh RqUID and the form scope', () => {
    const request = buildTokenRequest(gigachatDefaults, 'YXV0aC1rZXk=');
    const again = buildTokenRequest(gigachatDefaults, 'YXV0aC1rZXk=');
    expect(request).toMatchObject({
      method: 'POST',
      url: 'https://ngw.devices.sberbank.ru:9443/api/v2/oauth',
    });
    expect(request.headers).toMatchObject({
      authorization: 'Basic YXV0aC1rZXk=',
      'content-type': 'application/x-www-form-urlencoded',
    });
    expect(request.headers.rquid).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(again.headers.rquid).not.toBe(request.headers.rquid);
    expect(request.body).toBe('scope=GIGACHAT_API_PERS');
    expect(buildTokenRequest({ oauth: { url: 'https://o', scope: 'GIGACHAT_API_B2B' } }, 'k').body).toBe(
      'scope=GIGACHAT_API_B2B',
    );
  });

  it('probes with one token, embeds a list, lists models', () => {
    expect(sent(adapter.buildProbeRequest(ctx, 'GigaChat')).max_tokens).toBe(1);
    expect(sent(adapter.buildEmbeddingsRequest?.(ctx, { model: 'Embeddings', input: 'text' }) ?? {})).toEqual(
      {
        model: 'Embeddings',
        input: ['text'],
      },
    );
    expect(adapter.buildModelsRequest(ctx).url).toBe('https://gigachat.devices.sberbank.ru/api/v1/models');
  });
});

describe('gigachat responses', () => {
  it('parses the token response with its ms expiry', () => {
    expect(parseTokenResponse(fixture(import.meta.url, 'token.json'))).toMatchObject({
      expiresAt: 1_735_691_400_000,
    });
    expect(parseTokenResponse('{"tok":"t","exp":1735691400}')).toEqual({
      accessToken: 't',
      expiresAt: 1_735_691_400_000,
    });
    expect(() => parseTokenResponse('{"code":6}')).toThrow(/access_token/);
  });

  it('parses a completion without id, with precached tokens as cached', () => {
    const completion = adapter.parseChatResponse(
      200,
      { 'x-request-id': 'abc' },
      fixture(import.meta.url, 'chat.json'),
    );
    expect(completion).toMatchObject({
      id: 'chatcmpl-abc',
      model: 'GigaChat:2.0.28.2',
      choices: [{ message: { content: 'Привет!' }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 17, total_tokens: 20, prompt_tokens_details: { cached_tokens: 2 } },
    });
  });

  it('sums per-item embedding usage and lists model ids', () => {
    const embeddings = adapter.parseEmbeddingsResponse?.(
      fixture(import.meta.url, 'embeddings.json'),
      'Embeddings',
    );
    expect(embeddings?.usage).toEqual({ prompt_tokens: 13, total_tokens: 13 });
    expect(adapter.parseModelsResponse(fixture(import.meta.url, 'models.json'))).toEqual([
      'GigaChat',
      'GigaChat-2-Max',
      'Embeddings',
    ]);
  });
});

describe('gigachat stream', () => {
  const stream = fixture(import.meta.url, 'stream.txt');
  const parse = (text: string) =>
    replay(adapter.createStreamParser(streamCtx), new TextEncoder().encode(text));

  it('rebuilds chunks with id and object, usage in its own trailing chunk', () => {
    const { chunks, failure } = parse(stream);
    expect(failure).toBeUndefined();
    expect(
      chunks.every((chunk) => chunk.object === 'chat.completion.chunk' && chunk.id === 'chatcmpl-req-1'),
    ).toBe(true);
    expect(chunks.map((chunk) => chunk.choices[0]?.delta.content)).toEqual([
      'Раз, два,',
      ' три.',
      '',
      undefined,
    ]);
    expect(chunks.at(-1)?.usage).toMatchObject({ prompt_tokens: 15, completion_tokens: 6, total_tokens: 21 });
  });

  it('gives the same chunks however the (Cyrillic) bytes are split, and with CRLF', () => {
    expectSplitInvariant(() => adapter.createStreamParser(streamCtx), stream);
    expect(parse(crlf(stream))).toEqual(parse(stream));
  });

  it('reports a stream cut before [DONE]', () => {
    expect(parse(stream.replace('data: [DONE]', '')).failure).toBe('network_error');
  });
});

const bodies = jsonFixture<Record<string, unknown>>(import.meta.url, 'errors.json');
const body = (name: string) => JSON.stringify(bodies[name]);
const NOW = Date.parse('2025-01-01T12:00:00Z');
const table: Array<[string, UpstreamFailure, Partial<Classification>]> = [
  [
    'API 401 (after the refresh-and-retry)',
    { status: 401, body: body('token_expired') },
    { reason: 'invalid_key' },
  ],
  [
    'OAuth 401 code 6',
    { status: 401, body: body('oauth_credentials') },
    { reason: 'invalid_key', scope: 'key' },
  ],
  [
    'OAuth 400 code 7 (scope not allowed for key)',
    { status: 400, body: body('oauth_scope') },
    { reason: 'invalid_key' },
  ],
  [
    'OAuth 400 code 5 is configuration',
    { status: 400, body: body('oauth_scope_empty') },
    { reason: 'bad_request' },
  ],
  ['402 payment required', { status: 402, body: body('payment_required') }, { reason: 'no_quota' }],
  ['404 no such model', { status: 404, body: body('no_such_model') }, { reason: 'model_unavailable' }],
  ['413 too large', { status: 413, body: 'Payload Too Large' }, { reason: 'bad_request' }],
  ['422 system first', { status: 422, body: body('system_first') }, { reason: 'bad_request' }],
  [
    '429 with retry-after',
    { status: 429, headers: { 'retry-after': '3' }, body: body('too_many') },
    { reason: 'rate_limited', retryAfterMs: 3000 },
  ],
  ['500', { status: 500, body: body('internal') }, { reason: 'server_error' }],
  [
    'TLS failure from the http layer',
    { transport: 'network_error', code: 'SELF_SIGNED_CERT_IN_CHAIN' },
    { reason: 'network_error' },
  ],
];

describe('gigachat classifyFailure', () => {
  it.each(table)('%s', (_name, failure, expected) => {
    expect(adapter.classifyFailure(failure, NOW)).toMatchObject(expected);
  });

  it('asks for one token refresh on an API 401, never on an OAuth 401', () => {
    expect(shouldRefreshToken({ status: 401, body: body('token_expired') })).toBe(true);
    expect(shouldRefreshToken({ status: 401, body: body('oauth_credentials') })).toBe(false);
    expect(shouldRefreshToken({ status: 429, body: body('too_many') })).toBe(false);
  });
});
