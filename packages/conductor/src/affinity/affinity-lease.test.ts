import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createPoolFixture,
  expectLease,
  leaseRequest,
  MODEL,
  OK,
  type PoolFixture,
} from '../pool/pool-fixture.js';

/* The lease's side of prompt-cache affinity: `preferKey` wins only when its triple may be leased now. */
describe('lease with a preferred key', () => {
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

  it('leases the preferred key even when another key looks better', async () => {
    await fx.seedKey({ ewmaLatencyMs: 100 });
    const pinned = await fx.seedKey({ ewmaLatencyMs: 3_000, lastUsedAt: new Date() });
    const pool = fx.pool(fx.config());
    const busy = expectLease(
      await pool.lease(leaseRequest({ preferKey: { keyId: pinned.keyId, model: MODEL } })),
    );
    // One lease in flight on the pinned key already: still preferred over the idle fast key.
    const again = expectLease(
      await pool.lease(leaseRequest({ preferKey: { keyId: pinned.keyId, model: MODEL } })),
    );
    expect([busy.keyId, again.keyId]).toEqual([pinned.keyId, pinned.keyId]);
    for (const lease of [busy, again]) lease.release({ outcome: OK, latencyMs: 10 });
  });

  it('skips a preferred key that is cooling down', async () => {
    const other = await fx.seedKey();
    const pinned = await fx.seedKey({ state: 'cooldown', cooldownUntil: new Date(Date.now() + 60_000) });
    const pool = fx.pool(fx.config());
    const lease = expectLease(
      await pool.lease(leaseRequest({ preferKey: { keyId: pinned.keyId, model: MODEL } })),
    );
    expect(lease.keyId).toBe(other.keyId);
    lease.release({ outcome: OK, latencyMs: 10 });
  });

  it('skips a preferred key at its concurrency limit', async () => {
    const pinned = await fx.seedKey();
    const other = await fx.seedKey({ lastUsedAt: new Date() });
    const pool = fx.pool(fx.config({ limits: { concurrency: 1 } }));
    const prefer = { keyId: pinned.keyId, model: MODEL };
    const first = expectLease(await pool.lease(leaseRequest({ preferKey: prefer })));
    const second = expectLease(await pool.lease(leaseRequest({ preferKey: prefer })));
    expect([first.keyId, second.keyId]).toEqual([pinned.keyId, other.keyId]);
    for (const lease of [first, second]) lease.release({ outcome: OK, latencyMs: 10 });
  });

  it('never leases a preferred key the request excluded', async () => {
    const pinned = await fx.seedKey();
    const other = await fx.seedKey({ lastUsedAt: new Date() });
    const pool = fx.pool(fx.config());
    const lease = expectLease(
      await pool.lease(
        leaseRequest({
          preferKey: { keyId: pinned.keyId, model: MODEL },
          excludeKeys: new Set([pinned.keyId]),
        }),
      ),
    );
    expect(lease.keyId).toBe(other.keyId);
    lease.release({ outcome: OK, latencyMs: 10 });
  });
});
