import { fingerprintKey, maskKey } from '@llmgw/core';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from './database.js';
import { migrateDatabase } from './migrate-database.js';
import {
  accessTokens,
  affinity,
  attempts,
  keeperLeadership,
  keys,
  leases,
  providers,
  proxies,
  quotaBuckets,
  rateWindows,
  responseCache,
  stateChanges,
  triples,
} from './schema.js';
import { DRIVER_NAMES, DRIVERS, type DriverFixture } from './test-drivers.js';

const soon = new Date(Date.now() + 60_000);
const secret = 'sk-test-abcdefghijklmnop1234';

/** Written once against `Db`: the same function must work on either driver. */
async function seedPool(db: Db) {
  await db.insert(providers).values({ name: 'openai', type: 'openai_like' });
  const [proxy] = await db
    .insert(proxies)
    .values({ pool: 'eu', url: 'http://user:pass@10.0.0.1:3128', mask: 'http://user:***@10.0.0.1:3128' })
    .returning();
  const [bucket] = await db
    .insert(quotaBuckets)
    .values({ provider: 'openai', name: 'keys/openai.txt' })
    .returning();
  const [key] = await db
    .insert(keys)
    .values({
      provider: 'openai',
      fingerprint: fingerprintKey(secret),
      secret,
      mask: maskKey(secret),
      sourceFile: 'keys/openai.txt',
      sourceLine: 3,
      bucketId: bucket?.id,
      proxyId: proxy?.id,
    })
    .returning();
  if (!key || !proxy || !bucket) throw new Error('insert returned no row');
  const [triple] = await db
    .insert(triples)
    .values({ keyId: key.id, provider: 'openai', model: 'gpt-4o-mini' })
    .returning();
  if (!triple) throw new Error('insert returned no row');
  return { key, proxy, bucket, triple };
}

