import { verbatimJson } from '@llmgw/providers';
import { createTestUpstream, type TestUpstream } from '@llmgw/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { relayResponse } from '../http/relay-response.js';
import {
  chatInput,
  createRelayWorld,
  key,
  type RelayWorld,
  readBody,
  sseData,
  streamedText,
  tierOf,
} from './test-world.js';

let upstream: TestUpstream;
let world: RelayWorld | undefined;

beforeAll(async () => {
  upstream = await createTestUpstream();
});
afterEach(async () => {
  await world?.close();
  world = undefined;
});
afterAll(async () => {
  await upstream.close();
});

describe('a request served on the first attempt', () => {
  test('non-stream: a completion that needs no repair reaches the client as the upstream wrote it', async () => {
    const ok = key('test-ok-');
    world = createRelayWorld(upstream.url, [ok]);
    const result = await world.relay.relay(chatInput([tierOf(ok)], { text: 'verbatim' }));
    expect(result.kind).toBe('json');
    if (result.kind !== 'json') return;
    const upstreamText = verbatimJson(result.body);
    expect(upstreamText).toMatch(/^\{.*"ok: verbatim"/s);
    const response = relayResponse(result);
    expect(await response.text()).toBe(upstreamText);
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
  });

  test('non-stream: the completion, every SPEC header, usage released and recorded', async () => {
    const ok = key('test-ok-');
    world = createRelayWorld(upstream.url, [ok]);
    const input = chatInput([tierOf(ok)], { text: 'ping' });
    const result = await world.relay.relay(input);

    expect(result.kind).toBe('json');
    if (result.kind !== 'json') return;
    expect(result.status).toBe(200);
    expect(result.body).toMatchObject({
      object: 'chat.completion',
      model: ok.model,
      choices: [{ message: { role: 'assistant', content: 'ok: ping' } }],
    });
    expect(result.headers).toEqual({
      'x-request-id': input.requestId,
      'x-llm-actual-provider': 'openai',
      'x-llm-actual-model': ok.model,
      'x-llm-key-id': String(ok.keyId),
      'x-llm-attempts': '1',
      'x-llm-attempt-trail': `openai:${ok.keyId}:ok`,
    });
    expect(upstream.callsFor(ok.secret)).toMatchObject([{ model: ok.model, stream: false, status: 200 }]);
    expect(world.pool.releases).toHaveLength(1);
    const [release] = world.pool.releases;
    expect(release?.result.outcome).toMatchObject({ kind: 'ok' });
    expect(release?.result.tokens).toBeGreaterThan(0);
    expect(world.records).toMatchObject([
      { requestId: input.requestId, attemptNo: 1, final: true, outcome: 'ok', status: 200, keyId: ok.keyId },
    ]);
    expect(world.records[0]?.promptTokens).toBeGreaterThan(0);
    expect(world.relay.inflight()).toBe(0);
  });

  test('non-stream answered on a socket: the lease is back at return, the record and inflight follow the write', async () => {
    const ok = key('test-ok-');
    world = createRelayWorld(upstream.url, [ok]);
    const result = await world.relay.relay({
      ...chatInput([tierOf(ok)], { text: 'ping' }),
      answersOnSocket: true,
    });

    expect(result.kind).toBe('json');
    expect(world.pool.releases).toHaveLength(1);
    // What the caller does now (write the answer) runs before the bookkeeping.
    expect(world.records).toEqual([]);
    expect(world.relay.inflight()).toBe(1);
    await new Promise((resolve) => setImmediate(resolve));
    expect(world.records).toMatchObject([{ attemptNo: 1, final: true, outcome: 'ok', status: 200 }]);
    expect(world.relay.inflight()).toBe(0);
  });

  test('stream: SSE chunks then [DONE], headers at once, lease released with ok at the end', async () => {
    const ok = key('test-ok-');
    world = createRelayWorld(upstream.url, [ok]);
    const input = chatInput([tierOf(ok)], { stream: true, text: 'stream me please' });
    const result = await world.relay.relay(input);

    expect(result.kind).toBe('stream');
    expect(result.headers).toMatchObject({
      'x-request-id': input.requestId,
      'x-llm-actual-provider': 'openai',
      'x-llm-actual-model': ok.model,
      'x-llm-key-id': String(ok.keyId),
      'x-llm-attempts': '1',
      'x-llm-attempt-trail': `openai:${ok.keyId}:ok`,
    });
    expect(world.relay.inflight()).toBe(1);
    const data = sseData(await readBody(result));
    expect(data.at(-1)).toBe('[DONE]');
    expect(streamedText(data)).toBe('ok: stream me please');
    expect(upstream.callsFor(ok.secret)).toMatchObject([{ stream: true }]);
    expect(world.pool.releases).toMatchObject([{ keyId: ok.keyId, result: { outcome: { kind: 'ok' } } }]);
    expect(world.records).toMatchObject([{ final: true, outcome: 'ok', stream: true }]);
    expect(world.records[0]?.ttfbMs).not.toBeNull();
    expect(world.relay.inflight()).toBe(0);
  });

  test('a translated provider (Anthropic) streams OpenAI chunks; its usage chunk only on request', async () => {
    const anthropic = key('test-ok-', 'anthropic');
    world = createRelayWorld(upstream.url, [anthropic]);

    const plain = sseData(
      await readBody(await world.relay.relay(chatInput([tierOf(anthropic)], { stream: true }))),
    );
    expect(streamedText(plain)).toBe('ok: hello');
    expect(plain.some((payload) => payload.includes('"usage":{'))).toBe(false);

    const withUsage = sseData(
      await readBody(
        await world.relay.relay(
          chatInput([tierOf(anthropic)], { stream: true, body: { stream_options: { include_usage: true } } }),
        ),
      ),
    );
    const usageChunk = JSON.parse(withUsage.at(-2) ?? '{}') as { choices: unknown[]; usage?: unknown };
    expect(usageChunk.choices).toEqual([]);
    expect(usageChunk.usage).toMatchObject({ prompt_tokens: expect.any(Number) });
    // Usage reaches the pool either way: it reconciles the TPM reservation.
    expect(world.pool.releases.map((release) => release.result.tokens)).toEqual([
      expect.any(Number),
      expect.any(Number),
    ]);
  });

  test('embeddings skip providers without an embeddings API and are served by one that has it', async () => {
    const anthropic = key('test-ok-', 'anthropic');
    const openai = key('test-ok-', 'openai', 'text-embedding-3-small');
    world = createRelayWorld(upstream.url, [anthropic, openai]);
    const input = {
      ...chatInput([tierOf(anthropic), tierOf(openai)]),
      operation: 'embeddings' as const,
      body: { model: 'text-embedding-3-small', input: ['a', 'b'] },
    };
    const result = await world.relay.relay(input);
    expect(result).toMatchObject({ kind: 'json', status: 200, body: { object: 'list', data: [{}, {}] } });
    expect(result.headers['x-llm-attempt-trail']).toBe(`openai:${openai.keyId}:ok`);
    expect(upstream.callsFor(anthropic.secret)).toHaveLength(0);
    expect(world.pool.requests.map((request) => request.candidates)).toEqual([
      [openai].map(({ provider, model }) => ({ provider, model })),
    ]);
  });
});
