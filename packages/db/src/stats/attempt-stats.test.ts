import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateDatabase } from '../migrate-database.js';
import { type AttemptRow, insertAttempts } from '../pool/insert-attempts.js';
import { keys, providers } from '../schema.js';
import { DRIVER_NAMES, DRIVERS, type DriverFixture } from '../test-drivers.js';
import { attemptRow } from '../test-rows.js';
import { queryAttemptStats } from './attempt-stats.js';

function attempt(partial: Partial<AttemptRow> & Pick<AttemptRow, 'requestId' | 'provider'>): AttemptRow {
  return attemptRow(partial);
}

describe.each(DRIVER_NAMES)('queryAttemptStats on %s', (driver) => {
  let fixture: DriverFixture;
  let key1 = 0;
  let key2 = 0;

  beforeAll(async () => {
    fixture = await DRIVERS[driver]();
    const { database } = fixture;
    await migrateDatabase(database);
    await database.db.insert(providers).values([
      { name: 'a', type: 'openai_like' },
      { name: 'b', type: 'openai_like' },
    ]);
    const inserted = await database.db
      .insert(keys)
      .values(
        [1, 2].map((n) => ({
          provider: 'a',
          fingerprint: `f${n}`,
          secret: `s${n}`,
          mask: `sk-…000${n}`,
          sourceFile: 'a.txt',
          sourceLine: n,
        })),
      )
      .returning({ id: keys.id });
    key1 = inserted[0]?.id ?? 0;
    key2 = inserted[1]?.id ?? 0;
    await insertAttempts(database, [
      // r1: key 1 is rate limited, the request fails over to key 2.
      attempt({
        requestId: 'r1',
        provider: 'a',
        keyId: key1,
        final: false,
        outcome: 'rate_limited',
        latencyMs: 5,
      }),
      attempt({
        requestId: 'r1',
        provider: 'a',
        keyId: key2,
        attemptNo: 2,
        latencyMs: 100,
        promptTokens: 100,
        completionTokens: 10,
        cachedTokens: 40,
      }),
      attempt({
        requestId: 'r2',
        provider: 'a',
        keyId: key2,
        latencyMs: 200,
        promptTokens: 100,
        cachedTokens: 0,
      }),
      attempt({
        requestId: 'r3',
        provider: 'a',
        model: 'm2',
        keyId: key1,
        latencyMs: 300,
        promptTokens: 200,
        completionTokens: 20,
        cachedTokens: 60,
      }),
      attempt({
        requestId: 'r4',
        provider: 'a',
        keyId: key1,
        outcome: 'invalid_key',
        status: 401,
        latencyMs: 10,
      }),
      attempt({ requestId: 'r5', provider: 'b', latencyMs: 1000, promptTokens: 50 }),
      attempt({ requestId: 'r6', provider: 'b', outcome: 'client_abort', status: null, latencyMs: 50 }),
      // Outside the window or not traffic: must not count by default.
      attempt({ requestId: 'old', provider: 'a', latencyMs: 7777, promptTokens: 1000 }),
    ]);
    await database.query(
      `update attempts set created_at = now() - interval '2 hours' where request_id = 'old'`,
    );
    await database.query(
      `insert into attempts (request_id, provider, model, outcome, latency_ms, final, probe)
       values ('probe-1', 'a', 'm1', 'ok', 9999, true, true)`,
    );
  });

  afterAll(async () => {
    await fixture.dispose();
  });

  const lastHour = () => new Date(Date.now() - 3_600_000);

  it('counts requests, failed attempts by reason, fallbacks and tokens over the window', async () => {
    const stats = await queryAttemptStats(fixture.database, { since: lastHour(), by: 'provider' });
    expect(stats.totals).toMatchObject({
      requests: 6,
      attempts: 7,
      failedAttempts: 2,
      failedRequests: 1,
      fallbacks: 1,
      retriedRequests: 1,
      clientAborts: 1,
      errors: { invalid_key: 1, rate_limited: 1 },
      tokens: { prompt: 450, completion: 30, cached: 100 },
    });
    expect(stats.totals.errorRate).toBeCloseTo(2 / 7);
    expect(stats.totals.requestErrorRate).toBeCloseTo(1 / 6);
  });

  it('computes p50/p95 latency over successful attempts with percentile_cont', async () => {
    const stats = await queryAttemptStats(fixture.database, { since: lastHour(), by: 'provider' });
    // ok latencies 100, 200, 300, 1000: p50 = 250; p95 interpolates at rank 2.85 → 300 + 0.85 × 700.
    expect(stats.totals.latencyMs.p50).toBeCloseTo(250);
    expect(stats.totals.latencyMs.p95).toBeCloseTo(895);
    const a = stats.groups.find((group) => group.provider === 'a');
    expect(a?.latencyMs).toEqual({ p50: 200, p95: expect.closeTo(290, 5) });
  });

  it('groups by model and by key, naming keys by id and mask', async () => {
    const byModel = await queryAttemptStats(fixture.database, {
      since: lastHour(),
      by: 'model',
      provider: 'a',
    });
    expect(byModel.groups.map((group) => [group.model, group.requests, group.attempts])).toEqual([
      ['m1', 3, 4],
      ['m2', 1, 1],
    ]);
    const byKey = await queryAttemptStats(fixture.database, { since: lastHour(), by: 'key', provider: 'a' });
    const one = byKey.groups.find((group) => group.keyId === key1);
    expect(one).toMatchObject({
      keyMask: 'sk-…0001',
      attempts: 3,
      failedAttempts: 2,
      fallbacks: 1,
      errors: { invalid_key: 1, rate_limited: 1 },
    });
    expect(byKey.groups.find((group) => group.keyId === key2)).toMatchObject({ requests: 2, fallbacks: 0 });
  });

  it('reports the cached-token share per provider', async () => {
    const stats = await queryAttemptStats(fixture.database, { since: lastHour(), by: 'model' });
    expect(stats.cachedShare).toEqual([
      { provider: 'a', promptTokens: 400, cachedTokens: 100, share: 0.25 },
      { provider: 'b', promptTokens: 50, cachedTokens: 0, share: 0 },
    ]);
  });

  it('leaves out probes unless asked, and attempts before the window', async () => {
    const withProbes = await queryAttemptStats(fixture.database, {
      since: lastHour(),
      by: 'provider',
      includeProbes: true,
    });
    expect(withProbes.totals.attempts).toBe(8);
    const wide = await queryAttemptStats(fixture.database, {
      since: new Date(Date.now() - 3 * 3_600_000),
      by: 'provider',
    });
    expect(wide.totals.requests).toBe(7);
  });

  it('returns zeros and no groups for an empty window', async () => {
    const stats = await queryAttemptStats(fixture.database, {
      since: new Date(Date.now() + 60_000),
      by: 'key',
    });
    expect(stats.groups).toEqual([]);
    expect(stats.cachedShare).toEqual([]);
    expect(stats.totals).toMatchObject({ requests: 0, errorRate: 0, latencyMs: { p50: null, p95: null } });
  });
});
