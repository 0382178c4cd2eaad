import { createTestUpstream, type TestUpstream } from '@llmgw/testkit';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { probeTriple } from './probe.js';
import { CHAT_MODEL, createTarget, createTestDeps, type TargetName } from './test-targets.js';

const ALL: TargetName[] = ['openai', 'deepseek', 'openrouter', 'ollama', 'gemini', 'gigachat', 'anthropic'];

let upstream: TestUpstream;
let deps: ReturnType<typeof createTestDeps>;

beforeAll(async () => {
  upstream = await createTestUpstream();
  upstream.setBehavior('', { kind: 'ok' });
  deps = createTestDeps();
});

afterAll(async () => {
  await deps.http.close();
  await upstream.close();
});

describe.each(ALL)('%s probe', (name) => {
  const model = CHAT_MODEL[name];

  test('a working key passes the 1-token chat probe', async () => {
    const target = createTarget(name, upstream.url);
    const mark = upstream.calls().length;
    const result = await probeTriple(deps, target, model);
    expect(result.outcome).toMatchObject({ kind: 'ok' });
    expect(result.status).toBe(200);
    expect(result.latencyMs).toBeGreaterThanOrEqual(0);
    const chats = upstream
      .calls()
      .slice(mark)
      .filter((call) => call.key === target.secret && call.operation === 'chat');
    expect(chats).toMatchObject([{ model, stream: false, status: 200 }]);
  });

  test('the models probe passes for a listed model and costs no chat call', async () => {
    const target = createTarget(name, upstream.url, { settings: { probeMethod: 'models' } });
    const mark = upstream.calls().length;
    const result = await probeTriple(deps, target, model);
    expect(result.outcome).toMatchObject({ kind: 'ok' });
    const calls = upstream
      .calls()
      .slice(mark)
      .filter((call) => call.key === target.secret && call.operation !== 'oauth');
    expect(calls.map((call) => call.operation)).toEqual(['models']);
  });

  test('the models probe marks a model the key does not list as model_unavailable', async () => {
    const target = createTarget(name, upstream.url, { settings: { probeMethod: 'models' } });
    const result = await probeTriple(deps, target, 'no-such-model-anywhere');
    expect(result.outcome).toMatchObject({
      kind: 'failure',
      status: 200,
      classification: { reason: 'model_unavailable', scope: 'triple' },
    });
  });
});

describe('probe outcomes that are not a verdict from the upstream', () => {
  test('an answer cut mid-body is a network_error failure, not a thrown error', async () => {
    const target = createTarget('openai', upstream.url);
    upstream.setBehavior(target.secret, { kind: 'cut_stream', afterChunks: 1 });
    const result = await probeTriple(deps, target, CHAT_MODEL.openai);
    expect(result.outcome).toMatchObject({ kind: 'failure', classification: { reason: 'network_error' } });
  });

  test('a probe the caller aborts is a client abort, not a failure of the triple', async () => {
    const target = createTarget('anthropic', upstream.url);
    upstream.setBehavior(target.secret, { kind: 'hang' });
    const result = await probeTriple(deps, target, CHAT_MODEL.anthropic, AbortSignal.timeout(50));
    expect(result.outcome).toEqual({ kind: 'client_abort' });
  });

  test('a probe that gets no first byte in time is a timeout', async () => {
    const target = createTarget('gemini', upstream.url, { timeouts: { firstByteTimeoutMs: 300 } });
    upstream.setBehavior(target.secret, { kind: 'hang' });
    const result = await probeTriple(deps, target, CHAT_MODEL.gemini);
    expect(result.outcome).toMatchObject({ kind: 'failure', classification: { reason: 'timeout' } });
    expect(result.status).toBeUndefined();
  });
});
