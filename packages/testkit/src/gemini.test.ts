import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestUpstream, type TestUpstream } from './server.js';
import { type ErrorBody, parseSse, postJson, readJson } from './test-support.js';

interface GenerateContent {
  candidates: Array<{ content: { parts: Array<{ text: string }> }; finishReason?: string }>;
  usageMetadata: { promptTokenCount: number; candidatesTokenCount?: number; totalTokenCount: number };
  modelVersion: string;
}

let upstream: TestUpstream;
const key = (value: string) => ({ 'x-goog-api-key': value });
const request = {
  systemInstruction: { parts: [{ text: 'Be brief.' }] },
  contents: [
    { role: 'user', parts: [{ text: 'first' }] },
    { role: 'model', parts: [{ text: 'answer' }] },
    { role: 'user', parts: [{ text: 'the sky' }] },
  ],
};

beforeAll(async () => {
  upstream = await createTestUpstream();
});
afterAll(() => upstream.close());
beforeEach(() => upstream.reset());

describe('Gemini wire format', () => {
  it('answers generateContent with candidates and usageMetadata', async () => {
    const answer = await postJson(
      `${upstream.url}/v1beta/models/gemini-2.0-flash:generateContent`,
      request,
      key('AIza-a'),
    );
    expect(answer.status).toBe(200);
    const body = await readJson<GenerateContent>(answer);
    expect(body.candidates[0]).toMatchObject({
      content: { role: 'model', parts: [{ text: 'ok: the sky' }] },
      finishReason: 'STOP',
      index: 0,
    });
    const usage = body.usageMetadata;
    expect(usage.totalTokenCount).toBe(usage.promptTokenCount + (usage.candidatesTokenCount ?? 0));
    expect(usage.candidatesTokenCount).toBeGreaterThan(0);
    expect(body.modelVersion).toBe('gemini-2.0-flash');
    expect(upstream.calls()[0]).toMatchObject({
      provider: 'gemini',
      key: 'AIza-a',
      model: 'gemini-2.0-flash',
    });
  });

  it('takes the key from ?key= too', async () => {
    const answer = await postJson(
      `${upstream.url}/v1beta/models/gemini-2.0-flash:generateContent?key=AIza-q`,
      request,
    );
    expect(answer.status).toBe(200);
    expect(upstream.calls()[0]?.key).toBe('AIza-q');
  });

  it('streams CRLF-framed SSE chunks with alt=sse, finishing in the last one, no [DONE]', async () => {
    const answer = await postJson(
      `${upstream.url}/v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse`,
      request,
      key('AIza-a'),
    );
    expect(answer.headers.get('content-type')).toBe('text/event-stream');
    const raw = await answer.text();
    expect(raw).toContain('\r\n\r\n');
    expect(raw).not.toContain('[DONE]');
    const chunks = parseSse(raw).map((event) => JSON.parse(event.data));
    const text = chunks.map((chunk) => chunk.candidates[0].content.parts[0].text).join('');
    expect(text).toBe('ok: the sky');
    expect(chunks.at(-1).candidates[0].finishReason).toBe('STOP');
    expect(chunks.at(-1).usageMetadata.candidatesTokenCount).toBeGreaterThan(0);
    expect(chunks[0].usageMetadata.candidatesTokenCount).toBeUndefined();
    expect(upstream.calls()[0]?.stream).toBe(true);
  });

  it('streams a JSON array without alt=sse', async () => {
    const answer = await postJson(
      `${upstream.url}/v1beta/models/gemini-2.0-flash:streamGenerateContent`,
      request,
      key('AIza-a'),
    );
    const chunks = JSON.parse(await answer.text());
    expect(Array.isArray(chunks)).toBe(true);
    expect(chunks.at(-1).candidates[0].finishReason).toBe('STOP');
  });

  it('embeds one text and a batch', async () => {
    const one = await postJson(
      `${upstream.url}/v1beta/models/text-embedding-004:embedContent`,
      { content: { parts: [{ text: 'hello' }] }, outputDimensionality: 5 },
      key('AIza-a'),
    );
    expect((await readJson<{ embedding: { values: number[] } }>(one)).embedding.values).toHaveLength(5);
    const batch = await postJson(
      `${upstream.url}/v1beta/models/text-embedding-004:batchEmbedContents`,
      {
        requests: [
          { model: 'models/text-embedding-004', content: { parts: [{ text: 'a' }] } },
          { model: 'models/text-embedding-004', content: { parts: [{ text: 'b' }] } },
        ],
      },
      key('AIza-a'),
    );
    const body = await readJson<{ embeddings: Array<{ values: number[] }> }>(batch);
    expect(body.embeddings).toHaveLength(2);
    expect(body.embeddings[0]?.values).not.toEqual(body.embeddings[1]?.values);
  });

  it('lists models with the models/ prefix', async () => {
    const answer = await fetch(`${upstream.url}/v1beta/models`, { headers: key('AIza-a') });
    const body = await readJson<{ models: Array<{ name: string }> }>(answer);
    expect(body.models.map((model: { name: string }) => model.name)).toContain('models/gemini-2.0-flash');
    expect(upstream.calls()[0]).toMatchObject({ provider: 'gemini', operation: 'models' });
  });
});

