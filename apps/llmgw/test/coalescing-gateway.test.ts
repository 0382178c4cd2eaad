import { createTestDatabase, type TestDatabase } from '@llmgw/db/testing';
import type { Behavior } from '@llmgw/testkit';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ConductorWorld,
  createConductorWorld,
  type Gateway,
  MODEL,
  SETUP_TIMEOUT_MS,
  stopWithin,
} from './conductor-world.js';
import { createSecretLedger, findLeaks, newSecret } from './keeper-world.js';
import { eventually } from './spawn-llmgw.js';

/*
 * In-flight coalescing through a real `llmgw gateway` process (gateway.coalescing.enabled): identical
 * deterministic requests share one upstream call, JSON or stream; clients that leave only leave.
 */

const ledger = createSecretLedger();
let database: TestDatabase | null = null;
let world: ConductorWorld | null = null;
let gateway: Gateway;
const secrets: string[] = [];

const REPLY = Array.from({ length: 30 }, (_, n) => `word${n + 1}`).join(' ');

beforeAll(async () => {
  database = await createTestDatabase();
  world = await createConductorWorld(ledger, database.url, { gateway: { coalescing: '{ enabled: true }' } });
  secrets.push(newSecret(ledger, 'test-ok-'), newSecret(ledger, 'test-ok-'));
  world.writeKeys(secrets);
  const worker = world.startWorker();
  gateway = await world.startGateway();
  await world.activeKeys(secrets);
  expect(await stopWithin(worker, 15_000)).toBe(0);
  await world.servable(gateway, MODEL);
}, SETUP_TIMEOUT_MS);

afterAll(async () => {
  await world?.close();
  await database?.drop();
});

function behave(behavior: Behavior): void {
  for (const secret of secrets) world?.upstream.setBehavior(secret, behavior);
}

/** Chat calls the upstream received from `from` on (the call log index). */
function chatCalls(from: number) {
  return (world as ConductorWorld).upstream
    .calls()
    .slice(from)
    .filter((call) => call.operation === 'chat');
}

const question = (content: string) => ({
  model: MODEL,
  messages: [{ role: 'user' as const, content }],
  temperature: 0,
});

interface StreamOutcome {
  text: string;
  coalesced: string | null;
  aborted: boolean;
}

/** One streamed request; `onChunk` sees each chunk's position, e.g. to abort mid-stream. */
async function streamOnce(
  content: string,
  options: { signal?: AbortSignal; onChunk?: (n: number) => void } = {},
): Promise<StreamOutcome> {
  let text = '';
  let coalesced: string | null = null;
  try {
    const { data, response } = await gateway.client.chat.completions
      .create({ ...question(content), stream: true }, { signal: options.signal })
      .withResponse();
    coalesced = response.headers.get('x-llm-coalesced');
    let n = 0;
    for await (const chunk of data) {
      text += chunk.choices[0]?.delta?.content ?? '';
      options.onChunk?.(n);
      n += 1;
    }
    // The SDK ends the iteration quietly when its signal aborts.
    return { text, coalesced, aborted: options.signal?.aborted ?? false };
  } catch (error) {
    if (error instanceof OpenAI.APIUserAbortError) return { text, coalesced, aborted: true };
    throw error;
  }
}

