import { createTestDatabase, type TestDatabase } from '@llmgw/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ConductorWorld,
  createConductorWorld,
  type Gateway,
  MODEL,
  parseTrail,
  SETUP_TIMEOUT_MS,
  sleep,
} from './conductor-world.js';
import { createSecretLedger, findLeaks, newSecret } from './keeper-world.js';
import { eventually } from './spawn-llmgw.js';

const ledger = createSecretLedger();
let database: TestDatabase | null = null;
let world: ConductorWorld | null = null;
let gateway: Gateway;
let keyIds: Map<string, number>;
const secrets: string[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
  world = await createConductorWorld(ledger, database.url);
  secrets.push(newSecret(ledger, 'test-ok-'), newSecret(ledger, 'test-ok-'));
  world.writeKeys(secrets);
  world.startWorker();
  gateway = await world.startGateway();
  keyIds = await world.activeKeys(secrets);
  await world.servable(gateway, MODEL);
  // The probes are done: from here on every upstream call is a request of these tests.
}, SETUP_TIMEOUT_MS);

afterAll(async () => {
  await world?.close();
  await database?.drop();
});

const REQUEST_ID = /^[\w-]{8,}$/;

function expectSpecHeaders(headers: Headers): void {
  expect(headers.get('x-request-id')).toMatch(REQUEST_ID);
  expect(headers.get('x-llm-actual-provider')).toBe('mock');
  expect(headers.get('x-llm-actual-model')).toBe(MODEL);
  const keyId = Number(headers.get('x-llm-key-id'));
  expect([...keyIds.values()]).toContain(keyId);
  expect(headers.get('x-llm-attempts')).toBe('1');
  expect(parseTrail(headers.get('x-llm-attempt-trail'))).toEqual([{ provider: 'mock', keyId, word: 'ok' }]);
}

