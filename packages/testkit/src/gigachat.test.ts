import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestUpstream, type TestUpstream } from './server.js';
import {
  type ChatCompletion,
  chat,
  type EmbeddingList,
  type ModelList,
  parseSse,
  postJson,
  readJson,
} from './test-support.js';

interface OAuthToken {
  access_token: string;
  expires_at: number;
}

let upstream: TestUpstream;
let clock = 1_000_000;
const TTL = 30 * 60_000;

beforeAll(async () => {
  upstream = await createTestUpstream({ now: () => clock, tokenTtlMs: TTL });
});
afterAll(() => upstream.close());
beforeEach(() => {
  upstream.reset();
  clock = 1_000_000;
});

function oauth(
  authKey: string | undefined,
  options: { rqUid?: string; scope?: string } = {},
): Promise<Response> {
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
    accept: 'application/json',
    rquid: options.rqUid ?? randomUUID(),
  };
  if (authKey !== undefined) headers.authorization = `Basic ${authKey}`;
  return fetch(`${upstream.url}/api/v2/oauth`, {
    method: 'POST',
    headers,
    body: `scope=${options.scope ?? 'GIGACHAT_API_PERS'}`,
  });
}

async function tokenFor(authKey: string): Promise<string> {
  const body = await readJson<OAuthToken>(await oauth(authKey));
  return body.access_token;
}

describe('GigaChat OAuth', () => {
  it('issues an access token with expires_at in milliseconds and counts the call', async () => {
    const answer = await oauth('Z2lnYTpzZWNyZXQ=');
    expect(answer.status).toBe(200);
    const body = await readJson<OAuthToken>(answer);
    expect(typeof body.access_token).toBe('string');
    expect(body.expires_at).toBe(clock + TTL);
    expect(upstream.oauthCalls()).toBe(1);
    expect(upstream.calls()[0]).toMatchObject({
      provider: 'gigachat',
      operation: 'oauth',
      key: 'Z2lnYTpzZWNyZXQ=',
    });
  });

  it('refuses a missing or non-uuid4 RqUID with 400', async () => {
    expect((await oauth('k', { rqUid: 'not-a-uuid' })).status).toBe(400);
  });

  it('refuses an empty or unknown scope with the numbered codes', async () => {
    expect(await (await oauth('k', { scope: '' })).json()).toEqual({ code: 5, message: 'scope is empty' });
    expect(await (await oauth('k', { scope: 'NOPE' })).json()).toEqual({
      code: 1,
      message: 'scope data format invalid',
    });
  });

  it('leaves pacing behaviours to API calls: a sequence is not spent on the token request', async () => {
    upstream.setBehavior('seq-key', {
      kind: 'sequence',
      steps: [{ kind: 'status', status: 429 }],
      rest: { kind: 'ok' },
    });
    const token = await tokenFor('seq-key');
    const headers = { authorization: `Bearer ${token}` };
    expect((await postJson(`${upstream.url}/api/v1/chat/completions`, chat('x'), headers)).status).toBe(429);
    expect((await postJson(`${upstream.url}/api/v1/chat/completions`, chat('x'), headers)).status).toBe(200);
  });

  it('fails OAuth with the service when the key says 5xx', async () => {
    upstream.setBehavior('down', { kind: 'status', status: 503 });
    expect((await oauth('down')).status).toBe(503);
  });

  it('refuses a missing Basic header with code 4 and bad credentials with code 6', async () => {
    const missing = await oauth(undefined);
    expect(missing.status).toBe(401);
    expect((await readJson<{ code: number }>(missing)).code).toBe(4);
    upstream.setBehavior('revoked', { kind: 'status', status: 401 });
    const revoked = await oauth('revoked');
    expect(revoked.status).toBe(401);
    expect(await revoked.json()).toEqual({ code: 6, message: "credentials doesn't match db data" });
    expect(upstream.oauthCalls()).toBe(2);
  });
});

