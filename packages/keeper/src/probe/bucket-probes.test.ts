import { randomBytes } from 'node:crypto';
import { createTestUpstream, type TestUpstream } from '@llmgw/testkit';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createProbeFixture, type ProbeFixture } from './probe-fixture.js';
import { type ProbeLoop, startProbeLoop } from './probe-loop.js';

let fixture: ProbeFixture<TestUpstream>;
let loop: ProbeLoop | null = null;

const secret = (prefix: string) => `${prefix}${randomBytes(12).toString('hex')}`;

/** A bucket of provider `openai` with the given cooldown end (epoch ms, null = none). */
async function seedBucket(name: string, cooldownUntil: number | null): Promise<number> {
  const [row] = await fixture.query<{ id: number }>(
    `insert into quota_buckets (provider, name, cooldown_until, cooldown_reason)
     values ('openai', $1, $2, $3) returning id::float8 as id`,
    [
      name,
      cooldownUntil === null ? null : new Date(cooldownUntil),
      cooldownUntil === null ? null : 'no_quota',
    ],
  );
  if (!row) throw new Error('bucket insert returned nothing');
  return row.id;
}

async function seedBucketKey(prefix: string, bucketId: number, state: 'untested' | 'active' = 'untested') {
  const key = secret(prefix);
  const seeded = await fixture.seedKey(key);
  await fixture.query('update keys set bucket_id = $1 where id = $2', [bucketId, seeded.keyId]);
  if (state === 'active') {
    // Healthy and recently probed: its own schedule would not look at it for a quarter of an hour.
    await fixture.query(
      `update triples set state = 'active', last_probed_at = now() - interval '1 hour',
         next_probe_at = now() + interval '15 minutes' where id = $1`,
      [seeded.tripleId],
    );
  }
  return { ...seeded, secret: key };
}

async function bucketRow(id: number) {
  const [row] = await fixture.query<{ until: number | null; reason: string | null }>(
    `select (extract(epoch from cooldown_until) * 1000)::float8 as until, cooldown_reason as reason
     from quota_buckets where id = $1`,
    [id],
  );
  return row;
}

const bucketAudit = (name: string) =>
  fixture.query<{ to_state: string; reason: string | null }>(
    `select to_state, reason from state_changes where scope = 'bucket' and subject = $1 order by id`,
    [`openai/${name}`],
  );

beforeAll(async () => {
  fixture = await createProbeFixture(await createTestUpstream());
});
afterAll(async () => {
  await fixture.dispose();
});
beforeEach(async () => {
  await fixture.reset();
});
afterEach(async () => {
  await loop?.stop();
  loop = null;
});

describe('probes and quota buckets', () => {
  it('never probes the keys of a cooling bucket, and probes the others', async () => {
    const cooling = await seedBucket('a', Date.now() + 60_000);
    const a1 = await seedBucketKey('sk-ok-', cooling);
    const a2 = await seedBucketKey('sk-ok-', cooling);
    const loose = await fixture.seedKey(secret('sk-ok-'));
    loop = startProbeLoop(fixture.deps);
    const report = await loop.tickNow();
    expect(report.probed).toBe(1);
    expect(fixture.upstream.callsFor(a1.secret)).toHaveLength(0);
    expect(fixture.upstream.callsFor(a2.secret)).toHaveLength(0);
    expect((await fixture.triple(loose.tripleId)).state).toBe('active');
    expect((await fixture.triple(a1.tripleId)).state).toBe('untested');
  });

  it('probes one key of a bucket when its reset passes, and a success reopens the bucket', async () => {
    const ended = await seedBucket('a', Date.now() - 1_000);
    const keys = [
      await seedBucketKey('sk-ok-', ended, 'active'),
      await seedBucketKey('sk-ok-', ended, 'active'),
      await seedBucketKey('sk-ok-', ended, 'active'),
    ];
    loop = startProbeLoop(fixture.deps);
    const report = await loop.tickNow();
    expect(report.probed).toBe(1);
    const called = keys.filter((key) => fixture.upstream.callsFor(key.secret).length > 0);
    expect(called).toHaveLength(1);
    expect((await bucketRow(ended))?.until).toBeNull();
    expect((await bucketAudit('a')).map((row) => row.to_state)).toEqual(['active']);
    // Reopened: the bucket's keys are back on their own schedules, so the next tick probes nobody.
    expect((await loop.tickNow()).probed).toBe(0);
  });

  it('probes the due keys of a bucket past its reset one at a time until one proves it back', async () => {
    const ended = await seedBucket('a', Date.now() - 1_000);
    const first = await seedBucketKey('sk-slow-', ended);
    const second = await seedBucketKey('sk-ok-', ended);
    // The first answers slowly: probed together, the second would arrive long before it is answered.
    fixture.upstream.setBehavior(first.secret, { kind: 'ok', firstByteDelayMs: 400 });
    loop = startProbeLoop(fixture.deps);
    await loop.tickNow();
    const firstCall = fixture.upstream.callsFor(first.secret)[0];
    const secondCall = fixture.upstream.callsFor(second.secret)[0];
    expect(firstCall?.durationMs).toBeGreaterThanOrEqual(400);
    expect(secondCall?.at).toBeGreaterThanOrEqual((firstCall?.at ?? 0) + (firstCall?.durationMs ?? 0));
    expect((await fixture.triple(first.tripleId)).state).toBe('active');
    expect((await fixture.triple(second.tripleId)).state).toBe('active');
    expect((await bucketRow(ended))?.until).toBeNull();
  });

  it('cools the bucket once on a shared-quota 429 from probes and leaves the keys their own state', async () => {
    const bucket = await seedBucket('a', null);
    const a1 = await seedBucketKey('test-429-', bucket);
    const a2 = await seedBucketKey('test-429-', bucket);
    const before = Date.now();
    loop = startProbeLoop(fixture.deps);
    const report = await loop.tickNow();
    expect(report.outcomes).toEqual({ rate_limited: 2 });
    const row = await bucketRow(bucket);
    expect(row?.reason).toBe('rate_limited');
    // The testkit's OpenAI 429 states `retry-after: 2`.
    expect(row?.until).toBeGreaterThanOrEqual(before + 2_000);
    expect(await bucketAudit('a')).toEqual([{ to_state: 'cooldown', reason: 'rate_limited' }]);
    for (const key of [a1, a2]) expect((await fixture.triple(key.tripleId)).state).toBe('untested');
    // Until the reset nothing of the bucket is probed again.
    expect((await loop.tickNow()).probed).toBe(0);
  });
});