describe('llmgw gateway through the official openai SDK', () => {
  it('answers a chat completion with every SPEC header', async () => {
    const w = world as ConductorWorld;
    const before = w.upstream.calls().length;
    const { data, response } = await gateway.client.chat.completions
      .create({ model: MODEL, messages: [{ role: 'user', content: 'hello there' }] })
      .withResponse();
    expect(response.status).toBe(200);
    expect(data.choices[0]?.message.content).toBe('ok: hello there');
    expect(data.usage?.total_tokens).toBeGreaterThan(0);
    expectSpecHeaders(response.headers);

    const calls = w.upstream.calls().slice(before);
    expect(calls).toHaveLength(1);
    const served = [...keyIds].find(([, id]) => id === Number(response.headers.get('x-llm-key-id')));
    expect(calls[0]?.key).toBe(served?.[0]);
    expect(calls[0]?.stream).toBe(false);
  });

  it('streams a chat completion chunk by chunk with every SPEC header', async () => {
    const w = world as ConductorWorld;
    const before = w.upstream.calls().length;
    const { data: stream, response } = await gateway.client.chat.completions
      .create({
        model: MODEL,
        messages: [{ role: 'user', content: 'one two three four' }],
        stream: true,
        stream_options: { include_usage: true },
      })
      .withResponse();
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    expectSpecHeaders(response.headers);

    let text = '';
    let chunks = 0;
    let usageTokens = 0;
    for await (const chunk of stream) {
      chunks += 1;
      text += chunk.choices[0]?.delta.content ?? '';
      usageTokens = chunk.usage?.total_tokens ?? usageTokens;
    }
    expect(text).toBe('ok: one two three four');
    expect(chunks).toBeGreaterThan(3);
    expect(usageTokens).toBeGreaterThan(0);
    const calls = w.upstream.calls().slice(before);
    expect(calls.map((call) => call.stream)).toEqual([true]);

    // Both requests are in the attempts table, each as its one final attempt.
    const rows = await eventually(
      async () => {
        const rows = await w.query<{ stream: boolean; outcome: string; final: boolean }>(
          'select stream, outcome, final from attempts where request_id = $1',
          [response.headers.get('x-request-id')],
        );
        return rows.length > 0 ? rows : undefined;
      },
      15_000,
      'the stream attempt recorded',
    );
    expect(rows).toEqual([{ stream: true, outcome: 'ok', final: true }]);
  });

  it('aborts the upstream call when the client leaves mid-stream, without penalising the key', async () => {
    const w = world as ConductorWorld;
    // Both keys stream slowly: whichever is leased, the client can leave long before the end.
    for (const secret of secrets) w.upstream.setBehavior(secret, { kind: 'ok', chunkDelayMs: 300 });
    const before = w.upstream.calls().length;
    const controller = new AbortController();
    const { data: stream, response } = await gateway.client.chat.completions
      .create(
        {
          model: MODEL,
          messages: [{ role: 'user', content: 'a long answer of many many words to stream slowly' }],
          stream: true,
        },
        { signal: controller.signal },
      )
      .withResponse();
    const keyId = Number(response.headers.get('x-llm-key-id'));
    const requestId = response.headers.get('x-request-id');
    let received = 0;
    // The SDK ends the iteration quietly when its own signal aborts it.
    for await (const _chunk of stream) {
      received += 1;
      if (received === 1) controller.abort();
    }
    const abortedAt = Date.now();
    expect(received, 'the client left after its first chunk(s)').toBeLessThan(4);

    const call = await eventually(
      async () => {
        const call = w.upstream.calls().slice(before)[0];
        return call?.aborted ? call : undefined;
      },
      10_000,
      'the upstream sees the client gone',
    );
    expect(Date.now() - abortedAt, 'upstream aborted within 2 s').toBeLessThan(2_000);
    expect(call.aborted).toBe(true);
    expect(w.upstream.calls().slice(before)).toHaveLength(1);
    await eventually(
      async () => (w.upstream.inFlight() === 0 ? true : undefined),
      5_000,
      'no call in flight',
    );

    // Recorded as client_abort, and the key is not penalised: its triple stays active.
    const rows = await eventually(
      async () => {
        const rows = await w.query<{ outcome: string; key_id: string }>(
          'select outcome, key_id::text from attempts where request_id = $1',
          [requestId],
        );
        return rows.length > 0 ? rows : undefined;
      },
      15_000,
      'the aborted attempt recorded',
    );
    expect(rows).toEqual([{ outcome: 'client_abort', key_id: String(keyId) }]);
    await sleep(1_500); // a penalty would have been written with the attempt; give it time to show
    const triple = (await w.triples()).find((row) => row.keyId === keyId);
    expect(triple?.state).toBe('active');
    expect(triple?.reason).toBeNull();

    // The lease went back too: the next request is served at once.
    for (const secret of secrets) w.upstream.clearBehavior(secret);
    const next = await gateway.client.chat.completions.create({
      model: MODEL,
      messages: [{ role: 'user', content: 'still there?' }],
    });
    expect(next.choices[0]?.message.content).toBe('ok: still there?');
  });

  it('ends a stream that breaks after the first byte with an error event and [DONE]', async () => {
    const w = world as ConductorWorld;
    for (const secret of secrets) w.upstream.setBehavior(secret, { kind: 'cut_stream', afterChunks: 2 });
    try {
      const response = await fetch(`${gateway.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          model: MODEL,
          messages: [{ role: 'user', content: 'one two three four five six seven' }],
          stream: true,
        }),
      });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/event-stream');
      expect(response.headers.get('x-llm-attempts')).toBe('1');
      const events = (await response.text()).split('\n\n').filter(Boolean);
      // The chunks sent before the break reached the client, then an explicit error, then the end.
      expect(events.at(-1)).toBe('data: [DONE]');
      const error = JSON.parse(events.at(-2)?.replace(/^data: /, '') ?? '{}').error;
      expect(error).toMatchObject({ type: 'upstream_error' });
      expect(error.message).toMatch(/^upstream stream failed/);
      const chunks = events.slice(0, -2).map((event) => JSON.parse(event.replace(/^data: /, '')));
      expect(chunks.length).toBeGreaterThanOrEqual(2);
      for (const chunk of chunks) expect(chunk.object).toBe('chat.completion.chunk');
    } finally {
      for (const secret of secrets) w.upstream.clearBehavior(secret);
    }
  });

  it('never writes a key into any log line', () => {
    expect(ledger.processes.length).toBe(2);
    expect(ledger.processes.every((process) => process.lines().length > 0)).toBe(true);
    expect(findLeaks(ledger)).toEqual([]);
  });
});
