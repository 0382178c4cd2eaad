import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTestUpstream, type TestUpstream } from '@llmgw/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
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

const LONG_REPLY = Array.from({ length: 40 }, (_, index) => `word${index}`).join(' ');

describe('streams before the first byte: failover', () => {
  test('no first byte within first_byte_timeout (slow key) → another key serves, nothing sent before', async () => {
    const slow = key('test-slow-');
    const ok = key('test-ok-');
    world = createRelayWorld(upstream.url, [slow, ok], { first_byte_timeout: '500ms' });
    const started = Date.now();
    const result = await world.relay.relay(chatInput([tierOf(slow, ok)], { stream: true }));

    expect(result.kind).toBe('stream');
    expect(Date.now() - started).toBeLessThan(2_500);
    expect(result.headers['x-llm-attempt-trail']).toBe(`openai:${slow.keyId}:timeout,openai:${ok.keyId}:ok`);
    expect(streamedText(sseData(await readBody(result)))).toBe('ok: hello');
    expect(world.pool.releases[0]?.result.outcome).toMatchObject({
      kind: 'failure',
      classification: { reason: 'timeout' },
    });
    await waitUntil(() => upstream.callsFor(slow.secret)[0]?.aborted === true);
  });

  test('headers at once but no first chunk in time is a first-byte timeout too', async () => {
    // Gemini streams have no opening event, so keep-alive comments are all that arrives for 3 s.
    const stalled = key('AIza', 'gemini');
    const ok = key('test-ok-', 'gemini');
    upstream.setBehavior(stalled.secret, { kind: 'ok', keepAlives: 1, delayMs: 3_000 });
    world = createRelayWorld(upstream.url, [stalled, ok], { first_byte_timeout: '500ms' });
    const result = await world.relay.relay(chatInput([tierOf(stalled, ok)], { stream: true }));
    expect(result.headers['x-llm-attempt-trail']).toBe(
      `gemini:${stalled.keyId}:timeout,gemini:${ok.keyId}:ok`,
    );
    expect(upstream.callsFor(stalled.secret)).toMatchObject([{ status: 200 }]);
    expect(streamedText(sseData(await readBody(result)))).toBe('ok: hello');
  });

  test('an in-stream error before any chunk fails over', async () => {
    const broken = key('sk-');
    const ok = key('test-ok-');
    upstream.setBehavior(broken.secret, { kind: 'stream_error', afterChunks: 0 });
    world = createRelayWorld(upstream.url, [broken, ok]);
    const result = await world.relay.relay(chatInput([tierOf(broken, ok)], { stream: true }));
    expect(result.headers['x-llm-attempt-trail']).toBe(
      `openai:${broken.keyId}:server_error,openai:${ok.keyId}:ok`,
    );
    expect(streamedText(sseData(await readBody(result)))).toBe('ok: hello');
  });
});

describe('streams after the first byte: an explicit error event, never a silent end', () => {
  test('a stream cut midway ends with an SSE error event and [DONE]; released with network_error', async () => {
    const cut = key('sk-');
    const spare = key('test-ok-');
    upstream.setBehavior(cut.secret, {
      kind: 'cut_stream',
      afterChunks: 2,
      chunkDelayMs: 50,
      reply: LONG_REPLY,
    });
    world = createRelayWorld(upstream.url, [cut, spare]);
    const result = await world.relay.relay(chatInput([tierOf(cut, spare)], { stream: true }));
    const data = sseData(await readBody(result));

    expect(data.at(-1)).toBe('[DONE]');
    const error = JSON.parse(data.at(-2) ?? '{}') as { error?: { code?: string; message?: string } };
    expect(error.error).toMatchObject({ code: 'network_error', type: 'upstream_error' });
    expect(streamedText(data.slice(0, -2)).length).toBeGreaterThan(0);
    expect(upstream.callsFor(spare.secret)).toHaveLength(0);
    expect(world.pool.releases).toMatchObject([
      {
        keyId: cut.keyId,
        result: { outcome: { kind: 'failure', classification: { reason: 'network_error' } } },
      },
    ]);
    expect(world.records).toMatchObject([{ final: true, outcome: 'network_error', stream: true }]);
    expect(world.relay.inflight()).toBe(0);
  });

  test('an in-stream error arriving with the first chunks still fails over: nothing reached the client', async () => {
    // The fake upstream writes the chunks and the error event at once, so the parser sees both together.
    const failing = key('test-streamerr-', 'anthropic');
    const ok = key('test-ok-', 'anthropic');
    world = createRelayWorld(upstream.url, [failing, ok]);
    const result = await world.relay.relay(chatInput([tierOf(failing, ok)], { stream: true }));
    expect(result.headers['x-llm-attempt-trail']).toMatch(
      new RegExp(`^anthropic:${failing.keyId}:\\w+,anthropic:${ok.keyId}:ok$`),
    );
    expect(world.pool.releases[0]?.result.outcome).toMatchObject({ kind: 'failure' });
    expect(streamedText(sseData(await readBody(result)))).toBe('ok: hello');
  });
});