describe('llmgw gateway: in-flight coalescing', () => {
  it('answers 20 identical concurrent temperature-0 requests with one upstream call', async () => {
    behave({ kind: 'ok', delayMs: 1_500 });
    const before = (world as ConductorWorld).upstream.calls().length;
    const answers = await Promise.all(
      Array.from({ length: 20 }, () =>
        gateway.client.chat.completions.create(question('the same question')).withResponse(),
      ),
    );

    const calls = chatCalls(before);
    console.info(`coalescing: ${calls.length} upstream call(s) for 20 identical requests`);
    expect(calls).toHaveLength(1);
    expect(answers.every(({ response }) => response.status === 200)).toBe(true);
    const bodies = new Set(answers.map(({ data }) => JSON.stringify(data)));
    expect(bodies.size).toBe(1);
    expect(answers[0]?.data.choices[0]?.message.content).toBe('ok: the same question');
    const followers = answers.filter(({ response }) => response.headers.get('x-llm-coalesced') === 'true');
    expect(followers).toHaveLength(19);
    // Each client keeps its own request id.
    expect(new Set(answers.map(({ response }) => response.headers.get('x-request-id'))).size).toBe(20);
  }, 60_000);

  it('does not share answers of requests that are not deterministic', async () => {
    behave({ kind: 'ok', delayMs: 1_000 });
    const before = (world as ConductorWorld).upstream.calls().length;
    await Promise.all(
      Array.from({ length: 3 }, () =>
        gateway.client.chat.completions.create({ ...question('creative'), temperature: 0.7 }),
      ),
    );
    expect(chatCalls(before)).toHaveLength(3);
  }, 60_000);

  it('fans one upstream stream out to every client, late joiners included', async () => {
    behave({ kind: 'ok', reply: REPLY, delayMs: 300, chunkDelayMs: 60 });
    const before = (world as ConductorWorld).upstream.calls().length;
    let joinLate: () => void = () => undefined;
    const lateStarted = new Promise<void>((resolve) => {
      joinLate = resolve;
    });
    const early = Array.from({ length: 5 }, (_, n) =>
      streamOnce('stream me', { onChunk: (chunk) => n === 0 && chunk === 3 && joinLate() }),
    );
    // These arrive once the shared stream is already under way: they get the chunks so far, then live ones.
    const late = lateStarted.then(() =>
      Promise.all(Array.from({ length: 5 }, () => streamOnce('stream me'))),
    );
    const outcomes = [...(await Promise.all(early)), ...(await late)];

    expect(chatCalls(before)).toHaveLength(1);
    expect(outcomes).toHaveLength(10);
    for (const outcome of outcomes) expect(outcome.text).toBe(REPLY);
    expect(outcomes.filter((outcome) => outcome.coalesced === 'true')).toHaveLength(9);
  }, 60_000);

  it('keeps streaming to the others when one client aborts', async () => {
    behave({ kind: 'ok', reply: REPLY, delayMs: 300, chunkDelayMs: 60 });
    const before = (world as ConductorWorld).upstream.calls().length;
    const quitter = new AbortController();
    const outcomes = await Promise.all([
      streamOnce('one leaves', { signal: quitter.signal, onChunk: (n) => n === 3 && quitter.abort() }),
      streamOnce('one leaves'),
      streamOnce('one leaves'),
    ]);

    expect(outcomes[0]?.aborted).toBe(true);
    expect(outcomes.slice(1).map((outcome) => outcome.text)).toEqual([REPLY, REPLY]);
    const calls = chatCalls(before);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.aborted).toBe(false);
    expect(calls[0]?.status).toBe(200);
  }, 60_000);

  it('aborts the upstream stream once every client has left', async () => {
    behave({ kind: 'ok', reply: REPLY, delayMs: 300, chunkDelayMs: 100 });
    const before = (world as ConductorWorld).upstream.calls().length;
    const controllers = Array.from({ length: 3 }, () => new AbortController());
    const outcomes = await Promise.all(
      controllers.map((controller) =>
        streamOnce('all leave', { signal: controller.signal, onChunk: (n) => n === 2 && controller.abort() }),
      ),
    );
    expect(outcomes.every((outcome) => outcome.aborted && outcome.text !== REPLY)).toBe(true);
    const call = await eventually(
      async () => {
        const calls = chatCalls(before);
        return calls.length === 1 && calls[0]?.durationMs !== 0 ? calls[0] : undefined;
      },
      10_000,
      'the shared upstream call ended',
    );
    expect(call.aborted).toBe(true);
  }, 60_000);

  it('aborts the upstream call when every client waiting for a JSON answer leaves', async () => {
    behave({ kind: 'hang' });
    const w = world as ConductorWorld;
    const before = w.upstream.calls().length;
    const controllers = Array.from({ length: 3 }, () => new AbortController());
    const waiting = controllers.map((controller) =>
      gateway.client.chat.completions.create(question('nobody waits'), { signal: controller.signal }).then(
        () => 'answered',
        (error: unknown) => (error instanceof OpenAI.APIUserAbortError ? 'aborted' : error),
      ),
    );
    await eventually(
      async () => (chatCalls(before).length === 1 ? true : undefined),
      10_000,
      'the call started',
    );
    // Two leave: the call goes on for the third.
    controllers[0]?.abort();
    controllers[1]?.abort();
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(chatCalls(before)[0]?.durationMs).toBe(0);
    controllers[2]?.abort();
    expect(await Promise.all(waiting)).toEqual(['aborted', 'aborted', 'aborted']);
    const call = await eventually(
      async () => (chatCalls(before)[0]?.durationMs !== 0 ? chatCalls(before)[0] : undefined),
      10_000,
      'the upstream call ended',
    );
    expect(call.aborted).toBe(true);
    expect(chatCalls(before)).toHaveLength(1);
  }, 60_000);

  it('never writes a key into any log line', () => {
    expect(findLeaks(ledger)).toEqual([]);
  });
});