describe('GigaChat API', () => {
  const url = () => `${upstream.url}/api/v1/chat/completions`;

  it('answers chat without an id, with a build suffix on the model, traced to the auth key', async () => {
    const token = await tokenFor('auth-key-1');
    const answer = await postJson(url(), chat('привет', { model: 'GigaChat' }), {
      authorization: `Bearer ${token}`,
    });
    expect(answer.status).toBe(200);
    const body = await readJson<ChatCompletion>(answer);
    expect(body.id).toBeUndefined();
    expect(body).toMatchObject({
      object: 'chat.completion',
      model: 'GigaChat:2.0.28.2',
      choices: [{ message: { role: 'assistant', content: 'ok: привет' }, finish_reason: 'stop' }],
    });
    expect(body.usage.precached_prompt_tokens).toBe(0);
    expect(upstream.callsFor('auth-key-1').map((call) => call.operation)).toEqual(['oauth', 'chat']);
    expect(upstream.calls()[1]?.provider).toBe('gigachat');
  });

  it('streams chat.completion objects with usage on the last chunk, then [DONE]', async () => {
    const token = await tokenFor('auth-key-1');
    const answer = await postJson(url(), chat('раз два', { model: 'GigaChat', stream: true }), {
      authorization: `Bearer ${token}`,
    });
    const events = parseSse(await answer.text());
    expect(events.at(-1)?.data).toBe('[DONE]');
    const chunks = events.slice(0, -1).map((event) => JSON.parse(event.data));
    expect(chunks.every((chunk) => chunk.object === 'chat.completion' && chunk.id === undefined)).toBe(true);
    expect(chunks[0].choices[0].delta.role).toBe('assistant');
    expect(chunks.at(-1)).toMatchObject({ choices: [{ delta: { content: '' }, finish_reason: 'stop' }] });
    expect(chunks.at(-1).usage.total_tokens).toBeGreaterThan(0);
  });

  it('lists models with types and embeds with per-item usage', async () => {
    const token = await tokenFor('auth-key-1');
    const headers = { authorization: `Bearer ${token}` };
    const models = await readJson<ModelList>(await fetch(`${upstream.url}/api/v1/models`, { headers }));
    expect(models.data).toContainEqual({
      id: 'Embeddings',
      object: 'model',
      owned_by: 'salutedevices',
      type: 'embedder',
    });
    const embeddings = await readJson<EmbeddingList>(
      await postJson(`${upstream.url}/api/v1/embeddings`, { model: 'Embeddings', input: ['text'] }, headers),
    );
    expect(embeddings.usage).toBeUndefined();
    expect(embeddings.data[0]?.usage?.prompt_tokens).toBeGreaterThan(0);
  });

  it('says "Token has expired" once the token outlives its ttl', async () => {
    const token = await tokenFor('auth-key-1');
    clock += TTL + 1;
    const answer = await postJson(url(), chat('x', { model: 'GigaChat' }), {
      authorization: `Bearer ${token}`,
    });
    expect(answer.status).toBe(401);
    expect(await answer.json()).toEqual({ status: 401, message: 'Token has expired' });
    expect(upstream.calls().at(-1)?.key).toBe('auth-key-1');
  });

  it('refuses a token it never issued', async () => {
    const answer = await postJson(url(), chat('x'), { authorization: 'Bearer gigachat-forged' });
    expect(answer.status).toBe(401);
  });

  it('fails in the flat {status, message} shape; quota is 402', async () => {
    const token = await tokenFor('auth-key-2');
    const headers = { authorization: `Bearer ${token}` };
    upstream.setBehavior('auth-key-2', { kind: 'status', status: 404 });
    const missing = await postJson(url(), chat('x', { model: 'GigaChat-9' }), headers);
    expect(await missing.json()).toEqual({ status: 404, message: 'No such model' });
    upstream.setBehavior('auth-key-2', { kind: 'status', status: 429, variant: 'insufficient_quota' });
    const quota = await postJson(url(), chat('x'), headers);
    expect(quota.status).toBe(402);
    upstream.setBehavior('auth-key-2', { kind: 'status', status: 429, retryAfterSec: 4 });
    const limited = await postJson(url(), chat('x'), headers);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('4');
    expect(await limited.json()).toEqual({ status: 429, message: 'Too Many Requests' });
  });
});
