import { createTestDatabase, type TestDatabase } from '@llmgw/db/testing';
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

const ledger = createSecretLedger();
let database: TestDatabase | null = null;
let world: ConductorWorld | null = null;
const replicas: Gateway[] = [];
const secrets: string[] = [];
const RPM = 5;

beforeAll(async () => {
  database = await createTestDatabase();
  world = await createConductorWorld(ledger, database.url, {
    limits: { rpm: RPM, concurrency: 40 },
    queueMaxWait: '2s',
  });
  secrets.push(newSecret(ledger, `test-rpm${RPM}-`), newSecret(ledger, `test-rpm${RPM}-`));
  world.writeKeys(secrets);
  const worker = world.startWorker();
  replicas.push(await world.startGateway(), await world.startGateway());
  await world.activeKeys(secrets);
  // The keeper leaves once the keys are known good, so only gateway traffic reaches the upstream.
  expect(await stopWithin(worker, 15_000)).toBe(0);
  for (const replica of replicas) await world.servable(replica, MODEL);
}, SETUP_TIMEOUT_MS);

afterAll(async () => {
  await world?.close();
  await database?.drop();
});

interface Outcome {
  replica: number;
  status: number;
  retryAfter: string | null;
  tookMs: number;
}

async function send(gateway: Gateway, replica: number, n: number): Promise<Outcome> {
  const startedAt = Date.now();
  try {
    const { response } = await gateway.client.chat.completions
      .create({ model: MODEL, messages: [{ role: 'user', content: `burst ${n}` }] })
      .withResponse();
    return { replica, status: response.status, retryAfter: null, tookMs: Date.now() - startedAt };
  } catch (error) {
    if (!(error instanceof OpenAI.APIError)) throw error;
    const retryAfter = error.headers?.get('retry-after') ?? null;
    return { replica, status: error.status ?? 0, retryAfter, tookMs: Date.now() - startedAt };
  }
}

describe('two llmgw gateway replicas on one database', () => {
  it('never exceed a key’s RPM together: the excess waits, then gets 429 with Retry-After', async () => {
    const w = world as ConductorWorld;
    // The pool and the fake upstream both count over a sliding minute, so the burst may start at any
    // second (a calendar-minute boundary gives no second allowance).
    // A fresh limiter per key: the probes' calls do not count against the burst upstream (they
    // already count in the pool's own window, which only makes the gateways more careful).
    for (const secret of secrets) w.upstream.setBehavior(secret, { kind: 'rpm', limit: RPM });
    const before = w.upstream.calls().length;
    const burstStart = Date.now();

    const burst = 16;
    const outcomes = await Promise.all(
      Array.from({ length: burst }, (_, n) => send(replicas[n % 2] as Gateway, n % 2, n)),
    );

    expect(w.upstream.violations()).toBe(0);
    const ok = outcomes.filter((outcome) => outcome.status === 200);
    const refused = outcomes.filter((outcome) => outcome.status !== 200);
    expect(ok.length + refused.length).toBe(burst);
    // Both keys' minutes were used, never beyond them. The keeper's probes (one a second until it
    // stopped, more of them on a loaded machine) were charged to the same sliding minute (60-65 s),
    // and one grant may sit in the other replica's block until its 5 s slice ends, after the 2 s wait.
    const probed = secrets.map(
      (secret) =>
        w.upstream.callsFor(secret).filter((call) => call.at >= burstStart - 65_000 && call.at < burstStart)
          .length,
    );
    const left = probed.reduce((sum, probes) => sum + Math.max(0, RPM - probes), 0);
    expect(ok.length).toBeLessThanOrEqual(secrets.length * RPM);
    expect(ok.length).toBeGreaterThanOrEqual(Math.max(1, left - 1));
    for (const outcome of refused) {
      expect(outcome.status).toBe(429);
      expect(Number(outcome.retryAfter)).toBeGreaterThanOrEqual(1);
      // It waited in the queue for a slot (max_wait 2 s) before giving up.
      expect(outcome.tookMs).toBeGreaterThanOrEqual(1_500);
    }
    expect(refused.length).toBeGreaterThan(0);
    // Half the burst went to each replica; the upstream saw exactly the successes.
    expect(outcomes.filter((outcome) => outcome.replica === 1)).toHaveLength(burst / 2);
    const calls = w.upstream.calls().slice(before);
    expect(calls.filter((call) => call.status === 200)).toHaveLength(ok.length);
    expect(calls).toHaveLength(ok.length);
    for (const secret of secrets) expect(w.upstream.callsFor(secret).length).toBeLessThanOrEqual(RPM + 1);

    // The shared windows agree: no triple's minute holds more than its limit.
    const windows = await w.query<{ requests: number }>(
      "select requests from rate_windows where kind = 'minute'",
    );
    for (const window of windows) expect(window.requests).toBeLessThanOrEqual(RPM);
  }, 60_000);

  it('never writes a key into any log line', () => {
    expect(ledger.processes.length).toBe(3);
    expect(findLeaks(ledger)).toEqual([]);
  });
});
