import { createTestUpstream, type TestUpstream } from '@llmgw/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import type { CandidateTiers, RelayInput, RelayResult } from '../contracts.js';
import { chatInput, createRelayWorld, key, type RelayWorld, readBody, tierOf } from './test-world.js';

/*
 * `/v1/responses` passthrough through the real relay: the `openai` provider (its template says
 * `responses_api: true`) gets the client's Responses body; Gemini in the same tier gets the chat
 * translation. The testkit upstream answers both.
 */

let upstream: TestUpstream;
let world: RelayWorld | undefined;

beforeAll(async () => {
  upstream = await createTestUpstream();
});
afterEach(async () => {
  await world?.close();
  world = undefined;
  upstream.reset();
});
afterAll(async () => {
  await upstream.close();
});

const LONG_REPLY = Array.from({ length: 40 }, (_, index) => `word${index}`).join(' ');

/** A Responses request as the surface hands it over: the chat translation, and the original body. */
function nativeInput(tiers: CandidateTiers, stream = false, extra: Record<string, unknown> = {}): RelayInput {
  const input = chatInput(tiers, { stream, text: 'hello native' });
  const body = { model: 'openai/gpt-4o-mini', input: 'hello native', store: false, stream, ...extra };
  return { ...input, native: { kind: 'responses', body } };
}

function events(text: string): Array<{ event: string; data: Record<string, unknown> }> {
  return text
    .split('\n\n')
    .filter((block) => block.trim() !== '')
    .map((block) => {
      const [name = '', data = ''] = block.split('\n');
      return { event: name.replace('event: ', ''), data: JSON.parse(data.replace('data: ', '')) };
    });
}

function json(result: RelayResult): Record<string, unknown> {
  if (result.kind !== 'json') throw new Error(`expected json, got ${result.kind}`);
  return result.body as Record<string, unknown>;
}

