import { isClientAbort } from '@llmgw/http';
import { STREAM_TRUNCATED } from '@llmgw/providers';
import { createForwardProxy, createTestUpstream, DEFAULT_MODELS, type TestUpstream } from '@llmgw/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { sendUpstream } from './send-upstream.js';
import type { UpstreamTarget } from './target.js';
import {
  assemble,
  CHAT_MODEL,
  chatBody,
  createTarget,
  createTestDeps,
  readStream,
  type TargetName,
  waitUntil,
} from './test-targets.js';
import { isUpstreamCallError } from './upstream-call-error.js';

const ALL: TargetName[] = ['openai', 'deepseek', 'openrouter', 'ollama', 'gemini', 'gigachat', 'anthropic'];
const NATIVE: TargetName[] = ['openai', 'gemini', 'gigachat', 'anthropic'];

let upstream: TestUpstream;
let deps: ReturnType<typeof createTestDeps>;

beforeAll(async () => {
  upstream = await createTestUpstream();
  // Local Ollama takes calls without any credential.
  upstream.setBehavior('', { kind: 'ok' });
  deps = createTestDeps();
});

afterAll(async () => {
  await deps.http.close();
  await upstream.close();
});

/** The target's API calls since `mark` (keyless Ollama calls all share the key ''). */
function apiCalls(target: UpstreamTarget, mark = 0) {
  return upstream
    .calls()
    .slice(mark)
    .filter((call) => call.key === target.secret && call.operation !== 'oauth');
}

describe.each(ALL)('%s over a real socket', (name) => {
  const model = CHAT_MODEL[name];

  test('a chat call is answered and parsed into an OpenAI completion', async () => {
    const target = createTarget(name, upstream.url);
    const mark = upstream.calls().length;
    const { response, ttfbMs } = await sendUpstream(deps, target, (ctx) =>
      target.adapter.buildChatRequest(ctx, chatBody(model, 'hello there')),
    );
    const completion = target.adapter.parseChatResponse(
      response.status,
      response.headers,
      await response.text(),
    );
    expect(response.status).toBe(200);
    expect(ttfbMs).toBeGreaterThanOrEqual(0);
    expect(completion.object).toBe('chat.completion');
    expect(completion.choices[0]?.message.content).toBe('ok: hello there');
    expect(completion.choices[0]?.finish_reason).toBe('stop');
    expect(completion.usage?.completion_tokens).toBeGreaterThan(0);
    expect(completion.usage?.total_tokens).toBe(
      (completion.usage?.prompt_tokens ?? 0) + (completion.usage?.completion_tokens ?? 0),
    );
    expect(apiCalls(target, mark)).toMatchObject([{ operation: 'chat', model, stream: false, status: 200 }]);
  });

  test('a stream is assembled into the same text with a finish reason and usage', async () => {
    const target = createTarget(name, upstream.url);
    const mark = upstream.calls().length;
    const body = chatBody(model, 'stream me some words', {
      stream: true,
      stream_options: { include_usage: true },
    });
    const { response } = await sendUpstream(deps, target, (ctx) =>
      target.adapter.buildChatRequest(ctx, body),
    );
    const reading = await readStream(target, response.body, model);
    expect(reading.bodyError).toBeUndefined();
    expect(reading.streamError).toBeUndefined();
    const answer = assemble(reading.chunks);
    expect(answer.text).toBe('ok: stream me some words');
    expect(answer.finishReason).toBe('stop');
    expect(answer.usage?.completion_tokens).toBeGreaterThan(0);
    expect(answer.usage?.prompt_tokens).toBeGreaterThan(0);
    // More than one content chunk: the answer really arrived as a stream.
    expect(reading.chunks.filter((chunk) => chunk.choices[0]?.delta.content).length).toBeGreaterThan(1);
    expect(reading.chunks.every((chunk) => chunk.object === 'chat.completion.chunk')).toBe(true);
    expect(apiCalls(target, mark)).toMatchObject([{ operation: 'chat', stream: true, aborted: false }]);
  });

  test('the models list names the models the upstream serves', async () => {
    const target = createTarget(name, upstream.url);
    const { response } = await sendUpstream(deps, target, (ctx) => target.adapter.buildModelsRequest(ctx));
    const models = target.adapter.parseModelsResponse(await response.text());
    expect(models).toContain(model);
  });
});

describe.each(['openai', 'gemini', 'gigachat'] as const)('%s embeddings', (name) => {
  const model = { openai: 'text-embedding-3-small', gemini: 'text-embedding-004', gigachat: 'Embeddings' }[
    name
  ];

  test.each([
    { input: 'one text', count: 1 },
    { input: ['first text', 'second text'], count: 2 },
  ])('embeds $count input(s) into unit vectors', async ({ input, count }) => {
    const target = createTarget(name, upstream.url);
    const { adapter } = target;
    if (!adapter.buildEmbeddingsRequest || !adapter.parseEmbeddingsResponse) {
      throw new Error(`${name} should support embeddings`);
    }
    const build = adapter.buildEmbeddingsRequest;
    const { response } = await sendUpstream(deps, target, (ctx) => build(ctx, { model, input }));
    const embeddings = adapter.parseEmbeddingsResponse(await response.text(), model);
    expect(embeddings.object).toBe('list');
    expect(embeddings.data).toHaveLength(count);
    for (const item of embeddings.data) {
      if (typeof item.embedding === 'string') throw new Error('expected float vectors');
      expect(item.embedding).toHaveLength(8);
      const norm = Math.sqrt(item.embedding.reduce((sum, value) => sum + value * value, 0));
      expect(norm).toBeCloseTo(1, 3);
    }
  });
});

