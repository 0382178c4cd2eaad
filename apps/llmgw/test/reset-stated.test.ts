import { createTestDatabase, type TestDatabase } from '@llmgw/db/testing';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ConductorWorld,
  createConductorWorld,
  type Gateway,
  MODEL,
  SETUP_TIMEOUT_MS,
  sleep,
} from './conductor-world.js';
import { createSecretLedger, findLeaks, newSecret } from './keeper-world.js';
import { eventually } from './spawn-llmgw.js';

/** How far out the upstream states its reset; short so the test sees it pass. */
const RESET_IN_MS = 3_000;

const ledger = createSecretLedger();
let database: TestDatabase | null = null;
let world: ConductorWorld | null = null;
let gateway: Gateway;
let key = '';

beforeAll(async () => {
  database = await createTestDatabase();
  world = await createConductorWorld(ledger, database.url);
  key = newSecret(ledger, 'test-ok-');
  world.writeKeys([key]);
  // The keeper keeps running: a probe before the reset would be as wrong as a request.
  world.startWorker();
  gateway = await world.startGateway();
  await world.activeKeys([key]);
  await world.servable(gateway, MODEL);
}, SETUP_TIMEOUT_MS);

afterAll(async () => {
  await world?.close();
  await database?.drop();
});

const ask = (content: string) => ({ model: MODEL, messages: [{ role: 'user' as const, content }] });

/** The status a request ends with (the SDK throws on anything but 2xx). */
async function statusOf(content: string): Promise<number> {
  try {
    await gateway.client.chat.completions.create(ask(content));
    return 200;
  } catch (error) {
    if (error instanceof OpenAI.APIError && error.status !== undefined) return error.status;
    throw error;
  }
}

describe('llmgw gateway: reset times stated in error bodies', () => {
  it('does not call a key before the "will reset at" time its 429 body states, and calls it again after', async () => {
    const w = world as ConductorWorld;
    const since = Date.now();
    const resetAt = since + RESET_IN_MS;
    // The keeper's probes that made the key active are in the log too; only what comes now counts.
    const callsNow = () => w.upstream.callsFor(key).filter((call) => call.at >= since);
    // OpenRouter's free-tier 429: the reset only in the body ("… will reset at <ISO>", metadata
    // X-RateLimit-Reset in ms) — no retry-after header. After it, the key answers again.
    w.upstream.setBehavior(key, {
      kind: 'sequence',
      steps: [{ kind: 'status', status: 429, variant: 'will_reset_at', resetAt }],
      rest: { kind: 'ok' },
    });

    // The 429 reaches the client (the pool has no other key), with the reset as Retry-After.
    let retryAfter: string | null | undefined;
    try {
      await gateway.client.chat.completions.create(ask('first'));
    } catch (error) {
      if (!(error instanceof OpenAI.APIError)) throw error;
      expect(error.status).toBe(429);
      retryAfter = error.headers?.get('retry-after');
    }
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    expect(Number(retryAfter)).toBeLessThanOrEqual(Math.ceil(RESET_IN_MS / 1000));
    expect(callsNow()).toHaveLength(1);

    // The verdict is written in the background: the triple rests exactly until the stated time.
    const triple = await eventually(
      async () => {
        const [row] = await w.query<{ state: string; until: number }>(
          `select state, (extract(epoch from cooldown_until) * 1000)::float8 as until from triples`,
        );
        return row?.state === 'no_quota' ? row : undefined;
      },
      5_000,
      'the triple resting in the database',
    );
    expect(triple.until).toBe(resetAt);

    // Until the reset the gateway refuses without calling the upstream.
    while (Date.now() < resetAt - 500) {
      expect(await statusOf('too early')).toBe(503);
      await sleep(200);
    }
    expect(callsNow()).toHaveLength(1);

    // Right after it, the key serves again.
    await sleep(Math.max(0, resetAt - Date.now()) + 50);
    expect(await statusOf('after the reset')).toBe(200);
    const calls = callsNow();
    expect(calls.length).toBeGreaterThanOrEqual(2);
    expect(calls.slice(1).every((call) => call.at >= resetAt)).toBe(true);
    expect(findLeaks(ledger)).toEqual([]);
  }, 60_000);
});
