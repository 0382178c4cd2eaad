import { checkOfflinePackageTexts } from '@llmgw/config';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClientError, RelayResult } from '../contracts.js';
import { createApp } from '../http/app.js';
import {
  captureLog,
  createListPool,
  createScriptedRelay,
  type DatabaseFixture,
  okJson,
  openTestDatabase,
  TEST_TOKEN,
  testConfig,
} from '../http/test-support.js';
import type { GatewayMetrics } from '../metrics/contract.js';
import { createOfflineResponder } from './offline-responder.js';

let fixture: DatabaseFixture;
beforeAll(async () => {
  fixture = await openTestDatabase({ migrate: false });
});
afterAll(async () => fixture.dispose());

const offline = createOfflineResponder(
  checkOfflinePackageTexts([{ file: 'faq.yaml', text: 'answers:\n  - match: ping\n    answer: pong\n' }])
    .packages,
);

function build(relayAnswer: RelayResult, mode: 'auto' | 'offline' = 'auto') {
  const hits: string[] = [];
  const metrics: GatewayMetrics = {
    offlineHit: () => void hits.push('offline'),
    cacheLookup: (result) => void hits.push(`cache:${result}`),
    affinity: () => {},
    coalesced: () => {},
  };
  const relay = createScriptedRelay(() => relayAnswer);
  const app = createApp({
    config: testConfig({ gateway: { mode } }),
    relay,
    pool: createListPool([{ provider: 'openai', model: 'gpt-4o' }]),
    database: fixture.database,
    log: captureLog().log,
    metrics,
    offline,
  });
  const ask = (model = 'gpt-4o') =>
    app.request('/v1/chat/completions', {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model, messages: [{ role: 'user', content: 'ping' }] }),
    });
  return { ask, hits, relay };
}

const failure = (status: number, code: string): RelayResult => ({
  kind: 'error',
  error: { status, message: 'failed', type: 'upstream_error', code } satisfies ClientError,
  headers: { 'x-llm-attempts': '1', 'x-llm-attempt-trail': 'openai:3:server_error' },
});

describe('offline packages on the request path', () => {
  it('stand in after the providers failed (503, 429), counting each hit', async () => {
    for (const result of [failure(503, 'server_error'), failure(429, 'rate_limited')]) {
      const { ask, hits } = build(result);
      const response = await ask();
      expect(response.status).toBe(200);
      expect(response.headers.get('x-llm-actual-provider')).toBe('offline');
      expect(response.headers.get('x-llm-attempt-trail')).toBe('openai:3:server_error');
      expect(
        ((await response.json()) as { choices: { message: { content: string } }[] }).choices[0]?.message
          .content,
      ).toBe('pong');
      expect(hits).toEqual(['offline']);
    }
  });

  it('leave the caller’s own errors, a departed client and successes alone', async () => {
    for (const result of [
      failure(400, 'bad_request'),
      failure(499, 'client_closed_request'),
      okJson({ id: 'x' }),
    ]) {
      const { ask, hits } = build(result);
      const response = await ask();
      expect(response.headers.get('x-llm-actual-provider')).not.toBe('offline');
      expect(hits).toEqual([]);
    }
  });

  it('answer in offline mode for a model no local provider serves, without asking the relay', async () => {
    const { ask, hits, relay } = build(okJson({ id: 'never' }), 'offline');
    const response = await ask('gpt-4o');
    expect(response.status).toBe(200);
    expect(response.headers.get('x-llm-actual-provider')).toBe('offline');
    expect(relay.inputs).toHaveLength(0);
    expect(hits).toEqual(['offline']);
  });
});
