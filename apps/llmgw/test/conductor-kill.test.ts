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
  stopWithin,
} from './conductor-world.js';
import { createSecretLedger, findLeaks, newSecret } from './keeper-world.js';
import { eventually } from './spawn-llmgw.js';

const ledger = createSecretLedger();
let database: TestDatabase | null = null;
let world: ConductorWorld | null = null;
let doomed: Gateway;
let survivor: Gateway;
let secret = '';
const CONCURRENCY = 2;
const LEASE_TTL_MS = 3_000;

beforeAll(async () => {
  database = await createTestDatabase();
  world = await createConductorWorld(ledger, database.url, {
    limits: { concurrency: CONCURRENCY },
    gateway: { lease_ttl: '3s' },
    queueMaxWait: '1s',
  });
  secret = newSecret(ledger, 'test-ok-');
  world.writeKeys([secret]);
  const worker = world.startWorker();
  doomed = await world.startGateway();
  survivor = await world.startGateway();
  await world.activeKeys([secret]);
  expect(await stopWithin(worker, 15_000)).toBe(0);
  for (const replica of [doomed, survivor]) await world.servable(replica, MODEL);
}, SETUP_TIMEOUT_MS);

afterAll(async () => {
  await world?.close();
  await database?.drop();
});

const ask = (content: string) => ({ model: MODEL, messages: [{ role: 'user' as const, content }] });

interface Holds {
  inflight: number;
  leases: number;
}

async function holds(w: ConductorWorld): Promise<Holds> {
  const [row] = await w.query<{ inflight: number; leases: number }>(
    'select (select coalesce(sum(inflight), 0)::int from triples) as inflight, (select count(*)::int from leases) as leases',
  );
  return row ?? { inflight: -1, leases: -1 };
}

describe('llmgw gateway: a replica killed with SIGKILL mid-load', () => {
  it('frees its concurrency slots within the lease TTL, so the other replica gets the full concurrency back', async () => {
    const w = world as ConductorWorld;
    // Slow answers: the doomed replica holds every slot of the key when it dies.
    w.upstream.setBehavior(secret, { kind: 'ok', delayMs: 30_000 });
    const pending = Array.from({ length: CONCURRENCY }, (_, n) =>
      doomed.client.chat.completions.create(ask(`doomed ${n}`)).catch((error: unknown) => error),
    );
    await eventually(
      async () => (w.upstream.inFlight() === CONCURRENCY ? true : undefined),
      10_000,
      'the doomed replica holds every slot',
    );
    expect(await holds(w)).toMatchObject({ inflight: CONCURRENCY });
    expect((await holds(w)).leases).toBeGreaterThanOrEqual(1);

    // The limit is global: the other replica finds the key full and, after its short wait, says 429.
    const refused = await survivor.client.chat.completions.create(ask('no room')).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(OpenAI.RateLimitError);
    expect((refused as InstanceType<typeof OpenAI.RateLimitError>).headers.get('retry-after')).toMatch(
      /^\d+$/,
    );
    // Upstream: the probe, and the doomed replica's calls still running; nothing from the survivor.
    expect(w.upstream.calls().map((call) => call.status)).toEqual([200, 0, 0]);

    doomed.process.kill('SIGKILL');
    expect(await doomed.process.exited).toBe(137);
    const killedAt = Date.now();
    for (const result of await Promise.all(pending)) expect(result).toBeInstanceOf(OpenAI.APIConnectionError);

    // Nobody released them: the survivor reclaims the dead holder's rows once they expire.
    await eventually(
      async () => {
        const now = await holds(w);
        return now.inflight === 0 && now.leases === 0 ? true : undefined;
      },
      LEASE_TTL_MS + 10_000,
      'the dead replica’s leases reclaimed',
    );
    const freedAfterMs = Date.now() - killedAt;
    // TTL, plus the reclaim tick (every few seconds), plus polling on a loaded machine.
    expect(freedAfterMs, `freed after ${freedAfterMs} ms`).toBeLessThan(LEASE_TTL_MS + 7_000);

    // The survivor may now run CONCURRENCY requests side by side again.
    w.upstream.setBehavior(secret, { kind: 'ok', delayMs: 1_500 });
    const before = w.upstream.calls().length;
    const answers = await Promise.all(
      Array.from({ length: CONCURRENCY }, (_, n) =>
        survivor.client.chat.completions.create(ask(`again ${n}`)),
      ),
    );
    expect(answers.map((answer) => answer.choices[0]?.message.content).sort()).toEqual(
      Array.from({ length: CONCURRENCY }, (_, n) => `ok: again ${n}`).sort(),
    );
    const calls = w.upstream.calls().slice(before);
    expect(calls).toHaveLength(CONCURRENCY);
    // Side by side: every call started before the first one ended.
    const firstEnd = Math.min(...calls.map((call) => call.at + call.durationMs));
    for (const call of calls) expect(call.at).toBeLessThan(firstEnd);
    await sleep(500);
    expect(await holds(w)).toEqual({ inflight: 0, leases: 0 });
  }, 60_000);

  it('never writes a key into any log line', () => {
    expect(ledger.processes.length).toBe(3);
    expect(findLeaks(ledger)).toEqual([]);
  });
});
