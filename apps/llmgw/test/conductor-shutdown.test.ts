import { createTestDatabase, type TestDatabase } from '@llmgw/db/testing';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ConductorWorld,
  createConductorWorld,
  type Gateway,
  MODEL,
  SETUP_TIMEOUT_MS,
} from './conductor-world.js';
import { createSecretLedger, findLeaks, newSecret } from './keeper-world.js';

const ledger = createSecretLedger();
let database: TestDatabase | null = null;
let world: ConductorWorld | null = null;
let gateway: Gateway;
const secrets: string[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
  world = await createConductorWorld(ledger, database.url);
  secrets.push(newSecret(ledger, 'test-ok-'), newSecret(ledger, 'test-ok-'));
  world.writeKeys(secrets);
  world.startWorker();
  gateway = await world.startGateway();
  await world.activeKeys(secrets);
  await world.servable(gateway, MODEL);
}, SETUP_TIMEOUT_MS);

afterAll(async () => {
  await world?.close();
  await database?.drop();
});

/** Reads an SSE body to its end, resolving with its `data:` payloads in order. */
async function readEvents(response: Response, onFirst: () => void): Promise<string[]> {
  const reader = response.body?.getReader();
  if (!reader) throw new Error('no body');
  const decoder = new TextDecoder();
  let text = '';
  let first = true;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
    if (first && text.includes('data: ')) {
      first = false;
      onFirst();
    }
  }
  return text
    .split('\n\n')
    .map((event) => event.trim())
    .filter((event) => event.startsWith('data: '))
    .map((event) => event.slice('data: '.length));
}

const WORDS = 'one two three four five six seven eight nine ten';

describe('llmgw gateway: SIGTERM with streams in flight', () => {
  it('lets five slow streams finish with [DONE], exits 0 and keeps every attempt record', async () => {
    const w = world as ConductorWorld;
    // ~11 chunks 200 ms apart: each stream lasts about two seconds.
    for (const secret of secrets) w.upstream.setBehavior(secret, { kind: 'ok', chunkDelayMs: 200 });
    let started = 0;
    let allStarted: () => void = () => undefined;
    const streaming = new Promise<void>((resolve) => {
      allStarted = resolve;
    });
    const streams = Array.from({ length: 5 }, async (_, n) => {
      const response = await gateway.client.chat.completions
        .create({ model: MODEL, messages: [{ role: 'user', content: `${n} ${WORDS}` }], stream: true })
        .asResponse();
      const requestId = response.headers.get('x-request-id');
      const events = await readEvents(response, () => {
        started += 1;
        if (started === 5) allStarted();
      });
      return { requestId, events };
    });
    await streaming;

    const termAt = Date.now();
    gateway.process.kill('SIGTERM');
    // Stop accepting: a newcomer is turned away while the five are still being served.
    await gateway.process.waitForLine((line) => line.includes('"msg":"stopping"'), 10_000);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const late = await gateway.client.chat.completions
      .create({ model: MODEL, messages: [{ role: 'user', content: 'too late' }] })
      .catch((error: unknown) => error);
    expect(late).toBeInstanceOf(OpenAI.APIConnectionError);

    const results = await Promise.all(streams);
    for (const [n, { events }] of results.entries()) {
      expect(events.at(-1), `stream ${n}`).toBe('[DONE]');
      const text = events
        .slice(0, -1)
        .map((event) => JSON.parse(event) as { choices: { delta: { content?: string } }[] })
        .map((chunk) => chunk.choices[0]?.delta.content ?? '')
        .join('');
      expect(text).toBe(`ok: ${n} ${WORDS}`);
    }
    const exitCode = await gateway.process.exited;
    expect(exitCode, gateway.process.lines().slice(-20).join('\n')).toBe(0);
    // The streams really were in flight when the signal came: they ended after it.
    expect(
      w.upstream.calls().filter((call) => call.stream && call.at + call.durationMs > termAt),
    ).toHaveLength(5);

    // Flushed on the way out: all five attempts are in the table, none lost with the process.
    const requestIds = results.map((result) => result.requestId);
    const rows = await w.query<{ request_id: string; outcome: string; final: boolean; stream: boolean }>(
      'select request_id, outcome, final, stream from attempts where request_id = any($1) order by request_id',
      [requestIds],
    );
    expect(rows).toHaveLength(5);
    expect(rows.map((row) => row.request_id).sort()).toEqual([...requestIds].sort());
    for (const row of rows) expect(row).toMatchObject({ outcome: 'ok', final: true, stream: true });
    // Leases released on the way out too.
    expect(await w.query('select * from leases')).toEqual([]);
  }, 60_000);

  it('never writes a key into any log line', () => {
    expect(ledger.processes.length).toBe(2);
    expect(findLeaks(ledger)).toEqual([]);
  });
});
