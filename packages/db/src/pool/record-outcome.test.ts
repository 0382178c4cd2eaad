import { type Classification, DEFAULT_HEALTH_POLICY, type TripleOutcome } from '@llmgw/core';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../database.js';
import { migrateDatabase } from '../migrate-database.js';
import { keys, providers, proxies, quotaBuckets, stateChanges, triples } from '../schema.js';
import { DRIVER_NAMES, DRIVERS, type DriverFixture } from '../test-drivers.js';
import { recordTripleOutcome } from './record-outcome.js';

const NOW = Date.parse('2026-11-23T12:00:00Z');
const policy = DEFAULT_HEALTH_POLICY;

function failure(reason: Classification['reason'], extra: Partial<Classification> = {}): TripleOutcome {
  return {
    kind: 'failure',
    status: 429,
    classification: { reason, scope: 'triple', message: reason, ...extra },
  };
}

describe.each(DRIVER_NAMES)('recordTripleOutcome on %s', (driver) => {
  let fixture: DriverFixture;
  let db: Db;
  let seq = 0;

  /** A provider with one bucket, one proxy, and a key serving two models. */
  async function seedKey(options: { bucketed?: boolean } = {}) {
    seq += 1;
    const provider = `p${seq}`;
    await db.insert(providers).values({ name: provider, type: 'openai_like' });
    const [bucket] = await db.insert(quotaBuckets).values({ provider, name: 'b' }).returning();
    const [proxy] = await db
      .insert(proxies)
      .values({ pool: provider, url: `http://10.0.0.${seq}:3128`, mask: 'm' })
      .returning();
    const [key] = await db
      .insert(keys)
      .values({
        provider,
        fingerprint: `f${seq}`,
        secret: `sk-secret-${seq}`,
        mask: 'sk-…',
        sourceFile: 'x.txt',
        sourceLine: 1,
        bucketId: options.bucketed === false ? null : (bucket?.id ?? null),
        proxyId: proxy?.id ?? null,
      })
      .returning();
    if (!key || !proxy || !bucket) throw new Error('seed failed');
    const made = await db
      .insert(triples)
      .values([
        { keyId: key.id, provider, model: 'm1', state: 'active' },
        { keyId: key.id, provider, model: 'm2', state: 'active' },
      ])
      .returning();
    return { provider, key, proxy, bucket, t1: made[0]?.id ?? 0, t2: made[1]?.id ?? 0 };
  }

  async function tripleRow(id: number) {
    const [row] = await db.select().from(triples).where(eq(triples.id, id));
    return row;
  }

  beforeAll(async () => {
    fixture = await DRIVERS[driver]();
    await migrateDatabase(fixture.database);
    db = fixture.database.db;
  });
  afterAll(async () => {
    await fixture.dispose();
  });

  it('cools a rate-limited triple down until Retry-After and audits it', async () => {
    const { t1 } = await seedKey();
    const result = await recordTripleOutcome(db, {
      tripleId: t1,
      outcome: failure('rate_limited', { retryAfterMs: 5000 }),
      policy,
      now: NOW,
      actor: 'test',
    });
    expect(result?.after.state).toBe('cooldown');
    const row = await tripleRow(t1);
    expect(row?.state).toBe('cooldown');
    expect(row?.cooldownUntil?.getTime()).toBe(NOW + 5000);
    const audit = await db.select().from(stateChanges).where(eq(stateChanges.tripleId, t1));
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      scope: 'triple',
      fromState: 'active',
      toState: 'cooldown',
      reason: 'rate_limited',
    });
  });

  it('marks every model of a key dead on a key-wide invalid_key', async () => {
    const { t1, t2, key } = await seedKey();
    await recordTripleOutcome(db, {
      tripleId: t1,
      outcome: failure('invalid_key', { scope: 'key' }),
      policy,
      now: NOW,
      actor: 'test',
    });
    expect((await tripleRow(t1))?.state).toBe('dead');
    expect((await tripleRow(t2))?.state).toBe('dead');
    const keyAudit = await db.select().from(stateChanges).where(eq(stateChanges.keyId, key.id));
    expect(keyAudit.map((entry) => entry.scope).sort()).toEqual(['key', 'triple']);
  });

  it('cools the quota bucket, not the key, on a shared-quota verdict, and audits it once', async () => {
    const { t1, t2, bucket } = await seedKey();
    const outcome = failure('rate_limited', { scope: 'bucket', until: NOW + 60_000 });
    await recordTripleOutcome(db, { tripleId: t1, outcome, policy, now: NOW, actor: 'test' });
    await recordTripleOutcome(db, { tripleId: t2, outcome, policy, now: NOW, actor: 'test' });
    expect((await tripleRow(t1))?.state).toBe('active');
    const [row] = await db.select().from(quotaBuckets).where(eq(quotaBuckets.id, bucket.id));
    expect(row?.cooldownUntil?.getTime()).toBe(NOW + 60_000);
    const audit = await db.select().from(stateChanges).where(eq(stateChanges.scope, 'bucket'));
    expect(audit.filter((entry) => entry.subject.endsWith('/b') && entry.keyId !== null)).toHaveLength(1);
  });

  /** A second key in the same provider and bucket as `first`, serving model m1. */
  async function seedSibling(provider: string, bucketId: number) {
    seq += 1;
    const [key] = await db
      .insert(keys)
      .values({
        provider,
        fingerprint: `f${seq}`,
        secret: `sk-secret-${seq}`,
        mask: 'sk-…',
        sourceFile: 'x.txt',
        sourceLine: 2,
        bucketId,
      })
      .returning();
    if (!key) throw new Error('seed failed');
    const [triple] = await db
      .insert(triples)
      .values({ keyId: key.id, provider, model: 'm1', state: 'active' })
      .returning();
    return triple?.id ?? 0;
  }

  async function bucketAudit(provider: string) {
    return db
      .select()
      .from(stateChanges)
      .where(and(eq(stateChanges.scope, 'bucket'), eq(stateChanges.subject, `${provider}/b`)));
  }

  it('audits a bucket cooldown once when its other keys report the same reset a moment later', async () => {
    const { provider, t1, bucket } = await seedKey();
    const sibling = await seedSibling(provider, bucket.id);
    const first = failure('rate_limited', { scope: 'bucket', retryAfterMs: 60_000 });
    await recordTripleOutcome(db, { tripleId: t1, outcome: first, policy, now: NOW, actor: 'test' });
    // The sibling was in flight: its 429 arrives 300 ms later with the same reset, seen from then.
    await recordTripleOutcome(db, {
      tripleId: sibling,
      outcome: first,
      policy,
      now: NOW + 300,
      actor: 'test',
    });
    const [row] = await db.select().from(quotaBuckets).where(eq(quotaBuckets.id, bucket.id));
    expect(row?.cooldownUntil?.getTime()).toBe(NOW + 60_000);
    expect(row?.cooldownReason).toBe('rate_limited');
    const audit = await bucketAudit(provider);
    expect(audit).toHaveLength(1);
    expect(audit[0]?.evidence).toMatchObject({ message: 'rate_limited', status: 429, until: NOW + 60_000 });
    expect((await tripleRow(sibling))?.state).toBe('active');
  });

  it('extends a bucket cooldown to a later stated reset, and audits the extension', async () => {
    const { provider, t1, bucket } = await seedKey();
    const day = failure('no_quota', { scope: 'bucket', until: NOW + 3_600_000 });
    await recordTripleOutcome(db, { tripleId: t1, outcome: day, policy, now: NOW, actor: 'test' });
    const shorter = failure('rate_limited', { scope: 'bucket', retryAfterMs: 5000 });
    await recordTripleOutcome(db, { tripleId: t1, outcome: shorter, policy, now: NOW + 10, actor: 'test' });
    const [row] = await db.select().from(quotaBuckets).where(eq(quotaBuckets.id, bucket.id));
    expect(row?.cooldownUntil?.getTime()).toBe(NOW + 3_600_000);
    const later = failure('no_quota', { scope: 'bucket', until: NOW + 7_200_000 });
    await recordTripleOutcome(db, { tripleId: t1, outcome: later, policy, now: NOW + 20, actor: 'test' });
    expect(await bucketAudit(provider)).toHaveLength(2);
  });

  it('cools a bucket without a stated reset by the escalating minimum', async () => {
    const { t1, bucket } = await seedKey();
    const outcome = failure('rate_limited', { scope: 'bucket' });
    await recordTripleOutcome(db, { tripleId: t1, outcome, policy, now: NOW, actor: 'test' });
    const [row] = await db.select().from(quotaBuckets).where(eq(quotaBuckets.id, bucket.id));
    expect(row?.cooldownUntil?.getTime()).toBe(NOW + policy.cooldown.rateLimitedMinMs);
  });

  it('cools every model of a key outside any bucket on a shared-quota verdict', async () => {
    const { t1, t2 } = await seedKey({ bucketed: false });
    const outcome = failure('no_quota', { scope: 'bucket', until: NOW + 60_000 });
    await recordTripleOutcome(db, { tripleId: t1, outcome, policy, now: NOW, actor: 'test' });
    for (const id of [t1, t2]) {
      const row = await tripleRow(id);
      expect(row?.state).toBe('no_quota');
      expect(row?.cooldownUntil?.getTime()).toBe(NOW + 60_000);
    }
  });

  it('reopens a bucket whose reset has passed when one of its keys succeeds', async () => {
    const { provider, t1, bucket } = await seedKey();
    const outcome = failure('rate_limited', { scope: 'bucket', until: NOW + 60_000 });
    await recordTripleOutcome(db, { tripleId: t1, outcome, policy, now: NOW, actor: 'test' });
    // A success from before the reset (a request that started earlier) does not reopen it.
    await recordTripleOutcome(db, {
      tripleId: t1,
      outcome: { kind: 'ok' },
      policy,
      now: NOW + 1000,
      actor: 'test',
    });
    let [row] = await db.select().from(quotaBuckets).where(eq(quotaBuckets.id, bucket.id));
    expect(row?.cooldownUntil?.getTime()).toBe(NOW + 60_000);
    await recordTripleOutcome(db, {
      tripleId: t1,
      outcome: { kind: 'ok' },
      policy,
      now: NOW + 61_000,
      actor: 'test',
    });
    [row] = await db.select().from(quotaBuckets).where(eq(quotaBuckets.id, bucket.id));
    expect(row?.cooldownUntil).toBeNull();
    expect((await bucketAudit(provider)).map((entry) => entry.toState)).toEqual(['cooldown', 'active']);
  });

  it('marks the proxy bad on proxy_error and leaves the triple alone', async () => {
    const { t1, proxy } = await seedKey();
    await recordTripleOutcome(db, {
      tripleId: t1,
      outcome: failure('proxy_error'),
      policy,
      now: NOW,
      actor: 'test',
      proxyId: proxy.id,
    });
    expect((await tripleRow(t1))?.state).toBe('active');
    const [row] = await db.select().from(proxies).where(eq(proxies.id, proxy.id));
    expect(row?.healthy).toBe(false);
  });

  it('resets failures and updates the averages on success', async () => {
    const { t1 } = await seedKey();
    await recordTripleOutcome(db, {
      tripleId: t1,
      outcome: failure('server_error'),
      policy,
      now: NOW,
      actor: 'test',
    });
    expect((await tripleRow(t1))?.consecutiveFailures).toBe(1);
    await recordTripleOutcome(db, {
      tripleId: t1,
      outcome: { kind: 'ok', latencyMs: 100 },
      policy,
      now: NOW,
      actor: 'test',
      probe: true,
    });
    const row = await tripleRow(t1);
    expect(row?.consecutiveFailures).toBe(0);
    expect(row?.ewmaSuccess).toBeCloseTo(0.8 * 0.8 + 0.2, 5);
    expect(row?.ewmaLatencyMs).toBe(100);
    expect(row?.lastProbedAt?.getTime()).toBe(NOW);
    expect(row?.lastOkAt?.getTime()).toBe(NOW);
  });

  it('returns null for a triple that no longer exists', async () => {
    expect(
      await recordTripleOutcome(db, {
        tripleId: 999_999,
        outcome: { kind: 'ok' },
        policy,
        now: NOW,
        actor: 'test',
      }),
    ).toBeNull();
  });
});
