import { randomBytes } from 'node:crypto';
import { windowStart } from '@llmgw/db';
import { rateWindows } from '@llmgw/db/schema';
import { createTestUpstream, type TestUpstream } from '@llmgw/testkit';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createProbeFixture, deadPort, type ProbeFixture, waitFor } from './probe-fixture.js';
import { type ProbeLoop, startProbeLoop } from './probe-loop.js';

const MIN = 60_000;
let fixture: ProbeFixture<TestUpstream>;
let loop: ProbeLoop | null = null;

function secret(prefix: string): string {
  return `${prefix}${randomBytes(12).toString('hex')}`;
}

function start(): ProbeLoop {
  loop = startProbeLoop(fixture.deps);
  return loop;
}

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

describe('a probe tick', () => {
  it('moves every kind of key to its state within one tick, honouring Retry-After', async () => {
    const keys = {
      ok: await fixture.seedKey(secret('sk-ok-')),
      dead: await fixture.seedKey(secret('test-401-')),
      quota: await fixture.seedKey(secret('test-quota-')),
      limited: await fixture.seedKey(secret('test-429-')),
      nomodel: await fixture.seedKey(secret('test-nomodel-')),
      flaky: await fixture.seedKey(secret('test-flaky-')),
      broken: await fixture.seedKey(secret('test-5xx-')),
    };
    const before = Date.now();
    const report = await start().tickNow();
    const after = Date.now();

    expect(report.probed).toBe(7);
    expect(report.outcomes).toEqual({
      ok: 2,
      invalid_key: 1,
      no_quota: 1,
      rate_limited: 1,
      model_unavailable: 1,
      server_error: 1,
    });
    const ok = await fixture.triple(keys.ok.tripleId);
    expect(ok).toMatchObject({ state: 'active', reason: null });
    expect(ok.lastProbedAt).not.toBeNull();
    expect(await fixture.triple(keys.dead.tripleId)).toMatchObject({ state: 'dead', reason: 'invalid_key' });
    expect(await fixture.triple(keys.nomodel.tripleId)).toMatchObject({
      state: 'unsupported',
      reason: 'model_unavailable',
    });
    expect(await fixture.triple(keys.flaky.tripleId)).toMatchObject({ state: 'active' });

    const quota = await fixture.triple(keys.quota.tripleId);
    expect(quota).toMatchObject({ state: 'no_quota', reason: 'no_quota' });
    expect(quota.cooldownUntil?.getTime()).toBeGreaterThanOrEqual(before + 6 * 60 * MIN);

    const limited = await fixture.triple(keys.limited.tripleId);
    expect(limited).toMatchObject({ state: 'cooldown', reason: 'rate_limited' });
    expect(limited.cooldownUntil?.getTime()).toBeGreaterThanOrEqual(before + 2_000);
    expect(limited.cooldownUntil?.getTime()).toBeLessThanOrEqual(after + 2_000);
    // The cooldown's end is exactly when the keeper looks again.
    expect(limited.nextProbeAt).toEqual(limited.cooldownUntil);

    // One 500 is below the breaker threshold: the state holds and the next probe backs off.
    const broken = await fixture.triple(keys.broken.tripleId);
    expect(broken).toMatchObject({ state: 'untested', consecutiveFailures: 1 });
    expect(broken.nextProbeAt?.getTime()).toBeGreaterThanOrEqual(before + 30_000);

    expect(await fixture.triple(keys.dead.tripleId)).toMatchObject({ nextProbeAt: null });
    const [attempts] = await fixture.query<{ count: string }>(
      'select count(*) from attempts where probe and status is not null',
    );
    expect(Number(attempts?.count)).toBe(7);
    // The tick summary counts reasons; it never names, let alone shows, a key.
    const summary = fixture.logs.find((line) => line.includes('"keeper.probe_tick"'));
    expect(summary).toContain('"invalid_key":1');
    for (const line of fixture.logs) expect(line).not.toMatch(/test-(401|quota|429)-[0-9a-f]{6}/);
  });

  it('probes an active triple again only after interval_active', async () => {
    const { tripleId } = await fixture.seedKey(secret('sk-ok-'));
    const before = Date.now();
    const first = await start().tickNow();
    expect(first.probed).toBe(1);
    const active = await fixture.triple(tripleId);
    const next = active.nextProbeAt?.getTime() ?? 0;
    expect(next).toBeGreaterThanOrEqual(before + 0.9 * 15 * MIN);
    expect(next).toBeLessThanOrEqual(Date.now() + 1.1 * 15 * MIN);
    const second = await loop?.tickNow();
    expect(second?.probed).toBe(0);
  });

  it('treats a recent real success as evidence and does not probe', async () => {
    const key = secret('sk-ok-');
    const { tripleId } = await fixture.seedKey(key);
    const lastOk = Date.now() - 5 * MIN;
    await fixture.query(
      `update triples set state = 'active', last_ok_at = $2, next_probe_at = $3 where id = $1`,
      [tripleId, new Date(lastOk).toISOString(), new Date(Date.now() - 1_000).toISOString()],
    );
    const report = await start().tickNow();
    expect(report).toMatchObject({ probed: 0, deferredByTraffic: 1 });
    expect(fixture.upstream.callsFor(key)).toHaveLength(0);
    expect((await fixture.triple(tripleId)).nextProbeAt?.getTime()).toBe(lastOk + 15 * MIN);
  });

  it('does not probe a triple that used up its RPM, and looks again when the minute ends', async () => {
    fixture.configure({ limits: { rpm: 1 } });
    const key = secret('sk-ok-');
    const { tripleId } = await fixture.seedKey(key);
    // The current and the next minute, so the test holds across a minute boundary.
    for (const at of [Date.now(), Date.now() + MIN]) {
      await fixture.database.db
        .insert(rateWindows)
        .values({ tripleId, kind: 'minute', windowStart: new Date(windowStart('minute', at)), requests: 1 });
    }
    const report = await start().tickNow();
    expect(report).toMatchObject({ probed: 0, rateLimited: 1 });
    expect(fixture.upstream.callsFor(key)).toHaveLength(0);
    const triple = await fixture.triple(tripleId);
    expect(triple.state).toBe('untested');
    expect(triple.nextProbeAt?.getTime() ?? 0).toBeGreaterThan(Date.now());
  });

  it('counts a probe as a request in the minute and day windows', async () => {
    const { tripleId } = await fixture.seedKey(secret('sk-ok-'));
    await start().tickNow();
    const rows = await fixture.query<{ kind: string; requests: number }>(
      'select kind, requests from rate_windows where triple_id = $1 order by kind',
      [tripleId],
    );
    expect(rows).toEqual([
      { kind: 'day', requests: 1 },
      { kind: 'minute', requests: 1 },
    ]);
  });

  it('never has more than per_provider_concurrency probes in flight for a provider', async () => {
    fixture.configure({}, { probe: { per_provider_concurrency: 2, concurrency: 16 } });
    fixture.upstream.setDefaultBehavior({ kind: 'ok', delayMs: 250 });
    for (let index = 0; index < 6; index += 1) await fixture.seedKey(secret('sk-slow-'));
    let peak = 0;
    const sampler = setInterval(() => {
      peak = Math.max(peak, fixture.upstream.inFlight());
    }, 5);
    try {
      const report = await start().tickNow();
      expect(report.probed).toBe(6);
    } finally {
      clearInterval(sampler);
      fixture.upstream.setDefaultBehavior({ kind: 'ok' });
    }
    expect(peak).toBe(2);
  });
});