describe('native Responses attempts', () => {
  test('a responses_api provider gets the original body at /v1/responses; the Response comes back as sent', async () => {
    const ok = key('test-ok-');
    world = createRelayWorld(upstream.url, [ok]);
    const result = await world.relay.relay(nativeInput([tierOf(ok)], false, { metadata: { a: '1' } }));
    expect(result).toMatchObject({ kind: 'json', status: 200, format: 'responses' });
    const body = json(result);
    expect(body.id).toMatch(/^resp_tk/);
    expect(body.output).toMatchObject([{ type: 'message', content: [{ text: 'ok: hello native' }] }]);
    expect(upstream.calls()).toMatchObject([{ path: '/v1/responses', model: 'gpt-4o-mini', stream: false }]);
    const usage = body.usage as { input_tokens: number; output_tokens: number };
    expect(world.records).toMatchObject([
      {
        final: true,
        outcome: 'ok',
        promptTokens: usage.input_tokens,
        completionTokens: usage.output_tokens,
        cachedTokens: 0,
      },
    ]);
    expect(world.pool.releases[0]?.result.tokens).toBe(usage.input_tokens + usage.output_tokens);
  });

  test('a stream passes the upstream events through unchanged, usage read from response.completed', async () => {
    const ok = key('test-ok-');
    world = createRelayWorld(upstream.url, [ok]);
    const result = await world.relay.relay(nativeInput([tierOf(ok)], true));
    expect(result).toMatchObject({ kind: 'stream', format: 'responses' });
    const text = await readBody(result);
    const list = events(text);
    expect(list[0]?.event).toBe('response.created');
    expect(list.at(-1)?.event).toBe('response.completed');
    expect(list.map((entry) => entry.data.sequence_number)).toEqual(list.map((_, index) => index));
    const completed = list.at(-1)?.data.response as {
      usage: { input_tokens: number; output_tokens: number };
    };
    await world.pool.releasedCount(1);
    expect(world.records).toMatchObject([
      {
        outcome: 'ok',
        stream: true,
        promptTokens: completed.usage.input_tokens,
        completionTokens: completed.usage.output_tokens,
      },
    ]);
    expect(world.relay.inflight()).toBe(0);
    expect(upstream.calls()).toMatchObject([{ path: '/v1/responses', stream: true }]);
  });

  test('a 429 on the native provider fails over to a chat-only provider in the same tier', async () => {
    const limited = key('test-429-');
    const gemini = key('test-ok-', 'gemini');
    world = createRelayWorld(upstream.url, [limited, gemini]);
    const result = await world.relay.relay(nativeInput([tierOf(limited, gemini)]));
    expect(result.headers['x-llm-attempt-trail']).toBe(
      `openai:${limited.keyId}:rate_limited,gemini:${gemini.keyId}:ok`,
    );
    // Gemini answered in chat terms: the surface translates it.
    expect(result).toMatchObject({ kind: 'json', status: 200 });
    expect(result.kind === 'json' && result.format).toBeUndefined();
    expect(upstream.calls().map((call) => [call.provider, call.path.endsWith('/v1/responses')])).toEqual([
      ['openai', true],
      ['gemini', false],
    ]);
  });

  test('without a native body the same provider still gets chat completions', async () => {
    const ok = key('test-ok-');
    world = createRelayWorld(upstream.url, [ok]);
    const result = await world.relay.relay(chatInput([tierOf(ok)]));
    expect(result.kind === 'json' && result.format).toBeUndefined();
    expect(upstream.calls()).toMatchObject([{ path: '/v1/chat/completions' }]);
  });

  test('no first event within first_byte_timeout fails over before anything reached the client', async () => {
    const slow = key('test-slow-');
    const ok = key('test-ok-');
    world = createRelayWorld(upstream.url, [slow, ok], { first_byte_timeout: '500ms' });
    const result = await world.relay.relay(nativeInput([tierOf(slow, ok)], true));
    expect(result.headers['x-llm-attempt-trail']).toBe(`openai:${slow.keyId}:timeout,openai:${ok.keyId}:ok`);
    expect(events(await readBody(result)).at(-1)?.event).toBe('response.completed');
  });

  test('a stream cut after the first byte ends with error and response.failed events, never a clean end', async () => {
    const cut = key('sk-');
    const spare = key('test-ok-');
    upstream.setBehavior(cut.secret, {
      kind: 'cut_stream',
      afterChunks: 2,
      chunkDelayMs: 50,
      reply: LONG_REPLY,
    });
    world = createRelayWorld(upstream.url, [cut, spare]);
    const result = await world.relay.relay(nativeInput([tierOf(cut, spare)], true));
    const list = events(await readBody(result));
    expect(list.slice(-2).map((entry) => entry.event)).toEqual(['error', 'response.failed']);
    expect(list.at(-2)?.data).toMatchObject({ type: 'error', code: 'network_error' });
    expect(list.at(-1)?.data.response).toMatchObject({ status: 'failed', error: { code: 'server_error' } });
    const numbers = list.map((entry) => entry.data.sequence_number);
    expect(numbers).toEqual(numbers.map((_, index) => index));
    expect(upstream.callsFor(spare.secret)).toHaveLength(0);
    await world.pool.releasedCount(1);
    expect(world.records).toMatchObject([{ final: true, outcome: 'network_error', stream: true }]);
  });

  test('an upstream error event arriving with the first events still fails over: nothing reached the client', async () => {
    // The fake upstream writes the opening events and the error event at once, so they are read together.
    const failing = key('sk-');
    const ok = key('test-ok-');
    upstream.setBehavior(failing.secret, { kind: 'stream_error', afterChunks: 1, status: 429 });
    world = createRelayWorld(upstream.url, [failing, ok]);
    const result = await world.relay.relay(nativeInput([tierOf(failing, ok)], true));
    expect(result.headers['x-llm-attempt-trail']).toBe(
      `openai:${failing.keyId}:rate_limited,openai:${ok.keyId}:ok`,
    );
    const list = events(await readBody(result));
    expect(list.filter((entry) => entry.event === 'response.created')).toHaveLength(1);
    expect(list.at(-1)?.event).toBe('response.completed');
  });

  test('a client that cancels mid-stream aborts the upstream call and releases with client_abort', async () => {
    const slow = key('sk-');
    upstream.setBehavior(slow.secret, { kind: 'ok', chunkDelayMs: 100, reply: LONG_REPLY });
    world = createRelayWorld(upstream.url, [slow]);
    const result = await world.relay.relay(nativeInput([tierOf(slow)], true));
    if (result.kind !== 'stream') throw new Error('expected a stream');
    const reader = result.body.getReader();
    await reader.read();
    await reader.cancel();
    await world.pool.releasedCount(1);
    expect(world.pool.releases[0]?.result.outcome).toEqual({ kind: 'client_abort' });
    expect(world.relay.inflight()).toBe(0);
    const deadline = Date.now() + 3_000;
    while (upstream.callsFor(slow.secret)[0]?.aborted !== true && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(upstream.callsFor(slow.secret)[0]?.aborted).toBe(true);
  });
});
