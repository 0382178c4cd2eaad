import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTestDatabase, type TestDatabase } from '@llmgw/db/testing';
import type { CallRecord } from '@llmgw/testkit';
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

/** The reset the A keys' 429 states (`retry-after` and `x-ratelimit-reset-requests`). */
const RESET_SEC = 6;

const ledger = createSecretLedger();
let database: TestDatabase | null = null;
let world: ConductorWorld | null = null;
let gateway: Gateway;
const secretOf = new Map<number, string>();
let a1 = '';
let a2 = '';
let b1 = '';

beforeAll(async () => {
  database = await createTestDatabase();
  world = await createConductorWorld(ledger, database.url, { gateway: { max_attempts: 3 } });
  a1 = newSecret(ledger, 'test-ok-');
  a2 = newSecret(ledger, 'test-ok-');
  b1 = newSecret(ledger, 'test-ok-');
  // keys/<provider>/<bucket>.txt: two keys of one organisation (bucket A) and one of another (B).
  mkdirSync(join(world.cwd, 'keys', 'mock'));
  writeFileSync(join(world.cwd, 'keys', 'mock', 'A.txt'), `${a1}\n${a2}\n`);
  writeFileSync(join(world.cwd, 'keys', 'mock', 'B.txt'), `${b1}\n`);
  // The keeper keeps running: its probes must respect the bucket's cooldown as much as the traffic.
  // B answers slowest, so the pool (which prefers fast keys) starts on an A key.
  world.upstream.setBehavior(b1, { kind: 'ok', delayMs: 300 });
  world.startWorker();
  gateway = await world.startGateway();
  for (const [secret, id] of await world.activeKeys([a1, a2, b1])) secretOf.set(id, secret);
  await world.servable(gateway, MODEL);
}, SETUP_TIMEOUT_MS);

afterAll(async () => {
  await world?.close();
  await database?.drop();
});

const ask = (content: string) => ({ model: MODEL, messages: [{ role: 'user' as const, content }] });

describe('llmgw gateway: quota buckets', () => {
  it('a shared-quota 429 from a key of bucket A sends the same request to bucket B, and no A key is called before the stated reset', async () => {
    const w = world as ConductorWorld;
    const buckets = await w.query<{ key: string; bucket: string }>(
      `select k.id::text as key, b.name as bucket from keys k join quota_buckets b on b.id = k.bucket_id`,
    );
    expect(new Map(buckets.map((row) => [secretOf.get(Number(row.key)), row.bucket]))).toEqual(
      new Map([
        [a1, 'A'],
        [a2, 'A'],
        [b1, 'B'],
      ]),
    );
    // OpenAI's org-level 429: "Rate limit reached … in organization org-testkit …", reset stated.
    for (const key of [a1, a2]) {
      w.upstream.setBehavior(key, { kind: 'status', status: 429, retryAfterSec: RESET_SEC });
    }

    // The first request starts on an A key (B is slow); should B have won a lease anyway, the next tries.
    let first429: CallRecord | undefined;
    for (let round = 0; round < 4 && first429 === undefined; round += 1) {
      const before = w.upstream.calls().length;
      const { data, response } = await gateway.client.chat.completions
        .create(ask(`round ${round}`))
        .withResponse();
      expect(data.choices[0]?.message.content).toBe(`ok: round ${round}`);
      const trail = parseTrail(response.headers.get('x-llm-attempt-trail'));
      const keys = trail.map((entry) => secretOf.get(entry.keyId));
      if (keys[0] === b1) {
        expect(keys).toEqual([b1]);
        continue;
      }
      // The same request: one A key said 429, the next attempt went to B — not to the other A key.
      expect(trail.map((entry) => entry.word)).toEqual(['rate_limited', 'ok']);
      expect([a1, a2]).toContain(keys[0]);
      expect(keys[1]).toBe(b1);
      const calls = w.upstream.calls().slice(before);
      expect(calls.map((call) => call.key)).toEqual(keys);
      first429 = calls[0];
    }
    if (first429 === undefined) throw new Error('no request started on an A key');
    const resetAt = first429.at + RESET_SEC * 1000;

    // While A cools, B serves everything, at the first attempt.
    for (let round = 0; round < 5; round += 1) {
      const { response } = await gateway.client.chat.completions
        .create(ask(`cooling ${round}`))
        .withResponse();
      const trail = parseTrail(response.headers.get('x-llm-attempt-trail'));
      expect(trail.map((entry) => secretOf.get(entry.keyId))).toEqual([b1]);
    }

    // One bucket cooldown, audited once; the A keys keep their own state.
    const [bucket] = await w.query<{ until: number; reason: string }>(
      `select (extract(epoch from cooldown_until) * 1000)::float8 as until, cooldown_reason as reason
       from quota_buckets where name = 'A'`,
    );
    expect(bucket?.reason).toBe('rate_limited');
    expect(bucket?.until).toBeGreaterThanOrEqual(resetAt);
    expect(bucket?.until).toBeLessThan(resetAt + 2_000);
    const audit = await w.query<{ subject: string; to_state: string }>(
      `select subject, to_state from state_changes where scope = 'bucket'`,
    );
    expect(audit).toEqual([{ subject: 'mock/A', to_state: 'cooldown' }]);
    const aStates = (await w.triples())
      .filter((row) => [a1, a2].includes(secretOf.get(row.keyId) ?? ''))
      .map((row) => row.state);
    expect(aStates).toEqual(['active', 'active']);

    // The quota comes back at the reset: A keys are called again, and never before it.
    for (const key of [a1, a2]) w.upstream.setBehavior(key, { kind: 'ok' });
    await sleep(Math.max(0, resetAt - Date.now()));
    await eventually(
      async () => {
        await gateway.client.chat.completions.create(ask('after the reset'));
        const again = [...w.upstream.callsFor(a1), ...w.upstream.callsFor(a2)].filter(
          (call) => call.at > (first429?.at ?? 0) && call.status === 200,
        );
        return again.length > 0 ? true : undefined;
      },
      20_000,
      'an A key serving again after the reset',
    );
    const early = [...w.upstream.callsFor(a1), ...w.upstream.callsFor(a2)].filter(
      (call) => call !== first429 && call.at > (first429?.at ?? 0) && call.at < resetAt,
    );
    expect(early).toEqual([]);
    expect(findLeaks(ledger)).toEqual([]);
  }, 90_000);
});
