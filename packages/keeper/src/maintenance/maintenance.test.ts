import { putCachedResponse } from '@llmgw/db';
import { attempts, leases } from '@llmgw/db/schema';
import { createTestUpstream, type TestUpstream } from '@llmgw/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProbeFixture, type ProbeFixture } from '../probe/probe-fixture.js';
import { startMaintenance } from './maintenance.js';

const DAY = 24 * 60 * 60_000;
let fixture: ProbeFixture<TestUpstream>;
beforeAll(async () => {
  fixture = await createProbeFixture(await createTestUpstream());
});
afterAll(async () => {
  await fixture.dispose();
});

function attempt(createdAt: number) {
  return {
    requestId: `req-${createdAt}`,
    provider: 'openai',
    model: 'gpt-4o-mini',
    outcome: 'ok' as const,
    createdAt: new Date(createdAt),
  };
}

describe('maintenance', () => {
  it('prunes old attempts, expires stale leases giving their slots back, and logs each job', async () => {
    const now = Date.now();
    await fixture.database.db
      .insert(attempts)
      .values([
        attempt(now - 8 * DAY),
        attempt(now - 7 * DAY - 60_000),
        attempt(now - 6 * DAY),
        attempt(now),
      ]);
    const busy = await fixture.seedKey('sk-maintenance-000001');
    const idle = await fixture.seedKey('sk-maintenance-000002');
    await fixture.query('update triples set inflight = 3 where id = $1', [busy.tripleId]);
    await fixture.database.db.insert(leases).values([
      { tripleId: busy.tripleId, holder: 'dead-replica', slots: 2, expiresAt: new Date(now - 1_000) },
      { tripleId: busy.tripleId, holder: 'live-replica', slots: 1, expiresAt: new Date(now + 60_000) },
      // A lease whose slots were already returned by hand must not drive inflight below zero.
      { tripleId: idle.tripleId, holder: 'dead-replica', slots: 1, expiresAt: new Date(now - 1_000) },
    ]);
    await fixture.query(
      `insert into rate_windows (triple_id, kind, window_start, requests) values
         ($1, 'day', $2, 5), ($1, 'minute', $3, 1)`,
      [busy.tripleId, new Date(now - 3 * DAY).toISOString(), new Date(now).toISOString()],
    );

    for (const [hash, expiresAt] of [
      ['cache-expired', now - 1_000],
      ['cache-live', now + 60 * 60_000],
    ] as const) {
      await putCachedResponse(
        fixture.database,
        {
          hash,
          provider: 'openai',
          model: 'gpt-4o-mini',
          status: 200,
          body: { id: hash },
          chunks: null,
          expiresAt: new Date(expiresAt),
        },
        new Date(now - DAY),
      );
    }

    const maintenance = startMaintenance(fixture.deps);
    const report = await maintenance.runNow();
    await maintenance.stop();

    expect(report).toMatchObject({
      attemptsPruned: 2,
      leasesExpired: 2,
      slotsReturned: 3,
      rateWindowsDeleted: 1,
      cacheDeleted: 1,
      vacuumed: ['triples', 'leases', 'rate_windows', 'attempts'],
    });
    const left = await fixture.query<{ count: string }>('select count(*) from attempts');
    expect(Number(left[0]?.count)).toBe(2);
    expect((await fixture.triple(busy.tripleId)).inflight).toBe(1);
    expect((await fixture.triple(idle.tripleId)).inflight).toBe(0);
    expect(await fixture.query('select hash from response_cache')).toEqual([{ hash: 'cache-live' }]);
    const holders = await fixture.query<{ holder: string }>('select holder from leases');
    expect(holders).toEqual([{ holder: 'live-replica' }]);
    for (const event of ['attempts', 'leases', 'compact', 'vacuum']) {
      expect(fixture.logs.some((line) => line.includes(`"keeper.maintenance.${event}"`))).toBe(true);
    }
  });
});