describe('the client going away', () => {
  async function slowStream() {
    const slow = key('sk-');
    upstream.setBehavior(slow.secret, { kind: 'ok', chunkDelayMs: 100, reply: LONG_REPLY });
    world = createRelayWorld(upstream.url, [slow]);
    return slow;
  }

  test('cancelling the stream mid-way aborts the upstream call and releases with client_abort', async () => {
    const slow = await slowStream();
    if (!world) throw new Error('no world');
    const result = await world.relay.relay(chatInput([tierOf(slow)], { stream: true }));
    if (result.kind !== 'stream') throw new Error('expected a stream');
    const reader = result.body.getReader();
    await reader.read();
    await reader.cancel();

    await waitUntil(() => upstream.callsFor(slow.secret)[0]?.aborted === true, 2_000);
    await world.pool.releasedCount(1);
    expect(world.pool.releases[0]?.result.outcome).toEqual({ kind: 'client_abort' });
    expect(world.records).toMatchObject([{ final: true, outcome: 'client_abort', keyId: slow.keyId }]);
    expect(world.relay.inflight()).toBe(0);
  });

  test('the client signal aborting mid-stream does the same, even with nobody reading', async () => {
    const slow = await slowStream();
    if (!world) throw new Error('no world');
    const client = new AbortController();
    const result = await world.relay.relay(
      chatInput([tierOf(slow)], { stream: true, signal: client.signal }),
    );
    expect(result.kind).toBe('stream');
    client.abort();

    await waitUntil(() => upstream.callsFor(slow.secret)[0]?.aborted === true, 2_000);
    await world.pool.releasedCount(1);
    expect(world.pool.releases[0]?.result.outcome).toEqual({ kind: 'client_abort' });
    expect(world.relay.inflight()).toBe(0);
  });

  test('a client abort before the first byte ends the call, no failover, no penalty', async () => {
    const hanging = key('test-hang-');
    const ok = key('test-ok-');
    world = createRelayWorld(upstream.url, [hanging, ok]);
    const client = new AbortController();
    setTimeout(() => client.abort(), 200);
    const result = await world.relay.relay(
      chatInput([tierOf(hanging, ok)], { stream: true, signal: client.signal }),
    );

    expect(result).toMatchObject({ kind: 'error', error: { status: 499 } });
    expect(result.headers['x-llm-attempt-trail']).toBe(`openai:${hanging.keyId}:client_abort`);
    expect(upstream.callsFor(ok.secret)).toHaveLength(0);
    expect(world.pool.releases[0]?.result.outcome).toEqual({ kind: 'client_abort' });
    await waitUntil(() => upstream.callsFor(hanging.secret)[0]?.aborted === true, 2_000);
  });

  test('the request timeout bounds the whole request: 504, the upstream call aborted, no penalty', async () => {
    const hanging = key('test-hang-');
    world = createRelayWorld(upstream.url, [hanging], {
      request_timeout: '500ms',
      first_byte_timeout: '200ms',
    });
    const result = await world.relay.relay(chatInput([tierOf(hanging)]));
    expect(result).toMatchObject({ kind: 'error', error: { status: 504, code: 'request_timeout' } });
    expect(world.pool.releases[0]?.result.outcome).toEqual({ kind: 'client_abort' });
    await waitUntil(() => upstream.callsFor(hanging.secret)[0]?.aborted === true, 2_000);
  });
});

describe('the request timeout during a stream', () => {
  test('ends the stream with a request_timeout error event and [DONE], without blaming the key', async () => {
    const slow = key('sk-');
    upstream.setBehavior(slow.secret, { kind: 'ok', chunkDelayMs: 100, reply: LONG_REPLY });
    world = createRelayWorld(upstream.url, [slow], { request_timeout: '600ms', first_byte_timeout: '300ms' });
    const result = await world.relay.relay(chatInput([tierOf(slow)], { stream: true }));
    const data = sseData(await readBody(result));

    expect(data.at(-1)).toBe('[DONE]');
    expect(JSON.parse(data.at(-2) ?? '{}')).toMatchObject({ error: { code: 'request_timeout' } });
    expect(streamedText(data.slice(0, -2)).length).toBeGreaterThan(0);
    expect(world.pool.releases[0]?.result.outcome).toEqual({ kind: 'client_abort' });
    await waitUntil(() => upstream.callsFor(slow.secret)[0]?.aborted === true, 2_000);
    expect(world.relay.inflight()).toBe(0);
  });
});

async function waitUntil(check: () => boolean, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('stream chunks on the wire', () => {
  test('a chunk with nothing to fill reaches the client as the upstream wrote it; a filled one is rewritten', async () => {
    // JSON.stringify would write `café`, with no space after the colons: these bytes are the upstream's own.
    const own =
      '{"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "gpt-4o-mini", "choices": [{"index": 0, "delta": {"content": "caf\\u00e9"}, "finish_reason": null}]}';
    const bare = '{"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}';
    const server = createServer((request, response) => {
      request.resume();
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.end(`data: ${own}\n\ndata: ${bare}\n\ndata: [DONE]\n\n`);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const ok = key('test-ok-');
      world = createRelayWorld(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, [ok]);
      const result = await world.relay.relay(chatInput([tierOf(ok)], { stream: true }));
      const data = sseData(await readBody(result));
      expect(data[0]).toBe(own);
      expect(JSON.parse(data[1] ?? '')).toMatchObject({ object: 'chat.completion.chunk', model: ok.model });
      expect(data[1]).not.toBe(bare);
      expect(data.at(-1)).toBe('[DONE]');
      expect(streamedText(data)).toBe('café');
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