test('anthropic has no embeddings to call', () => {
  expect(createTarget('anthropic', 'http://127.0.0.1:1').adapter.buildEmbeddingsRequest).toBeUndefined();
});

test('models of every testkit provider are the defaults the adapters are pointed at', () => {
  expect(DEFAULT_MODELS.openai).toContain(CHAT_MODEL.openai);
  expect(DEFAULT_MODELS.gemini).toContain(CHAT_MODEL.gemini);
  expect(DEFAULT_MODELS.gigachat).toContain(CHAT_MODEL.gigachat);
  expect(DEFAULT_MODELS.anthropic).toContain(CHAT_MODEL.anthropic);
});

describe.each(NATIVE)('%s through a forward proxy', (name) => {
  test('a call on a proxy route reaches the upstream via the proxy', async () => {
    const proxy = await createForwardProxy();
    try {
      const target = createTarget(name, upstream.url, { route: { kind: 'proxy', url: proxy.url } });
      const model = CHAT_MODEL[name];
      const { response } = await sendUpstream(deps, target, (ctx) =>
        target.adapter.buildChatRequest(ctx, chatBody(model, 'via proxy')),
      );
      const completion = target.adapter.parseChatResponse(
        response.status,
        response.headers,
        await response.text(),
      );
      expect(completion.choices[0]?.message.content).toBe('ok: via proxy');
      expect(proxy.connects()).toBeGreaterThanOrEqual(1);
      // GigaChat's OAuth call is the key's traffic too, so it takes the same road.
      const calls = upstream.callsFor(target.secret);
      expect(calls.length).toBe(name === 'gigachat' ? 2 : 1);
      expect(calls.every((call) => call.viaProxy)).toBe(true);
    } finally {
      await proxy.close();
    }
  });
});

describe.each(NATIVE)('%s stream cut by the upstream', (name) => {
  test('end() reports a network_error stream failure and keeps the chunks before the cut', async () => {
    const target = createTarget(name, upstream.url);
    upstream.setBehavior(target.secret, {
      kind: 'cut_stream',
      afterChunks: 2,
      reply: 'alpha beta gamma delta epsilon',
    });
    const model = CHAT_MODEL[name];
    const { response } = await sendUpstream(deps, target, (ctx) =>
      target.adapter.buildChatRequest(ctx, chatBody(model, 'cut me', { stream: true })),
    );
    const reading = await readStream(target, response.body, model);
    expect(reading.streamError).toBeDefined();
    expect(reading.streamError?.classification.reason).toBe('network_error');
    expect(reading.streamError?.failure).toMatchObject({
      transport: 'network_error',
      code: STREAM_TRUNCATED,
    });
    expect(assemble(reading.chunks).text).toBe('alpha beta ');
    expect(assemble(reading.chunks).finishReason).toBeNull();
    // The socket error itself, if the body saw one, is the network's, never the caller's abort.
    if (reading.bodyError !== undefined) {
      expect(isClientAbort(reading.bodyError)).toBe(false);
      expect(reading.bodyError).toMatchObject({ transport: 'network_error' });
    }
    expect(apiCalls(target)).toMatchObject([{ behavior: 'cut_stream', aborted: false }]);
  });
});

describe('client abort mid-stream', () => {
  let own: TestUpstream;
  let ownDeps: ReturnType<typeof createTestDeps>;

  afterEach(async () => {
    await ownDeps.http.close();
    await own.close();
  });

  test.each(NATIVE)(
    '%s: the upstream sees the client gone within 2 s and the error is a client abort',
    async (name) => {
      own = await createTestUpstream();
      // One socket per origin: undici may open a spare socket to replace an aborted one while another
      // client of the pool sits idle (GigaChat's OAuth call), which would mask the drop counted here.
      ownDeps = createTestDeps(Date.now, { connectionsPerOrigin: 1 });
      const target = createTarget(name, own.url);
      own.setBehavior(target.secret, {
        kind: 'ok',
        reply: Array.from({ length: 100 }, (_, index) => `word${index}`).join(' '),
        chunkDelayMs: 50,
      });
      const model = CHAT_MODEL[name];
      const controller = new AbortController();
      const { response } = await sendUpstream(
        ownDeps,
        target,
        (ctx) => target.adapter.buildChatRequest(ctx, chatBody(model, 'long answer', { stream: true })),
        { signal: controller.signal },
      );
      let openDuringStream = 0;
      const reading = await readStream(target, response.body, model, () => {
        if (controller.signal.aborted) return;
        openDuringStream = own.connections();
        controller.abort();
      });
      expect(isClientAbort(reading.bodyError)).toBe(true);
      expect(isUpstreamCallError(reading.bodyError)).toBe(false);
      expect(assemble(reading.chunks).text.length).toBeGreaterThan(0);
      expect(openDuringStream).toBeGreaterThan(0);
      const chat = () => own.callsFor(target.secret).find((call) => call.operation === 'chat');
      await waitUntil(() => chat()?.aborted === true && own.connections() < openDuringStream, 2_000);
      // The whole answer would take 5 s: the upstream stopped because the client left, not because it was done.
      expect(chat()?.durationMs).toBeLessThan(2_000);
      expect(own.inFlight()).toBe(0);
    },
  );
});
