import { createTestUpstream, type TestUpstream } from '@llmgw/testkit';
import { afterEach, describe, expect, test } from 'vitest';
import { sendUpstream, type UpstreamDeps } from './send-upstream.js';
import type { UpstreamTarget } from './target.js';
import { CHAT_MODEL, chatBody, createTarget, createTestDeps, rejectionOf } from './test-targets.js';
import { isUpstreamCallError } from './upstream-call-error.js';

const TTL_MS = 30 * 60_000;

let upstream: TestUpstream;
let deps: ReturnType<typeof createTestDeps>;

afterEach(async () => {
  await deps.http.close();
  await upstream.close();
});

/** A fake upstream and a gateway with clocks of their own, so expiry and clock skew need no waiting. */
async function setup() {
  const clocks = { upstream: Date.now(), gateway: Date.now() };
  upstream = await createTestUpstream({ tokenTtlMs: TTL_MS, now: () => clocks.upstream });
  deps = createTestDeps(() => clocks.gateway);
  const target = createTarget('gigachat', upstream.url);
  const advance = (ms: number, which: 'both' | 'upstream' = 'both') => {
    clocks.upstream += ms;
    if (which === 'both') clocks.gateway += ms;
  };
  return { target, advance };
}

async function chat(callDeps: UpstreamDeps, target: UpstreamTarget, text = 'hi', signal?: AbortSignal) {
  const { response } = await sendUpstream(
    callDeps,
    target,
    (ctx) => target.adapter.buildChatRequest(ctx, chatBody(CHAT_MODEL.gigachat, text)),
    signal ? { signal } : {},
  );
  return target.adapter.parseChatResponse(response.status, response.headers, await response.text());
}

function chatCalls(target: UpstreamTarget) {
  return upstream.callsFor(target.secret).filter((call) => call.operation === 'chat');
}

describe('GigaChat access tokens', () => {
  test('20 concurrent calls with no token make exactly one OAuth call', async () => {
    const { target } = await setup();
    // Half of the callers can abort, half cannot: both kinds must share the one flight.
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        chat(deps, target, `call ${index}`, index % 2 === 0 ? new AbortController().signal : undefined),
      ),
    );
    expect(answers.map((answer) => answer.choices[0]?.message.content)).toEqual(
      Array.from({ length: 20 }, (_, index) => `ok: call ${index}`),
    );
    expect(upstream.oauthCalls()).toBe(1);
    expect(chatCalls(target)).toHaveLength(20);
  });

  test('a cached token is reused until it nears expiry, then refreshed before the upstream refuses it', async () => {
    const { target, advance } = await setup();
    await chat(deps, target);
    advance(TTL_MS / 2);
    await chat(deps, target);
    expect(upstream.oauthCalls()).toBe(1);

    // Inside the refresh-ahead minute: a new token is fetched before the old one is refused.
    advance(TTL_MS / 2 - 30_000);
    await chat(deps, target);
    expect(upstream.oauthCalls()).toBe(2);
    expect(upstream.calls().filter((call) => call.behavior === 'token_rejected')).toHaveLength(0);
    expect(chatCalls(target)).toHaveLength(3);
  });

  test('a token the upstream holds expired (clock skew) is refreshed once and the call retried', async () => {
    const { target, advance } = await setup();
    await chat(deps, target);
    advance(TTL_MS + 1_000, 'upstream');
    const answer = await chat(deps, target, 'after expiry');
    expect(answer.choices[0]?.message.content).toBe('ok: after expiry');
    expect(upstream.oauthCalls()).toBe(2);
    expect(chatCalls(target).map((call) => call.status)).toEqual([200, 401, 200]);
  });

  test('many calls refused with one stale token share a single refresh', async () => {
    const { target, advance } = await setup();
    await chat(deps, target);
    advance(TTL_MS + 1_000, 'upstream');
    await Promise.all(Array.from({ length: 5 }, (_, index) => chat(deps, target, `retry ${index}`)));
    expect(upstream.oauthCalls()).toBe(2);
    expect(chatCalls(target).filter((call) => call.status === 401)).toHaveLength(5);
    expect(chatCalls(target).filter((call) => call.status === 200)).toHaveLength(6);
  });

  test('a 401 on a call (token revoked) causes one refresh and one retry, and the call succeeds', async () => {
    const { target } = await setup();
    upstream.setBehavior(target.secret, {
      kind: 'sequence',
      steps: [{ kind: 'status', status: 401 }],
      rest: { kind: 'ok' },
    });
    const answer = await chat(deps, target, 'revoked');
    expect(answer.choices[0]?.message.content).toBe('ok: revoked');
    expect(upstream.oauthCalls()).toBe(2);
    expect(chatCalls(target).map((call) => call.status)).toEqual([401, 200]);
  });

  test('a second 401 after the refresh is invalid_key, with no third attempt', async () => {
    const { target } = await setup();
    upstream.setBehavior(target.secret, {
      kind: 'sequence',
      steps: [
        { kind: 'status', status: 401 },
        { kind: 'status', status: 401 },
      ],
      rest: { kind: 'ok' },
    });
    const error = await rejectionOf(() => chat(deps, target));
    if (!isUpstreamCallError(error)) throw new Error('expected an UpstreamCallError');
    expect(error.classification).toMatchObject({ reason: 'invalid_key', scope: 'key' });
    expect(error.failure.status).toBe(401);
    expect(upstream.oauthCalls()).toBe(2);
    expect(chatCalls(target)).toHaveLength(2);
    expect(error.message).not.toContain(target.secret);
  });

  test('a refused authorization key is invalid_key from the OAuth call, without any API call', async () => {
    const { target } = await setup();
    upstream.setBehavior(target.secret, { kind: 'status', status: 401 });
    const error = await rejectionOf(() => chat(deps, target));
    if (!isUpstreamCallError(error)) throw new Error('expected an UpstreamCallError');
    expect(error.classification.reason).toBe('invalid_key');
    expect(upstream.oauthCalls()).toBe(1);
    expect(chatCalls(target)).toHaveLength(0);
  });

  test('tokens are per key: two keys make two OAuth calls and each call carries its own key', async () => {
    const { target } = await setup();
    const other = createTarget('gigachat', upstream.url);
    await Promise.all([chat(deps, target), chat(deps, other), chat(deps, target), chat(deps, other)]);
    expect(upstream.oauthCalls()).toBe(2);
    expect(chatCalls(target)).toHaveLength(2);
    expect(chatCalls(other)).toHaveLength(2);
  });
});
