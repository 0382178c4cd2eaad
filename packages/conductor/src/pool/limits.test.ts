import { windowEnd } from '@llmgw/db';
import { rateWindows } from '@llmgw/db/schema';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Lease, LeaseRefusal, Pool } from '../contracts.js';
import { haltPool } from './create-pool.js';
import {
  createPoolFixture,
  expectLease,
  expectRefusal,
  leaseRequest,
  OK,
  type PoolFixture,
  sleep,
  waitFor,
} from './pool-fixture.js';

/** Two replicas of the conductor in one process: distinct holder ids on one Postgres database. */
describe('limits across replicas (Postgres)', () => {
  let fx: PoolFixture;
  beforeAll(async () => {
    fx = await createPoolFixture('postgres');
  }, 60_000);
  afterEach(async () => {
    await fx.reset();
  });
  afterAll(async () => {
    await fx.dispose();
  });

  const isLease = (result: Lease | LeaseRefusal): result is Lease => 'tripleId' in result;

  /** Grants live in 5 s slices of the sliding minute: start an assertion at the beginning of one. */
  const awayFromMinuteEdge = async () => {
    const left = windowEnd('minute', Date.now()) - Date.now();
    if (left < 4_000) await sleep(left + 50);
  };

  it('rpm 5 gives at most 5 leases in the sliding minute over both replicas', async () => {
    const { tripleId } = await fx.seedKey();
    const config = fx.config({ limits: { rpm: 5 } });
    const pools = [fx.pool(config, 'replica-a'), fx.pool(config, 'replica-b')];
    await awayFromMinuteEdge();
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) => pools[i % 2]?.lease(leaseRequest({ requestId: `r${i}` }))),
    );
    const granted = results.filter((result): result is Lease => result !== undefined && isLease(result));
    expect(granted).toHaveLength(5);
    for (const lease of granted) lease.release({ outcome: OK, latencyMs: 5 });
    const refusal = results.find((result) => result !== undefined && !isLease(result));
    expect(refusal && !isLease(refusal) && refusal.kind).toBe('saturated');
    if (refusal && !isLease(refusal) && refusal.kind === 'saturated') {
      // Retry when the slice ends: the earliest the sliding minute may let a request go.
      const untilWindowEnd = windowEnd('minute', Date.now()) - Date.now();
      expect(refusal.retryAfterMs).toBeGreaterThan(untilWindowEnd - 1_000);
      expect(refusal.retryAfterMs).toBeLessThanOrEqual(untilWindowEnd + 1_000);
    }
    const rows = await fx.database.db.select().from(rateWindows);
    expect(rows.map((row) => [row.tripleId, row.kind, row.requests])).toEqual([[tripleId, 'minute', 5]]);
  });

  it("gives a replica's unused block back to the shared minute once its slice ends", async () => {
    const { tripleId } = await fx.seedKey();
    const pool = fx.pool(fx.config({ limits: { rpm: 160 } }), 'replica-a');
    await awayFromMinuteEdge();
    const lease = expectLease(await pool.lease(leaseRequest()));
    lease.release({ outcome: OK, latencyMs: 5 });
    const charged = async () => {
      const rows = await fx.database.db.select().from(rateWindows);
      return rows.filter((row) => row.tripleId === tripleId).reduce((sum, row) => sum + row.requests, 0);
    };
    // One block of 160/16 claimed for one request…
    expect(await charged()).toBe(10);
    // …and all but the one used given back after the slice, though nothing leased the triple since.
    await waitFor(async () => (await charged()) === 1, 10_000);
  });

  it('concurrency 3 is never exceeded by both replicas hammering at once', async () => {
    const { tripleId } = await fx.seedKey();
    const config = fx.config({ limits: { concurrency: 3 } });
    const pools = [fx.pool(config, 'replica-a'), fx.pool(config, 'replica-b')];
    let held = 0;
    let maxHeld = 0;
    let maxInflight = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const [row] = await fx.database.query<{ inflight: number }>(
          'select inflight from triples where id = $1',
          [tripleId],
        );
        maxInflight = Math.max(maxInflight, row?.inflight ?? 0);
        await sleep(5);
      }
    })();
    const worker = async (pool: Pool, n: number) => {
      let served = 0;
      for (let i = 0; i < n; i += 1) {
        const lease = expectLease(await pool.lease(leaseRequest({ maxWaitMs: 10_000 })));
        held += 1;
        maxHeld = Math.max(maxHeld, held);
        await sleep(10);
        held -= 1;
        lease.release({ outcome: OK, latencyMs: 10 });
        served += 1;
      }
      return served;
    };
    const served = await Promise.all(
      pools.flatMap((pool) => [worker(pool, 8), worker(pool, 8), worker(pool, 8)]),
    );
    sampling = false;
    await sampler;
    expect(served.reduce((a, b) => a + b, 0)).toBe(48);
    expect(maxHeld).toBeLessThanOrEqual(3);
    expect(maxHeld).toBeGreaterThanOrEqual(2);
    expect(maxInflight).toBeLessThanOrEqual(3);
  }, 30_000);

  it('a waiter gets the slot another replica gives back, within about a second', async () => {
    await fx.seedKey();
    const config = fx.config({ limits: { concurrency: 1 } });
    const a = fx.pool(config, 'replica-a', 60_000);
    const b = fx.pool(config, 'replica-b', 60_000);
    const holding = expectLease(await a.lease(leaseRequest()));
    const waiting = b.lease(leaseRequest({ maxWaitMs: 5_000 }));
    await sleep(300);
    const released = Date.now();
    holding.release({ outcome: OK, latencyMs: 300 });
    const lease = expectLease(await waiting);
    expect(Date.now() - released).toBeLessThan(1_000);
    lease.release({ outcome: OK, latencyMs: 1 });
  });

  it('a waiter gives up after max_wait with saturated and a Retry-After', async () => {
    await fx.seedKey();
    const config = fx.config({ limits: { concurrency: 1 }, gateway: { queue: { max_wait: '300ms' } } });
    const a = fx.pool(config, 'replica-a');
    const b = fx.pool(config, 'replica-b');
    const holding = expectLease(await a.lease(leaseRequest()));
    const started = Date.now();
    const refusal = expectRefusal(await b.lease(leaseRequest({ maxWaitMs: 5_000 })));
    const waited = Date.now() - started;
    expect(refusal.kind).toBe('saturated');
    if (refusal.kind === 'saturated') expect(refusal.retryAfterMs).toBeGreaterThan(0);
    expect(waited).toBeGreaterThanOrEqual(290);
    expect(waited).toBeLessThan(1_000);
    holding.release({ outcome: OK, latencyMs: 1 });
  });

  it('beyond max_depth a request is refused at once', async () => {
    await fx.seedKey();
    const config = fx.config({ limits: { concurrency: 1 }, gateway: { queue: { max_depth: 1 } } });
    const pool = fx.pool(config, 'replica-a');
    const holding = expectLease(await pool.lease(leaseRequest()));
    const first = pool.lease(leaseRequest({ maxWaitMs: 5_000 }));
    const started = performance.now();
    const refusal = expectRefusal(await pool.lease(leaseRequest({ maxWaitMs: 5_000 })));
    expect(performance.now() - started).toBeLessThan(50);
    expect(refusal.kind).toBe('saturated');
    holding.release({ outcome: OK, latencyMs: 1 });
    expectLease(await first).release({ outcome: OK, latencyMs: 1 });
  });

  it('a replica killed without releasing gets its slots reclaimed after lease_ttl', async () => {
    const { tripleId } = await fx.seedKey();
    const config = fx.config({ limits: { concurrency: 2 }, gateway: { lease_ttl: '1500ms' } });
    const doomed = fx.pool(config, 'replica-doomed');
    const survivor = fx.pool(config, 'replica-b');
    expectLease(await doomed.lease(leaseRequest()));
    expectLease(await doomed.lease(leaseRequest()));
    expect((await fx.triple(tripleId)).inflight).toBe(2);
    haltPool(doomed);
    const killed = Date.now();
    const lease = expectLease(await survivor.lease(leaseRequest({ maxWaitMs: 5_000 })));
    const waited = Date.now() - killed;
    expect(waited).toBeGreaterThan(500);
    expect(waited).toBeLessThan(1_500 + 1_000);
    lease.release({ outcome: OK, latencyMs: 1 });
    // Its second row expired a moment after the first: both are gone within the TTL.
    await waitFor(async () => {
      const rows = await fx.database.query<{ holder: string }>('select holder from leases');
      return rows.every((row) => row.holder !== 'replica-doomed');
    }, 2_000);
  });

  it('reserves tokens against TPM and gives unused ones back after the call', async () => {
    await fx.seedKey();
    const config = fx.config({ limits: { tpm: 100 } });
    const pool = fx.pool(config, 'replica-a');
    await awayFromMinuteEdge();
    const first = expectLease(await pool.lease(leaseRequest({ estimatedTokens: 40 })));
    const second = expectLease(await pool.lease(leaseRequest({ estimatedTokens: 40 })));
    expect(expectRefusal(await pool.lease(leaseRequest({ estimatedTokens: 40 }))).kind).toBe('saturated');
    first.release({ outcome: OK, latencyMs: 1, tokens: 10 });
    const third = expectLease(await pool.lease(leaseRequest({ estimatedTokens: 40 })));
    // Used more than reserved: the excess is charged to the shared window.
    second.release({ outcome: OK, latencyMs: 1, tokens: 70 });
    third.release({ outcome: OK, latencyMs: 1, tokens: 40 });
    await sleep(100);
    const [row] = await fx.database.db.select().from(rateWindows);
    expect(row?.tokens).toBeGreaterThanOrEqual(100);
  });

  it('the upstream remaining figures clamp the shared window', async () => {
    await fx.seedKey();
    const config = fx.config({ limits: { rpm: 1_000 } });
    const pool = fx.pool(config, 'replica-a');
    const other = fx.pool(config, 'replica-b');
    await awayFromMinuteEdge();
    const lease = expectLease(await pool.lease(leaseRequest()));
    lease.release({ outcome: OK, latencyMs: 1, hints: { remainingRequests: 0 } });
    // This replica holds off locally; the other replica cannot claim past the upstream's figure.
    expect(expectRefusal(await pool.lease(leaseRequest())).kind).toBe('saturated');
    await sleep(100);
    expect(expectRefusal(await other.lease(leaseRequest())).kind).toBe('saturated');
  });
});
