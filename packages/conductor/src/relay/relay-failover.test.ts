import type { FailureReason } from '@llmgw/core';
import { createTestUpstream, type TestUpstream } from '@llmgw/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { chatInput, createRelayWorld, key, type RelayWorld, tierOf } from './test-world.js';

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

describe('failover between triples', () => {
  test('a 429 key is never hit again: not for this model, not for another model of the same key', async () => {
    const limited = key('test-429-');
    const sameKeyOtherModel = { ...limited, model: 'gpt-4o' };
    const ok = key('test-ok-');
    world = createRelayWorld(upstream.url, [limited, sameKeyOtherModel, ok]);
    const result = await world.relay.relay(chatInput([tierOf(limited, sameKeyOtherModel, ok)]));

    expect(result).toMatchObject({ kind: 'json', status: 200 });
    expect(upstream.callsFor(limited.secret)).toHaveLength(1);
    expect(upstream.callsFor(ok.secret)).toHaveLength(1);
    expect(result.headers['x-llm-attempt-trail']).toBe(
      `openai:${limited.keyId}:rate_limited,openai:${ok.keyId}:ok`,
    );
    expect(result.headers['x-llm-attempts']).toBe('2');
    expect(result.headers['x-llm-key-id']).toBe(String(ok.keyId));
    expect([...(world.pool.requests[1]?.excludeKeys ?? [])]).toEqual([limited.keyId]);
    expect(world.pool.releases[0]?.result.outcome).toMatchObject({
      kind: 'failure',
      classification: { reason: 'rate_limited', retryAfterMs: 2_000 },
    });
  });

  const FAILOVER: Array<[string, string, FailureReason, boolean]> = [
    ['401', 'test-401-', 'invalid_key', true],
    ['402', 'test-402-', 'no_quota', true],
    ['500', 'test-5xx-', 'server_error', false],
    ['503', 'test-503-', 'server_error', false],
    ['404 model', 'test-nomodel-', 'model_unavailable', false],
  ];
  test.each(FAILOVER)('%s fails over to the next key', async (_label, prefix, reason, excludesKey) => {
    const bad = key(prefix);
    const ok = key('test-ok-');
    world = createRelayWorld(upstream.url, [bad, ok]);
    const input = chatInput([tierOf(bad, ok)]);
    const result = await world.relay.relay(input);

    expect(result).toMatchObject({ kind: 'json', status: 200 });
    expect(result.headers['x-llm-attempt-trail']).toBe(`openai:${bad.keyId}:${reason},openai:${ok.keyId}:ok`);
    expect(world.pool.releases).toMatchObject([
      { keyId: bad.keyId, result: { outcome: { kind: 'failure', classification: { reason } } } },
      { keyId: ok.keyId, result: { outcome: { kind: 'ok' } } },
    ]);
    const second = world.pool.requests[1];
    expect(second?.excludeTriples.size).toBe(1);
    expect(second?.excludeKeys.has(bad.keyId)).toBe(excludesKey);
    expect(world.records).toMatchObject([
      { requestId: input.requestId, attemptNo: 1, final: false, outcome: reason, keyId: bad.keyId },
      { requestId: input.requestId, attemptNo: 2, final: true, outcome: 'ok', keyId: ok.keyId },
    ]);
  });

  test('a 400 is returned at once: exactly one upstream call, no failover', async () => {
    const bad = key('sk-');
    const ok = key('test-ok-');
    upstream.setBehavior(bad.secret, { kind: 'status', status: 400, variant: 'context_length' });
    world = createRelayWorld(upstream.url, [bad, ok]);
    const result = await world.relay.relay(chatInput([tierOf(bad, ok)]));

    expect(result).toMatchObject({
      kind: 'error',
      error: { status: 400, type: 'invalid_request_error', code: 'bad_request' },
    });
    if (result.kind !== 'error') return;
    expect(result.error.message.length).toBeGreaterThan(0);
    expect(result.headers['x-llm-attempt-trail']).toBe(`openai:${bad.keyId}:bad_request`);
    expect(upstream.callsFor(bad.secret)).toHaveLength(1);
    expect(upstream.callsFor(ok.secret)).toHaveLength(0);
    expect(world.pool.releases).toMatchObject([
      { result: { outcome: { classification: { reason: 'bad_request' } } } },
    ]);
    expect(world.records).toMatchObject([{ final: true, outcome: 'bad_request', status: 400 }]);
  });

  test('every key failing with 5xx → 503 naming the last failure; the last attempt is the final record', async () => {
    const keys = [key('test-5xx-'), key('test-503-')];
    world = createRelayWorld(upstream.url, keys);
    const result = await world.relay.relay(chatInput([tierOf(...keys)]));

    expect(result).toMatchObject({ kind: 'error', error: { status: 503, code: 'server_error' } });
    expect(result.headers['x-llm-attempts']).toBe('2');
    expect(result.headers['x-llm-actual-provider']).toBe('openai');
    expect(world.records.map((record) => record.final)).toEqual([false, true]);
    expect(world.pool.held()).toBe(0);
  });

  test('every key rate limited → 429 with Retry-After from the upstream', async () => {
    const keys = [key('test-429-'), key('test-429-')];
    world = createRelayWorld(upstream.url, keys);
    const result = await world.relay.relay(chatInput([tierOf(...keys)]));
    expect(result).toMatchObject({
      kind: 'error',
      error: { status: 429, code: 'rate_limited', retryAfterSec: 2 },
    });
  });

  test('no usable triple at all → 503 with the counts; saturated → 429 with Retry-After', async () => {
    const ok = key('test-ok-');
    world = createRelayWorld(upstream.url, [ok]);
    const none = await world.relay.relay(chatInput([[{ provider: 'openai', model: 'gpt-4o' }]]));
    expect(none).toMatchObject({
      kind: 'error',
      error: { status: 503, message: expect.stringContaining('no_triple: 1') },
    });
    expect(none.headers).toMatchObject({ 'x-llm-attempts': '0', 'x-llm-attempt-trail': '' });
    expect(none.headers['x-request-id']).toMatch(/^req-/);

    world.pool.saturate(4_500);
    const busy = await world.relay.relay(chatInput([tierOf(ok)]));
    expect(busy).toMatchObject({
      kind: 'error',
      error: { status: 429, code: 'saturated', retryAfterSec: 5 },
    });
    expect(upstream.callsFor(ok.secret)).toHaveLength(0);
    expect(world.records).toHaveLength(0);
  });
});

