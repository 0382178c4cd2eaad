import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createBehaviorState, resolveBehavior } from './behaviors.js';
import { createTestUpstream, type TestUpstream } from './server.js';
import { type ChatCompletion, chat, type ErrorBody, parseSse, postJson, readJson } from './test-support.js';

let upstream: TestUpstream;
const auth = (key: string) => ({ authorization: `Bearer ${key}` });
const send = (key: string, body: Record<string, unknown> = chat('alpha beta gamma delta')) =>
  postJson(`${upstream.url}/v1/chat/completions`, body, auth(key));
const stream = (key: string) => send(key, chat('alpha beta gamma delta', { stream: true }));

beforeAll(async () => {
  upstream = await createTestUpstream();
});
afterAll(() => upstream.close());
beforeEach(() => upstream.reset());

describe('timing behaviours', () => {
  it('delays the first byte', async () => {
    upstream.setBehavior('slow', { kind: 'ok', firstByteDelayMs: 300 });
    const started = Date.now();
    const answer = await send('slow');
    expect(Date.now() - started).toBeGreaterThanOrEqual(280);
    expect(answer.status).toBe(200);
  });

  it('sends stream headers at once and paces the chunks', async () => {
    upstream.setBehavior('paced', { kind: 'ok', chunkDelayMs: 60 });
    const started = Date.now();
    const answer = await stream('paced');
    expect(Date.now() - started).toBeLessThan(150);
    await answer.text();
    expect(Date.now() - started).toBeGreaterThanOrEqual(200);
  });
});

describe('keep-alive filler', () => {
  it('sends SSE comments before a stream and blank lines before a JSON body', async () => {
    upstream.setBehavior('ka', { kind: 'ok', keepAlives: 2, delayMs: 20 });
    const streamed = await (await stream('ka')).text();
    expect(streamed.startsWith(': keep-alive\n\n: keep-alive\n\n')).toBe(true);
    expect(streamed).toContain('[DONE]');
    const plain = await (await send('ka')).text();
    expect(plain.startsWith('\n\n{')).toBe(true);
    expect(JSON.parse(plain).object).toBe('chat.completion');
  });
});

describe('stream-breaking behaviours', () => {
  it('cut_stream drops the connection after N chunks, without [DONE]', async () => {
    upstream.setBehavior('cut', { kind: 'cut_stream', afterChunks: 2 });
    const answer = await stream('cut');
    expect(answer.status).toBe(200);
    const reader = answer.body?.getReader();
    let received = '';
    const decoder = new TextDecoder();
    await expect(
      (async () => {
        for (;;) {
          const piece = await reader?.read();
          if (piece === undefined || piece.done) return;
          received += decoder.decode(piece.value);
        }
      })(),
    ).rejects.toThrow();
    expect(received).not.toContain('[DONE]');
    expect(parseSse(received)).toHaveLength(3); // role chunk + 2 content chunks
    const record = upstream.callsFor('cut')[0];
    expect(record?.aborted).toBe(false);
  });

  it('cut_stream on a non-stream request sends half the promised body', async () => {
    upstream.setBehavior('cut', { kind: 'cut_stream', afterChunks: 0 });
    const answer = await send('cut');
    await expect(answer.text()).rejects.toThrow();
  });

  it('stall keeps the socket open after N chunks until the client gives up', async () => {
    upstream.setBehavior('stall', { kind: 'stall', afterChunks: 1 });
    const controller = new AbortController();
    const answer = await fetch(`${upstream.url}/v1/chat/completions`, {
      method: 'POST',
      headers: auth('stall'),
      body: JSON.stringify(chat('a b c', { stream: true })),
      signal: controller.signal,
    });
    const reader = answer.body?.getReader();
    const first = await reader?.read();
    expect(new TextDecoder().decode(first?.value)).toContain('"content":"ok: "');
    const next = Promise.race([
      reader?.read(),
      new Promise((resolve) => setTimeout(() => resolve('idle'), 200)),
    ]);
    expect(await next).toBe('idle');
    controller.abort();
  });

  it('stream_error sends an OpenAI error chunk after content', async () => {
    upstream.setBehavior('serr', { kind: 'stream_error', afterChunks: 1, status: 503 });
    const events = parseSse(await (await stream('serr')).text());
    const last = JSON.parse(events.at(-1)?.data ?? '{}');
    expect(last.error.code).toBe('server_is_overloaded');
    expect(events.some((event) => event.data === '[DONE]')).toBe(false);
  });

  it('stream_error on a non-stream request is a plain failure', async () => {
    upstream.setBehavior('serr', { kind: 'stream_error', afterChunks: 1 });
    expect((await send('serr')).status).toBe(500);
  });
});

