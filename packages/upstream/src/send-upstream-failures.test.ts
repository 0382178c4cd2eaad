import { createServer } from 'node:net';
import { inspect } from 'node:util';
import type { Classification, FailureReason } from '@llmgw/core';
import { isClientAbort } from '@llmgw/http';
import { type Behavior, createTestUpstream, type TestUpstream } from '@llmgw/testkit';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { probeTriple } from './probe.js';
import { sendUpstream } from './send-upstream.js';
import type { UpstreamTarget } from './target.js';
import {
  CHAT_MODEL,
  chatBody,
  createTarget,
  createTestDeps,
  rejectionOf,
  type TargetName,
  type TargetOptions,
} from './test-targets.js';
import { isUpstreamCallError, type UpstreamCallError } from './upstream-call-error.js';

let upstream: TestUpstream;
let deps: ReturnType<typeof createTestDeps>;
/** A loopback port nothing listens on. */
let closedPort: number;

beforeAll(async () => {
  upstream = await createTestUpstream();
  deps = createTestDeps();
  closedPort = await freePort();
});

afterAll(async () => {
  await deps.http.close();
  await upstream.close();
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** A chat call expected to fail; returns the classified error after checking it leaks no secret. */
async function failingChat(target: UpstreamTarget): Promise<UpstreamCallError> {
  const error = await rejectionOf(() =>
    sendUpstream(deps, target, (ctx) =>
      target.adapter.buildChatRequest(ctx, chatBody(CHAT_MODEL[nameOf(target)], 'hello')),
    ),
  );
  if (!isUpstreamCallError(error)) throw new Error(`expected an UpstreamCallError, got ${inspect(error)}`);
  expectNoSecret(error, target.secret);
  return error;
}

function nameOf(target: UpstreamTarget): TargetName {
  return target.settings.name as TargetName;
}

/** The key must not reach the error's message, its classification or anything `inspect` would log. */
function expectNoSecret(error: UpstreamCallError, secret: string): void {
  expect(secret.length).toBeGreaterThan(16);
  expect(error.message).not.toContain(secret);
  expect(error.classification.message).not.toContain(secret);
  expect(inspect(error, { depth: 10 })).not.toContain(secret);
  expect(JSON.stringify(error.failure)).not.toContain(secret);
}

interface FailureCase {
  target: TargetName;
  label: string;
  behavior: Behavior;
  reason: FailureReason;
  status?: number;
  expect?: Partial<Classification>;
}

const RETRY_2S: Partial<Classification> = { retryAfterMs: 2_000 };

const CASES: FailureCase[] = [
  // OpenAI and its compatibles
  {
    target: 'openai',
    label: '401 invalid key',
    behavior: { kind: 'status', status: 401 },
    reason: 'invalid_key',
    status: 401,
  },
  {
    target: 'openai',
    label: '429 with retry-after',
    behavior: { kind: 'status', status: 429, retryAfterSec: 2 },
    reason: 'rate_limited',
    status: 429,
    expect: RETRY_2S,
  },
  {
    target: 'openai',
    label: '429 insufficient_quota',
    behavior: { kind: 'status', status: 429, variant: 'insufficient_quota' },
    reason: 'no_quota',
    status: 429,
  },
  {
    target: 'openai',
    label: '404 model not found',
    behavior: { kind: 'status', status: 404 },
    reason: 'model_unavailable',
    status: 404,
  },
  {
    target: 'openai',
    label: '500',
    behavior: { kind: 'status', status: 500 },
    reason: 'server_error',
    status: 500,
  },
  {
    target: 'openai',
    label: '503',
    behavior: { kind: 'status', status: 503 },
    reason: 'server_error',
    status: 503,
  },
  {
    target: 'openai',
    label: '529 overloaded',
    behavior: { kind: 'status', status: 529 },
    reason: 'rate_limited',
    status: 529,
  },
  {
    target: 'openai',
    label: '400 context length',
    behavior: { kind: 'status', status: 400, variant: 'context_length' },
    reason: 'bad_request',
    status: 400,
  },
  {
    target: 'deepseek',
    label: '402 insufficient balance',
    behavior: { kind: 'status', status: 402 },
    reason: 'no_quota',
    status: 402,
  },
  {
    target: 'openrouter',
    label: '402 no credits',
    behavior: { kind: 'status', status: 402, variant: 'openrouter' },
    reason: 'no_quota',
    status: 402,
  },
  {
    target: 'openrouter',
    label: '429 free-models-per-day with a reset time',
    behavior: { kind: 'status', status: 429, variant: 'will_reset_at', resetAt: Date.UTC(2031, 0, 2) },
    reason: 'no_quota',
    status: 429,
    expect: { window: 'day', until: Date.UTC(2031, 0, 2) },
  },
  // Gemini
  {
    target: 'gemini',
    label: 'API_KEY_INVALID',
    behavior: { kind: 'status', status: 401 },
    reason: 'invalid_key',
    status: 400,
  },
  {
    target: 'gemini',
    label: '429 per minute with RetryInfo',
    behavior: { kind: 'status', status: 429, retryAfterSec: 2 },
    reason: 'rate_limited',
    status: 429,
    expect: { ...RETRY_2S, window: 'minute' },
  },
  {
    target: 'gemini',
    label: '429 per day',
    behavior: { kind: 'status', status: 429, variant: 'per_day' },
    reason: 'no_quota',
    status: 429,
    expect: { window: 'day' },
  },
  {
    target: 'gemini',
    label: '404 model not found',
    behavior: { kind: 'status', status: 404 },
    reason: 'model_unavailable',
    status: 404,
  },
  {
    target: 'gemini',
    label: '500',
    behavior: { kind: 'status', status: 500 },
    reason: 'server_error',
    status: 500,
  },
  // Gemini says "overloaded" with a 503 UNAVAILABLE, which is a server error like any 5xx.
  {
    target: 'gemini',
    label: 'overloaded (503)',
    behavior: { kind: 'status', status: 529 },
    reason: 'server_error',
    status: 503,
  },
  // GigaChat: an invalid authorization key is refused by the OAuth call already.
  {
    target: 'gigachat',
    label: 'OAuth 401 code 6',
    behavior: { kind: 'status', status: 401 },
    reason: 'invalid_key',
    status: 401,
  },
  {
    target: 'gigachat',
    label: '429 with retry-after',
    behavior: { kind: 'status', status: 429, retryAfterSec: 2 },
    reason: 'rate_limited',
    status: 429,
    expect: RETRY_2S,
  },
  {
    target: 'gigachat',
    label: '402',
    behavior: { kind: 'status', status: 402 },
    reason: 'no_quota',
    status: 402,
  },
  {
    target: 'gigachat',
    label: 'quota exhausted (402)',
    behavior: { kind: 'status', status: 429, variant: 'insufficient_quota' },
    reason: 'no_quota',
    status: 402,
  },
  {
    target: 'gigachat',
    label: '404 no such model',
    behavior: { kind: 'status', status: 404 },
    reason: 'model_unavailable',
    status: 404,
  },
  {
    target: 'gigachat',
    label: '500',
    behavior: { kind: 'status', status: 500 },
    reason: 'server_error',
    status: 500,
  },
  // Anthropic
  {
    target: 'anthropic',
    label: '401 authentication_error',
    behavior: { kind: 'status', status: 401 },
    reason: 'invalid_key',
    status: 401,
  },
  {
    target: 'anthropic',
    label: '429 with retry-after',
    behavior: { kind: 'status', status: 429, retryAfterSec: 2 },
    reason: 'rate_limited',
    status: 429,
    expect: RETRY_2S,
  },
  {
    target: 'anthropic',
    label: 'billing_error (402)',
    behavior: { kind: 'status', status: 429, variant: 'insufficient_quota' },
    reason: 'no_quota',
    status: 402,
  },
  {
    target: 'anthropic',
    label: '404 not_found_error',
    behavior: { kind: 'status', status: 404 },
    reason: 'model_unavailable',
    status: 404,
  },
  {
    target: 'anthropic',
    label: '500 api_error',
    behavior: { kind: 'status', status: 500 },
    reason: 'server_error',
    status: 500,
  },
  {
    target: 'anthropic',
    label: '529 overloaded_error',
    behavior: { kind: 'status', status: 529, retryAfterSec: 2 },
    reason: 'rate_limited',
    status: 529,
    expect: RETRY_2S,
  },
];

describe('an upstream error is classified into one reason', () => {
  test.each(
    CASES.map((failure) => [`${failure.target}: ${failure.label} → ${failure.reason}`, failure] as const),
  )('%s', async (_title, failure) => {
    const target = createTarget(failure.target, upstream.url);
    upstream.setBehavior(target.secret, failure.behavior);
    const error = await failingChat(target);
    expect(error.classification.reason).toBe(failure.reason);
    expect(error.reason).toBe(failure.reason);
    expect(error.failure.status).toBe(failure.status);
    if (failure.expect) expect(error.classification).toMatchObject(failure.expect);
    if (failure.expect?.window === 'day' && failure.target === 'gemini') {
      // Per-day quotas come back at midnight Pacific, not after the RetryInfo poll interval.
      expect(error.classification.until).toBeGreaterThan(Date.now());
    }

    // A probe of the same key reaches the same verdict: probes and traffic share one classifier.
    const probe = await probeTriple(deps, target, CHAT_MODEL[failure.target]);
    expect(probe.outcome).toMatchObject({ kind: 'failure', classification: { reason: failure.reason } });
    expect(probe.status).toBe(failure.status);
  });
});

const NATIVE: TargetName[] = ['openai', 'gemini', 'gigachat', 'anthropic'];

describe.concurrent('failures below HTTP', () => {
  const hung = (name: TargetName, options: TargetOptions = {}) => {
    const target = createTarget(name, upstream.url, { timeouts: { firstByteTimeoutMs: 300 }, ...options });
    upstream.setBehavior(target.secret, { kind: 'hang' });
    return target;
  };

  test.each(NATIVE)('%s: an upstream that never answers is a timeout', async (name) => {
    const started = Date.now();
    const error = await failingChat(hung(name));
    expect(error.classification.reason).toBe('timeout');
    expect(error.failure).toMatchObject({ transport: 'timeout', code: 'UND_ERR_HEADERS_TIMEOUT' });
    // undici's timers tick once a second: 300 ms fire after about one.
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  test('gigachat: an API call that never answers after a good OAuth call is a timeout', async () => {
    const target = createTarget('gigachat', upstream.url, { timeouts: { firstByteTimeoutMs: 300 } });
    // OAuth answers every well-formed request of a key in a sequence; the chat call then hangs.
    upstream.setBehavior(target.secret, { kind: 'sequence', steps: [{ kind: 'hang' }] });
    const error = await failingChat(target);
    expect(error.classification.reason).toBe('timeout');
    expect(upstream.oauthCalls()).toBeGreaterThan(0);
  });

  test.each(NATIVE)('%s: a refused port is a network_error', async (name) => {
    const error = await failingChat(createTarget(name, `http://127.0.0.1:${closedPort}`));
    expect(error.classification.reason).toBe('network_error');
    expect(error.failure).toMatchObject({ transport: 'network_error', code: 'ECONNREFUSED' });
  });

  test.each(NATIVE)('%s: a dead proxy is a proxy_error, blamed on the proxy', async (name) => {
    const target = createTarget(name, upstream.url, {
      route: { kind: 'proxy', url: `http://user:pass@127.0.0.1:${closedPort}` },
    });
    const error = await failingChat(target);
    expect(error.classification).toMatchObject({ reason: 'proxy_error', scope: 'proxy' });
    expect(error.message).not.toContain('pass');
    expect(upstream.callsFor(target.secret)).toHaveLength(0);
  });

  test('an abort while waiting for the first byte is a client abort, not an UpstreamCallError', async () => {
    const target = hung('openai', { timeouts: { firstByteTimeoutMs: 5_000 } });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const error = await rejectionOf(() =>
      sendUpstream(
        deps,
        target,
        (ctx) => target.adapter.buildChatRequest(ctx, chatBody('gpt-4o-mini', 'never')),
        { signal: controller.signal },
      ),
    );
    expect(isClientAbort(error)).toBe(true);
    expect(isUpstreamCallError(error)).toBe(false);
  });
});