describe('correlated failures', () => {
  it('blames a dead proxy, not the keys behind it', async () => {
    const proxyId = await fixture.seedProxy(`http://127.0.0.1:${await deadPort()}`);
    fixture.configure({ proxy: 'pool:eu' });
    const seeded = [];
    for (let index = 0; index < 3; index += 1)
      seeded.push(await fixture.seedKey(secret('sk-ok-'), { proxyId }));

    const report = await start().tickNow();
    expect(report.proxiesMarkedBad).toEqual([proxyId]);
    expect(report.spared).toBe(3);
    const [proxy] = await fixture.query<{ healthy: boolean; cooldown_until: Date | null }>(
      'select healthy, cooldown_until from proxies where id = $1',
      [proxyId],
    );
    expect(proxy?.healthy).toBe(false);
    expect(proxy?.cooldown_until).not.toBeNull();
    for (const { tripleId } of seeded) {
      expect(await fixture.triple(tripleId)).toMatchObject({ state: 'untested', consecutiveFailures: 0 });
    }
    const audit = await fixture.query<{ scope: string; to_state: string }>(
      'select scope, to_state from state_changes',
    );
    expect(audit).toEqual([{ scope: 'proxy', to_state: 'bad' }]);
    // The keys wait for their proxy: nothing behind a bad proxy is probed.
    expect((await loop?.tickNow())?.probed).toBe(0);
  });

  it('cools the provider when its keys fail together, before any key is blamed', async () => {
    // A threshold of 1 would open each key's breaker at the first 500 if the keys were blamed first.
    fixture.configure({ health: { breaker: { failure_threshold: 1 } } });
    const seeded = [];
    for (let index = 0; index < 3; index += 1) seeded.push(await fixture.seedKey(secret('test-5xx-')));

    const report = await start().tickNow();
    expect(report.providerCooldowns).toEqual(['openai']);
    expect(report.spared).toBe(3);
    const [provider] = await fixture.query<{ cooldown_until: Date | null; cooldown_reason: string }>(
      `select cooldown_until, cooldown_reason from providers where name = 'openai'`,
    );
    expect(provider?.cooldown_reason).toBe('server_error');
    expect(new Date(provider?.cooldown_until ?? 0).getTime()).toBeGreaterThan(Date.now());
    for (const { tripleId } of seeded) {
      expect(await fixture.triple(tripleId)).toMatchObject({ state: 'untested', consecutiveFailures: 0 });
    }
    const audit = await fixture.query<{ scope: string; subject: string }>(
      'select scope, subject from state_changes',
    );
    expect(audit).toEqual([{ scope: 'provider', subject: 'openai' }]);
  });

  it('still blames a lone failing key among healthy ones', async () => {
    fixture.configure({ health: { breaker: { failure_threshold: 1 } } });
    const broken = await fixture.seedKey(secret('test-5xx-'));
    for (let index = 0; index < 3; index += 1) await fixture.seedKey(secret('sk-ok-'));
    const report = await start().tickNow();
    expect(report.providerCooldowns).toEqual([]);
    expect(await fixture.triple(broken.tripleId)).toMatchObject({
      state: 'cooldown',
      reason: 'server_error',
    });
  });
});

describe('shutdown', () => {
  it('aborts a hanging probe promptly and blames nobody', async () => {
    const key = secret('test-hang-');
    const { tripleId } = await fixture.seedKey(key);
    const running = start().tickNow();
    await waitFor(() => fixture.upstream.inFlight() > 0);
    const stopping = Date.now();
    await loop?.stop();
    loop = null;
    expect(Date.now() - stopping).toBeLessThan(1_000);
    const report = await running;
    expect(report.outcomes).toEqual({});
    expect(await fixture.triple(tripleId)).toMatchObject({ state: 'untested', consecutiveFailures: 0 });
    const [attempts] = await fixture.query<{ count: string }>('select count(*) from attempts');
    expect(Number(attempts?.count)).toBe(0);
  });

  it('counts a probe past keeper.probe.timeout as a timeout', async () => {
    fixture.configure({}, { probe: { timeout: '300ms' } });
    const { tripleId } = await fixture.seedKey(secret('test-hang-'));
    const report = await start().tickNow();
    expect(report.outcomes).toEqual({ timeout: 1 });
    expect(await fixture.triple(tripleId)).toMatchObject({ consecutiveFailures: 1 });
  });
});