describe('counting behaviours', () => {
  it('rpm answers 429 past the limit and counts each violation', async () => {
    upstream.setBehavior('rpm', { kind: 'rpm', limit: 3 });
    const statuses: number[] = [];
    for (let index = 0; index < 5; index++) statuses.push((await send('rpm')).status);
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    expect(upstream.violations('rpm')).toBe(2);
    expect(upstream.violations()).toBe(2);
    const over = await send('rpm');
    expect(Number(over.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(over.headers.get('x-ratelimit-remaining-requests')).toBe('0');
    upstream.reset();
    expect(upstream.violations()).toBe(0);
    expect((await send('rpm')).status).toBe(200);
  });

  it('rpm reports remaining requests on successes', async () => {
    upstream.setBehavior('rpm-h', { kind: 'rpm', limit: 10 });
    const answer = await send('rpm-h');
    expect(answer.headers.get('x-ratelimit-limit-requests')).toBe('10');
    expect(answer.headers.get('x-ratelimit-remaining-requests')).toBe('9');
  });

  it('rpm frees slots as the window slides', () => {
    const state = createBehaviorState();
    const behavior = { kind: 'rpm', limit: 1, windowMs: 1000 } as const;
    expect(resolveBehavior(behavior, 'k', 'm', 0, state).leaf.kind).toBe('ok');
    expect(resolveBehavior(behavior, 'k', 'm', 999, state).leaf.kind).toBe('status');
    expect(resolveBehavior(behavior, 'k', 'm', 1000, state).leaf.kind).toBe('ok');
    expect(resolveBehavior(behavior, 'other', 'm', 1000, state).leaf.kind).toBe('ok');
    expect(state.violations.get('k')).toBe(1);
  });

  it('flaky fails every n-th call', async () => {
    upstream.setBehavior('flaky', { kind: 'flaky', failEvery: 3, failure: { kind: 'status', status: 502 } });
    const statuses: number[] = [];
    for (let index = 0; index < 6; index++) statuses.push((await send('flaky')).status);
    expect(statuses).toEqual([200, 200, 502, 200, 200, 502]);
  });

  it('sequence plays its steps, then the rest', async () => {
    upstream.setBehavior('seq', {
      kind: 'sequence',
      steps: [
        { kind: 'status', status: 429, retryAfterSec: 1 },
        { kind: 'status', status: 500 },
      ],
      rest: { kind: 'ok', reply: 'recovered' },
    });
    const statuses: number[] = [];
    for (let index = 0; index < 4; index++) statuses.push((await send('seq')).status);
    expect(statuses).toEqual([429, 500, 200, 200]);
  });

  it('per_model lets one key serve one model and 404 another', async () => {
    upstream.setBehavior('pm', {
      kind: 'per_model',
      models: { 'gpt-4o': { kind: 'status', status: 404 } },
    });
    expect((await send('pm', chat('x', { model: 'gpt-4o-mini' }))).status).toBe(200);
    expect((await send('pm', chat('x', { model: 'gpt-4o' }))).status).toBe(404);
  });
});

describe('choosing behaviours', () => {
  it('follows key prefixes, and an explicit behaviour overrides them', async () => {
    expect((await send('test-401-abc')).status).toBe(401);
    const limited = await send('test-429-abc');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('2');
    expect((await readJson<ErrorBody>(await send('test-quota-abc'))).error.code).toBe('insufficient_quota');
    expect((await send('test-nomodel-abc')).status).toBe(404);
    expect((await send('test-5xx-abc')).status).toBe(500);
    expect([(await send('test-flaky-abc')).status, (await send('test-flaky-abc')).status]).toEqual([
      200, 500,
    ]);
    const rpm = [];
    for (let index = 0; index < 3; index++) rpm.push((await send('test-rpm2-abc')).status);
    expect(rpm).toEqual([200, 200, 429]);
    upstream.setBehavior('test-401-abc', { kind: 'ok' });
    expect((await send('test-401-abc')).status).toBe(200);
    upstream.clearBehavior('test-401-abc');
    expect((await send('test-401-abc')).status).toBe(401);
  });

  it('switches the default behaviour at run time', async () => {
    upstream.setDefaultBehavior({ kind: 'status', status: 503 });
    expect((await send('anyone')).status).toBe(503);
    upstream.setDefaultBehavior({ kind: 'ok', reply: 'fixed reply' });
    const body = await readJson<ChatCompletion>(await send('anyone'));
    expect(body.choices[0]?.message.content).toBe('fixed reply');
  });

  it('reports the usage a behaviour dictates', async () => {
    upstream.setBehavior('usage', { kind: 'ok', usage: { promptTokens: 11, completionTokens: 22 } });
    const body = await readJson<ChatCompletion>(await send('usage'));
    expect(body.usage).toEqual({ prompt_tokens: 11, completion_tokens: 22, total_tokens: 33 });
  });
});