describe('model-group tiers', () => {
  test('after max_attempts failures in the first tier, the second tier serves', async () => {
    const first = [key('test-5xx-'), key('test-503-'), key('test-401-')];
    const untried = key('test-ok-');
    const second = key('test-ok-', 'anthropic');
    world = createRelayWorld(upstream.url, [...first, untried, second], { max_attempts: 3 });
    const result = await world.relay.relay(chatInput([tierOf(...first, untried), tierOf(second)]));

    expect(result).toMatchObject({
      kind: 'json',
      status: 200,
      body: { choices: [{ message: { content: 'ok: hello' } }] },
    });
    expect(result.headers).toMatchObject({
      'x-llm-actual-provider': 'anthropic',
      'x-llm-actual-model': second.model,
      'x-llm-key-id': String(second.keyId),
      'x-llm-attempts': '4',
    });
    expect(result.headers['x-llm-attempt-trail']?.split(',')).toEqual([
      `openai:${first[0]?.keyId}:server_error`,
      `openai:${first[1]?.keyId}:server_error`,
      `openai:${first[2]?.keyId}:invalid_key`,
      `anthropic:${second.keyId}:ok`,
    ]);
    expect(upstream.callsFor(untried.secret)).toHaveLength(0);
    expect(world.pool.requests.map((request) => request.candidates[0]?.provider)).toEqual([
      'openai',
      'openai',
      'openai',
      'anthropic',
    ]);
  });

  test('a tier that refuses moves to the next one without spending attempts', async () => {
    const second = key('test-ok-', 'gemini');
    world = createRelayWorld(upstream.url, [second]);
    const result = await world.relay.relay(
      chatInput([[{ provider: 'openai', model: 'gpt-4o' }], tierOf(second)]),
    );
    expect(result).toMatchObject({ kind: 'json', status: 200 });
    expect(result.headers['x-llm-attempt-trail']).toBe(`gemini:${second.keyId}:ok`);
  });
});
