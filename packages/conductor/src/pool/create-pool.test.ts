import { leases, stateChanges, triples } from '@llmgw/db/schema';
import { eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createPoolFixture,
  type DatabaseKind,
  expectLease,
  expectRefusal,
  leaseRequest,
  MODEL,
  OK,
  type PoolFixture,
  PROVIDER,
  rateLimited,
  sleep,
  waitFor,
} from './pool-fixture.js';

const kinds: DatabaseKind[] = ['postgres', 'pglite'];

describe.each(kinds)('pool on %s', (kind) => {
  let fx: PoolFixture;
  beforeAll(async () => {
    fx = await createPoolFixture(kind);
  }, 60_000);
  afterEach(async () => {
    await fx.reset();
  });
  afterAll(async () => {
    await fx.dispose();
  });

  it('picks the healthiest triple: success first, then latency, then least recently used', async () => {
    const flaky = await fx.seedKey({ ewmaSuccess: 0.4 });
    const slow = await fx.seedKey({ ewmaLatencyMs: 4_000 });
    const fastOld = await fx.seedKey({ ewmaLatencyMs: 300, lastUsedAt: new Date(Date.now() - 60_000) });
    const fastNew = await fx.seedKey({ ewmaLatencyMs: 300, lastUsedAt: new Date() });
    const pool = fx.pool(fx.config());
    const first = expectLease(await pool.lease(leaseRequest()));
    expect(first.tripleId).toBe(fastOld.tripleId);
    expect(first.secret).toMatch(/^sk-test-secret-/);
    // One in flight on fastOld: the other fast one has fewer in flight now.
    const second = expectLease(await pool.lease(leaseRequest()));
    expect(second.tripleId).toBe(fastNew.tripleId);
    const third = expectLease(await pool.lease(leaseRequest()));
    expect(third.tripleId).toBe(slow.tripleId);
    const fourth = expectLease(await pool.lease(leaseRequest()));
    expect(fourth.tripleId).toBe(flaky.tripleId);
    for (const lease of [first, second, third, fourth]) lease.release({ outcome: OK, latencyMs: 10 });
  });

  it('never leases an excluded triple or a triple of an excluded key', async () => {
    const a = await fx.seedKey();
    const b = await fx.seedKey();
    const c = await fx.seedKey();
    const pool = fx.pool(fx.config());
    const lease = expectLease(
      await pool.lease(
        leaseRequest({ excludeTriples: new Set([a.tripleId]), excludeKeys: new Set([b.keyId]) }),
      ),
    );
    expect(lease.tripleId).toBe(c.tripleId);
    const none = expectRefusal(
      await pool.lease(
        leaseRequest({ excludeTriples: new Set([a.tripleId, c.tripleId]), excludeKeys: new Set([b.keyId]) }),
      ),
    );
    expect(none).toEqual({ kind: 'unavailable', counts: { excluded: 3 } });
  });

  it('skips dead, cooling, disabled and removed triples, cooling buckets and providers', async () => {
    const future = new Date(Date.now() + 600_000);
    await fx.seedKey({ state: 'dead' });
    await fx.seedKey({ state: 'cooldown', cooldownUntil: future });
    await fx.seedKey({ state: 'disabled' });
    await fx.seedKey({ disabled: true });
    await fx.seedKey({ removed: true });
    await fx.seedKey({ bucketId: await fx.seedBucket(future) });
    await fx.seedKey({ state: 'unsupported', model: 'm2' });
    const pool = fx.pool(fx.config());
    const started = performance.now();
    const refusal = expectRefusal(await pool.lease(leaseRequest()));
    const elapsed = performance.now() - started;
    expect(refusal.kind).toBe('unavailable');
    if (refusal.kind !== 'unavailable') return;
    expect(refusal.counts).toEqual({
      dead: 1,
      cooldown: 1,
      disabled: 1,
      key_disabled: 1,
      bucket_cooldown: 1,
    });
    // The view is loaded by now: a refusal costs no waiting and no query.
    const again = performance.now();
    expectRefusal(await pool.lease(leaseRequest({ maxWaitMs: 5_000 })));
    expect(performance.now() - again).toBeLessThan(50);
    expect(elapsed).toBeLessThan(2_000);
    expect(await pool.usableModels()).toEqual([]);

    await fx.database.query(`update providers set cooldown_until = now() + interval '1 hour'`);
    const fine = await fx.seedKey();
    await waitFor(async () => {
      const result = await pool.lease(leaseRequest());
      if ('tripleId' in result || result.kind !== 'unavailable') return false;
      // The provider's hour outlasts the triple's and the bucket's ten minutes: it is what they wait for.
      const expected = { dead: 1, disabled: 1, key_disabled: 1, provider_cooldown: 3 };
      const keys = Object.keys(result.counts).sort();
      return (
        keys.join() === Object.keys(expected).sort().join() &&
        keys.every((key) => result.counts[key] === expected[key as keyof typeof expected])
      );
    });
    await fx.database.query('update providers set cooldown_until = null');
    await waitFor(async () => {
      const result = await pool.lease(leaseRequest());
      if (!('tripleId' in result)) return false;
      result.release({ outcome: OK, latencyMs: 1 });
      return result.tripleId === fine.tripleId;
    });
  });

  it('leases a triple again once its cooldown ends, as one half-open trial at a time', async () => {
    const cooling = await fx.seedKey({ state: 'cooldown', cooldownUntil: new Date(Date.now() + 600) });
    const pool = fx.pool(fx.config());
    expect(expectRefusal(await pool.lease(leaseRequest())).kind).toBe('unavailable');
    await sleep(700);
    const trial = expectLease(await pool.lease(leaseRequest()));
    expect(trial.tripleId).toBe(cooling.tripleId);
    expect((await fx.triple(cooling.tripleId)).halfOpen).toBe(true);
    // The trial is in flight: a second request waits rather than joining it.
    expect(expectRefusal(await pool.lease(leaseRequest())).kind).toBe('saturated');
    trial.release({ outcome: OK, latencyMs: 50 });
    await waitFor(async () => (await fx.triple(cooling.tripleId)).state === 'active');
    await waitFor(async () => !(await fx.triple(cooling.tripleId)).halfOpen);
    const next = expectLease(await pool.lease(leaseRequest()));
    expect(next.tripleId).toBe(cooling.tripleId);
    next.release({ outcome: OK, latencyMs: 50 });
  });

  it('a 429 cools the triple down in the database and this replica avoids it at once', async () => {
    const first = await fx.seedKey({ lastUsedAt: new Date(0) });
    const second = await fx.seedKey({ lastUsedAt: new Date() });
    const pool = fx.pool(fx.config(), 'replica-a', 60_000);
    const lease = expectLease(await pool.lease(leaseRequest()));
    expect(lease.tripleId).toBe(first.tripleId);
    lease.release({ outcome: rateLimited(), latencyMs: 5 });
    // Before any refresh or write completes: the local view already avoids it.
    for (let i = 0; i < 3; i += 1) {
      const next = expectLease(await pool.lease(leaseRequest()));
      expect(next.tripleId).toBe(second.tripleId);
      next.release({ outcome: { kind: 'client_abort' }, latencyMs: 1 });
    }
    await waitFor(async () => (await fx.triple(first.tripleId)).state === 'cooldown');
    const row = await fx.triple(first.tripleId);
    expect(row.reason).toBe('rate_limited');
    expect(row.cooldownUntil?.getTime()).toBeGreaterThan(Date.now() + 20_000);
    const audit = await fx.database.db
      .select()
      .from(stateChanges)
      .where(eq(stateChanges.tripleId, first.tripleId));
    expect(audit.map((entry) => [entry.fromState, entry.toState, entry.actor])).toEqual([
      ['active', 'cooldown', 'replica-a'],
    ]);
  });

  it('a client abort costs the triple nothing', async () => {
    const only = await fx.seedKey();
    const pool = fx.pool(fx.config());
    const lease = expectLease(await pool.lease(leaseRequest()));
    lease.release({ outcome: { kind: 'client_abort' }, latencyMs: 5 });
    await pool.close();
    const row = await fx.triple(only.tripleId);
    expect([row.state, row.consecutiveFailures, row.ewmaSuccess]).toEqual(['active', 0, 1]);
  });

  it('a success on an untested triple makes it active, with an audit entry', async () => {
    const fresh = await fx.seedKey({ state: 'untested' });
    const pool = fx.pool(fx.config());
    const lease = expectLease(await pool.lease(leaseRequest()));
    lease.release({ outcome: OK, latencyMs: 120 });
    await waitFor(async () => (await fx.triple(fresh.tripleId)).state === 'active');
    const audit = await fx.database.db
      .select()
      .from(stateChanges)
      .where(eq(stateChanges.tripleId, fresh.tripleId));
    expect(audit.map((entry) => [entry.fromState, entry.toState])).toEqual([['untested', 'active']]);
  });

  it('close() returns held slots and flushes the batched successes', async () => {
    const limited = await fx.seedKey({ model: 'm2' });
    const free = await fx.seedKey({ ewmaSuccess: 0.5 });
    const pool = fx.pool(fx.config({ limits: { concurrency: 4 } }), 'replica-a', 60_000);
    const held = expectLease(
      await pool.lease(leaseRequest({ candidates: [{ provider: PROVIDER, model: 'm2' }] })),
    );
    expect(held.tripleId).toBe(limited.tripleId);
    expect((await fx.triple(limited.tripleId)).inflight).toBe(1);
    const success = expectLease(await pool.lease(leaseRequest()));
    expect(success.tripleId).toBe(free.tripleId);
    success.release({ outcome: OK, latencyMs: 200 });
    await pool.close();
    const freeRow = await fx.triple(free.tripleId);
    expect(freeRow.ewmaSuccess).toBeCloseTo(0.6, 5);
    // The outcome's own latency (100 ms, the upstream's) is what the average learns.
    expect(freeRow.ewmaLatencyMs).toBeCloseTo(100, 5);
    expect(freeRow.lastOkAt).not.toBeNull();
    expect((await fx.triple(limited.tripleId)).inflight).toBe(0);
    expect(await fx.database.db.select().from(leases)).toEqual([]);
    // Released after close: no error, nothing held.
    held.release({ outcome: OK, latencyMs: 1 });
  });

  it('lists the models with a usable triple', async () => {
    await fx.seedKey();
    await fx.seedKey({ model: 'm2', state: 'dead' });
    const pool = fx.pool(fx.config());
    expect(await pool.usableModels()).toEqual([{ provider: PROVIDER, model: MODEL }]);
  });

  it('measures lease + release of an unlimited triple', async () => {
    for (let i = 0; i < 8; i += 1) await fx.seedKey();
    const pool = fx.pool(fx.config(), 'replica-a', 60_000);
    const request = leaseRequest();
    const ok = { outcome: OK, latencyMs: 10 };
    for (let i = 0; i < 2_000; i += 1) expectLease(await pool.lease(request)).release(ok);
    const iterations = 100_000;
    const started = performance.now();
    for (let i = 0; i < iterations; i += 1) {
      const result = await pool.lease(request);
      if ('tripleId' in result) result.release(ok);
    }
    const perLeaseUs = ((performance.now() - started) * 1_000) / iterations;
    console.log(
      `[pool ${kind}] lease+release of an unlimited triple: ${perLeaseUs.toFixed(2)} µs (${iterations} iterations, 8 triples)`,
    );
    expect(perLeaseUs).toBeLessThan(100);
    await pool.close();
    const rows = await fx.database.db.select({ lastOkAt: triples.lastOkAt }).from(triples);
    expect(rows.every((row) => row.lastOkAt !== null)).toBe(true);
  });
});
