import { createTestDatabase, type TestDatabase } from '@llmgw/db/testing';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ConductorWorld,
  createConductorWorld,
  type Gateway,
  MODEL,
  parseTrail,
  SETUP_TIMEOUT_MS,
  sleep,
  stopWithin,
} from './conductor-world.js';
import { createSecretLedger, findLeaks, newSecret } from './keeper-world.js';
import { eventually } from './spawn-llmgw.js';

const ledger = createSecretLedger();
let database: TestDatabase | null = null;
let world: ConductorWorld | null = null;
let gateway: Gateway;
/** Key id → secret, for reading trails against the upstream's call log. */
const secretOf = new Map<number, string>();
let limited = '';
let dead = '';
let broken = '';
let good = '';

beforeAll(async () => {
  database = await createTestDatabase();
  // Four attempts: one request may meet every bad key and still reach the good one.
  world = await createConductorWorld(ledger, database.url, { gateway: { max_attempts: 4 } });
  limited = newSecret(ledger, 'test-ok-');
  dead = newSecret(ledger, 'test-ok-');
  broken = newSecret(ledger, 'test-ok-');
  good = newSecret(ledger, 'test-ok-');
  world.writeKeys([limited, dead, broken, good]);
  // The good key is the slowest, so the pool (which prefers fast keys) tries the bad ones first.
  world.upstream.setBehavior(good, { kind: 'ok', delayMs: 400 });
  const worker = world.startWorker();
  gateway = await world.startGateway();
  // Every key probes healthy first; the keeper then leaves, so no probe shows up in the call log.
  for (const [secret, id] of await world.activeKeys([limited, dead, broken, good])) secretOf.set(id, secret);
  expect(await stopWithin(worker, 15_000)).toBe(0);
  await world.servable(gateway, MODEL);
}, SETUP_TIMEOUT_MS);

afterAll(async () => {
  await world?.close();
  await database?.drop();
});

const ask = (content: string) => ({ model: MODEL, messages: [{ role: 'user' as const, content }] });

describe('llmgw gateway: failover by error class', () => {
  it('fails over from 429, 401 and 5xx keys to a good one, never hitting a key twice in a request', async () => {
    const w = world as ConductorWorld;
    w.upstream.setBehavior(limited, { kind: 'status', status: 429, retryAfterSec: 2 });
    w.upstream.setBehavior(dead, { kind: 'status', status: 401 });
    w.upstream.setBehavior(broken, { kind: 'status', status: 500 });
    const expectedWord = new Map([
      [limited, 'rate_limited'],
      [dead, 'invalid_key'],
      [broken, 'server_error'],
      [good, 'ok'],
    ]);

    const met = new Set<string>();
    for (let round = 0; round < 12 && met.size < 3; round += 1) {
      const before = w.upstream.calls().length;
      const { data, response } = await gateway.client.chat.completions
        .create(ask(`round ${round}`))
        .withResponse();
      expect(response.status).toBe(200);
      expect(data.choices[0]?.message.content).toBe(`ok: round ${round}`);

      const trail = parseTrail(response.headers.get('x-llm-attempt-trail'));
      const keys = trail.map((entry) => secretOf.get(entry.keyId));
      expect(response.headers.get('x-llm-attempts')).toBe(String(trail.length));
      expect(trail.map((entry) => entry.word)).toEqual(keys.map((key) => expectedWord.get(key ?? '')));
      expect(keys.at(-1)).toBe(good);
      expect(response.headers.get('x-llm-key-id')).toBe(String(trail.at(-1)?.keyId));
      // No key twice in one request (in particular not the one that said 429), in the header and upstream.
      expect(new Set(keys).size).toBe(keys.length);
      const calls = w.upstream.calls().slice(before);
      expect(calls.map((call) => call.key)).toEqual(keys);
      for (const key of keys) if (key !== good && key !== undefined) met.add(key);
    }
    expect([...met].sort()).toEqual([limited, dead, broken].sort());
    // The 429 key said so once per attempt it got; every other call of this test went elsewhere.
    expect(w.upstream.callsFor(limited).length).toBeGreaterThanOrEqual(1);

    // The verdicts reached the database: the 401 key is dead, the 429 key cooled down (2 s).
    const rows = await eventually(
      async () => {
        const rows = await w.triples();
        const deadRow = rows.find((row) => secretOf.get(row.keyId) === dead);
        return deadRow?.state === 'dead' ? rows : undefined;
      },
      10_000,
      'the 401 key dead in the database',
    );
    const goodRow = rows.find((row) => secretOf.get(row.keyId) === good);
    expect(goodRow?.state).toBe('active');
    const stateChanges = await w.query<{ reason: string }>(
      "select reason from state_changes where scope = 'triple' and reason = 'rate_limited'",
    );
    expect(stateChanges.length).toBeGreaterThanOrEqual(1);
  });

  it('returns an upstream 400 to the client after exactly one upstream call', async () => {
    const w = world as ConductorWorld;
    // Whichever key is leased says the request itself is bad.
    for (const secret of [limited, dead, broken, good])
      w.upstream.setBehavior(secret, { kind: 'status', status: 400 });
    await sleep(2_500); // the 429 key's cooldown is over: every live key is a candidate
    const before = w.upstream.calls().length;
    const error = await gateway.client.chat.completions.create(ask('a bad request')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    const bad = error as InstanceType<typeof OpenAI.BadRequestError>;
    expect(bad.status).toBe(400);
    expect(bad.code).toBe('bad_request');
    expect(bad.headers.get('x-llm-attempts')).toBe('1');
    expect(parseTrail(bad.headers.get('x-llm-attempt-trail')).map((entry) => entry.word)).toEqual([
      'bad_request',
    ]);
    await sleep(300);
    expect(w.upstream.calls().slice(before)).toHaveLength(1);
    // The caller's mistake costs the key nothing.
    const keyId = Number(bad.headers.get('x-llm-key-id'));
    await sleep(1_000);
    const row = (await w.triples()).find((entry) => entry.keyId === keyId);
    expect(row?.state).toBe('active');
  });

  it('answers 503 at once with a summary when every key is dead', async () => {
    const w = world as ConductorWorld;
    for (const secret of [limited, dead, broken, good])
      w.upstream.setBehavior(secret, { kind: 'status', status: 401 });
    // The requests that find out: each live key says 401 once and is dead from then on.
    await eventually(
      async () => {
        const error = await gateway.client.chat.completions.create(ask('anyone?')).catch((e: unknown) => e);
        return error instanceof OpenAI.APIError && error.code === 'no_usable_upstream' ? true : undefined;
      },
      15_000,
      'the pool known to be dead',
    );

    const before = w.upstream.calls().length;
    const startedAt = Date.now();
    const error = await gateway.client.chat.completions.create(ask('still nobody?')).catch((e: unknown) => e);
    const tookMs = Date.now() - startedAt;
    expect(error).toBeInstanceOf(OpenAI.APIError);
    const unavailable = error as InstanceType<typeof OpenAI.APIError>;
    expect(unavailable.status).toBe(503);
    expect(unavailable.code).toBe('no_usable_upstream');
    expect(unavailable.message).toMatch(/dead[^)]*: 4/);
    expect(tookMs, 'a dead pool answers at once').toBeLessThan(1_000);
    expect(unavailable.headers?.get('x-request-id')).toBeTruthy();
    expect(w.upstream.calls().slice(before)).toHaveLength(0);
    for (const row of await w.triples()) expect(row.state).toBe('dead');
  });

  it('never writes a key into any log line', () => {
    expect(ledger.processes.length).toBe(2);
    expect(findLeaks(ledger)).toEqual([]);
  });
});
