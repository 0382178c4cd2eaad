import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lease } from '../contracts.js';
import { poolGaugeSource } from '../pool/create-pool.js';
import {
  createPoolFixture,
  expectLease,
  leaseRequest,
  OK,
  type PoolFixture,
  PROVIDER,
  waitFor,
} from '../pool/pool-fixture.js';
import { createGatewayMetrics } from './gateway-metrics.js';
import { readExposition } from './read-exposition.js';

let fx: PoolFixture;
beforeAll(async () => {
  fx = await createPoolFixture('postgres');
}, 60_000);
afterAll(async () => {
  await fx.dispose();
});

describe('pool gauges', () => {
  it('exports triples by state, the usable share and the queue depth of a real pool', async () => {
    await fx.seedKey();
    await fx.seedKey();
    await fx.seedKey({ disabled: true });
    await fx.seedKey({ state: 'cooldown', cooldownUntil: new Date(Date.now() + 600_000) });
    await fx.seedKey({ state: 'dead' });
    const config = fx.config({ limits: { concurrency: 1 } });
    const pool = fx.pool(config);
    const metrics = createGatewayMetrics(new Registry(), { queueMaxDepth: config.gateway.queue.max_depth });
    metrics.watch({ pool: poolGaugeSource(pool) });
    const scrape = async () => readExposition(await metrics.registry.metrics());

    // Both usable triples taken (one slot each); the third request waits in the queue.
    const held: Lease[] = [
      expectLease(await pool.lease(leaseRequest())),
      expectLease(await pool.lease(leaseRequest())),
    ];
    const waiting = pool.lease(leaseRequest({ maxWaitMs: 10_000 }));
    await waitFor(async () => (await scrape()).value('llm_gateway_queue_depth') === 1);

    const m = await scrape();
    const triples = (state: string) => m.value('llm_gateway_triples', { provider: PROVIDER, state });
    expect(triples('active')).toBe(3);
    expect(triples('cooldown')).toBe(1);
    expect(triples('dead')).toBe(1);
    expect(triples('untested')).toBe(0);
    expect(triples('removed')).toBeUndefined();
    expect(m.value('llm_gateway_triples_usable', { provider: PROVIDER })).toBe(2);
    expect(m.value('llm_gateway_pool_usable_ratio', { provider: PROVIDER })).toBeCloseTo(0.4);
    expect(m.value('llm_gateway_queue_max_depth')).toBe(config.gateway.queue.max_depth);

    // A release hands the slot to the waiter: the queue empties.
    held[0]?.release({ outcome: OK, latencyMs: 5 });
    const third = expectLease(await waiting);
    expect((await scrape()).value('llm_gateway_queue_depth')).toBe(0);
    for (const lease of [held[1], third]) lease?.release({ outcome: OK, latencyMs: 5 });
  }, 30_000);
});