describe('Gemini failures', () => {
  async function failWith(behavior: Parameters<TestUpstream['setBehavior']>[1], stream = false) {
    upstream.setBehavior('AIza-fail', behavior);
    const action = stream ? 'streamGenerateContent?alt=sse' : 'generateContent';
    const answer = await postJson(
      `${upstream.url}/v1beta/models/gemini-2.0-flash:${action}`,
      request,
      key('AIza-fail'),
    );
    return { status: answer.status, headers: answer.headers, body: JSON.parse(await answer.text()) };
  }

  it('a bad key is 400 INVALID_ARGUMENT with reason API_KEY_INVALID', async () => {
    const { status, body } = await failWith({ kind: 'status', status: 401 });
    expect(status).toBe(400);
    expect(body.error).toMatchObject({ code: 400, status: 'INVALID_ARGUMENT' });
    expect(body.error.details[0]).toMatchObject({ reason: 'API_KEY_INVALID' });
  });

  it('no key at all is 403 PERMISSION_DENIED', async () => {
    const answer = await postJson(`${upstream.url}/v1beta/models/gemini-2.0-flash:generateContent`, request);
    expect(answer.status).toBe(403);
    expect((await readJson<ErrorBody>(answer)).error.status).toBe('PERMISSION_DENIED');
  });

  it('429 per minute carries QuotaFailure with a per-minute quotaId and RetryInfo', async () => {
    const { status, headers, body } = await failWith({ kind: 'status', status: 429, retryAfterSec: 17 });
    expect(status).toBe(429);
    expect(headers.get('retry-after')).toBeNull();
    expect(body.error.status).toBe('RESOURCE_EXHAUSTED');
    const types = body.error.details.map((detail: { '@type': string }) => detail['@type']);
    expect(types).toEqual([
      'type.googleapis.com/google.rpc.QuotaFailure',
      'type.googleapis.com/google.rpc.Help',
      'type.googleapis.com/google.rpc.RetryInfo',
    ]);
    expect(body.error.details[0].violations[0].quotaId).toMatch(/PerMinute/);
    expect(body.error.details[2].retryDelay).toBe('17s');
  });

  it('429 per day has a per-day quotaId and no RetryInfo unless asked', async () => {
    const { body } = await failWith({ kind: 'status', status: 429, variant: 'per_day' });
    expect(body.error.details[0].violations[0].quotaId).toMatch(/PerDay/);
    expect(body.error.details).toHaveLength(2);
    const quota = await failWith({ kind: 'status', status: 429, variant: 'insufficient_quota' });
    expect(quota.body.error.details[0].violations[0].quotaId).toMatch(/PerDay/);
  });

  it('404 NOT_FOUND names the model', async () => {
    const { status, body } = await failWith({ kind: 'status', status: 404 });
    expect(status).toBe(404);
    expect(body.error.message).toContain('models/gemini-2.0-flash is not found');
  });

  it('overload is 503 UNAVAILABLE', async () => {
    const { status, body } = await failWith({ kind: 'status', status: 529 });
    expect(status).toBe(503);
    expect(body.error.status).toBe('UNAVAILABLE');
  });

  it('a stream that fails before starting says event-stream but sends plain JSON', async () => {
    const { status, headers, body } = await failWith({ kind: 'status', status: 500 }, true);
    expect(status).toBe(500);
    expect(headers.get('content-type')).toBe('text/event-stream');
    expect(body.error.status).toBe('INTERNAL');
  });
});