describe.each(DRIVER_NAMES)('one query API on %s', (driver) => {
  let fixture: DriverFixture;
  let db: Db;
  beforeAll(async () => {
    fixture = await DRIVERS[driver]();
    await migrateDatabase(fixture.database);
    db = fixture.database.db;
  });
  afterAll(async () => fixture.dispose());

  it('round-trips a row through every table with one query API', async () => {
    const { key, proxy, bucket, triple } = await seedPool(db);
    expect(key).toMatchObject({
      id: expect.any(Number),
      provider: 'openai',
      mask: 'sk-…1234',
      removedAt: null,
    });
    expect(key.createdAt).toBeInstanceOf(Date);
    expect(triple).toMatchObject({ state: 'untested', consecutiveFailures: 0, ewmaSuccess: 1, inflight: 0 });

    await db
      .update(triples)
      .set({ state: 'cooldown', reason: 'rate_limited', cooldownUntil: soon, ewmaLatencyMs: 412.5 })
      .where(eq(triples.id, triple.id));
    const [cooled] = await db
      .select()
      .from(triples)
      .where(
        and(eq(triples.provider, 'openai'), eq(triples.model, 'gpt-4o-mini'), eq(triples.state, 'cooldown')),
      );
    expect(cooled).toMatchObject({ reason: 'rate_limited', ewmaLatencyMs: 412.5 });
    expect(cooled?.cooldownUntil?.getTime()).toBe(soon.getTime());

    const [lease] = await db
      .insert(leases)
      .values({ tripleId: triple.id, holder: 'replica-a', expiresAt: soon })
      .returning();
    expect(lease?.id).toMatch(/^[0-9a-f-]{36}$/);

    await db
      .insert(rateWindows)
      .values({ tripleId: triple.id, kind: 'minute', windowStart: new Date(0), requests: 1, tokens: 300 });
    await db.insert(attempts).values({
      requestId: 'req-1',
      provider: 'openai',
      model: 'gpt-4o-mini',
      keyId: key.id,
      tripleId: triple.id,
      proxyId: proxy.id,
      outcome: 'rate_limited',
      status: 429,
      latencyMs: 120,
      stream: true,
      final: true,
    });
    await db.insert(stateChanges).values({
      scope: 'triple',
      subject: `openai/${key.id}/gpt-4o-mini`,
      tripleId: triple.id,
      keyId: key.id,
      fromState: 'untested',
      toState: 'cooldown',
      reason: 'rate_limited',
      evidence: { status: 429, retryAfterMs: 30_000 },
    });
    await db.insert(accessTokens).values({ keyId: key.id, token: 'opaque', expiresAt: soon });
    await db.insert(keeperLeadership).values({ lockId: 1, holder: 'keeper-1' });
    await db
      .insert(affinity)
      .values({ hash: 'h1', provider: 'openai', model: 'gpt-4o-mini', keyId: key.id, expiresAt: soon });
    await db.insert(responseCache).values({
      hash: 'r1',
      provider: 'openai',
      model: 'gpt-4o-mini',
      body: { choices: [] },
      chunks: [{ delta: 'a' }, { delta: 'b' }],
      expiresAt: soon,
    });

    expect(await db.select().from(attempts)).toEqual([
      expect.objectContaining({
        outcome: 'rate_limited',
        status: 429,
        source: 'upstream',
        probe: false,
        stream: true,
      }),
    ]);
    expect(await db.select().from(rateWindows)).toEqual([
      expect.objectContaining({ kind: 'minute', requests: 1, tokens: 300, windowStart: new Date(0) }),
    ]);
    const [change] = await db.select().from(stateChanges);
    expect(change?.evidence).toEqual({ status: 429, retryAfterMs: 30_000 });
    const [cached] = await db.select().from(responseCache);
    expect(cached?.chunks).toEqual([{ delta: 'a' }, { delta: 'b' }]);
    expect(await db.select().from(accessTokens)).toHaveLength(1);
    expect(await db.select().from(keeperLeadership)).toEqual([
      expect.objectContaining({ holder: 'keeper-1' }),
    ]);
    expect(await db.select().from(affinity)).toEqual([expect.objectContaining({ keyId: key.id })]);
    expect(await db.select().from(leases)).toEqual([
      expect.objectContaining({ holder: 'replica-a', slots: 1 }),
    ]);
    expect(await db.select().from(quotaBuckets)).toEqual([expect.objectContaining({ id: bucket.id })]);
    expect(await db.select().from(proxies)).toEqual([expect.objectContaining({ healthy: true, pool: 'eu' })]);
    expect(await db.select().from(providers)).toEqual([
      expect.objectContaining({ enabled: true, cooldownUntil: null }),
    ]);
  });

  it('refuses states, reasons and duplicate keys the product does not know', async () => {
    const [key] = await db.select().from(keys).limit(1);
    if (!key) throw new Error('the round-trip test seeds a key first');
    await expect(fixture.database.query(`update triples set state = 'sleeping'`)).rejects.toThrow(
      /triples_state_check/,
    );
    await expect(fixture.database.query(`update triples set reason = 'bad_luck'`)).rejects.toThrow(
      /triples_reason_check/,
    );
    // The keeper's upsert relies on (provider, fingerprint) being unique.
    await expect(
      db.insert(keys).values({
        provider: key.provider,
        fingerprint: key.fingerprint,
        secret: key.secret,
        mask: key.mask,
        sourceFile: 'keys/openai-copy.txt',
        sourceLine: 1,
      }),
    ).rejects.toMatchObject({ cause: expect.objectContaining({ code: '23505' }) });
  });

  it('answers ping and holds advisory locks', async () => {
    expect(await fixture.database.ping()).toBe(true);
    const session = await fixture.database.openSession();
    try {
      const [row] = await session.query<{ locked: boolean }>(
        'select pg_try_advisory_lock($1) as locked',
        [42],
      );
      expect(row?.locked).toBe(true);
      await session.query('select pg_advisory_unlock($1)', [42]);
    } finally {
      await session.close();
    }
  });

  it('delivers NOTIFY to a listener', async () => {
    const session = await fixture.database.openSession();
    try {
      let deliver: (payload: string) => void = () => {};
      const received = new Promise<string>((resolve) => {
        deliver = resolve;
      });
      await session.listen('llmgw_test', (payload) => deliver(payload));
      await fixture.database.query(`select pg_notify('llmgw_test', 'triple 7 cooled')`);
      expect(await received).toBe('triple 7 cooled');
    } finally {
      await session.close();
    }
  });
});
