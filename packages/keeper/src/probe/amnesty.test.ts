import { createTestUpstream, type TestUpstream } from '@llmgw/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAmnesty } from './amnesty.js';
import { createProbeFixture, type ProbeFixture } from './probe-fixture.js';

let fixture: ProbeFixture<TestUpstream>;
beforeAll(async () => {
  fixture = await createProbeFixture(await createTestUpstream());
});
afterAll(async () => {
  await fixture.dispose();
});

describe('daily amnesty', () => {
  it('starts dead and unsupported triples over as untested, audited and due at once', async () => {
    const dead = await fixture.seedKey('sk-amnesty-dead-000001');
    const unsupported = await fixture.seedKey('sk-amnesty-nomodel-0001');
    const quota = await fixture.seedKey('sk-amnesty-quota-000001');
    const until = new Date(Date.now() + 3_600_000).toISOString();
    await fixture.query(
      `update triples set state = 'dead', reason = 'invalid_key', consecutive_failures = 2 where id = $1`,
      [dead.tripleId],
    );
    await fixture.query(
      `update triples set state = 'unsupported', reason = 'model_unavailable' where id = $1`,
      [unsupported.tripleId],
    );
    await fixture.query(
      `update triples set state = 'no_quota', reason = 'no_quota', cooldown_until = $2 where id = $1`,
      [quota.tripleId, until],
    );
    const before = Date.now();

    const report = await runAmnesty(fixture.deps, ['openai']);

    expect(report.reset).toEqual({ openai: 2 });
    const triple = await fixture.triple(dead.tripleId);
    expect(triple).toMatchObject({ state: 'untested', reason: null, consecutiveFailures: 0 });
    expect(triple.nextProbeAt?.getTime()).toBeGreaterThanOrEqual(before);
    expect(triple.nextProbeAt?.getTime()).toBeLessThanOrEqual(Date.now());
    expect(await fixture.triple(unsupported.tripleId)).toMatchObject({ state: 'untested' });
    // A known quota reset is honoured: the due query probes it when its cooldown ends, not before.
    expect(await fixture.triple(quota.tripleId)).toMatchObject({ state: 'no_quota' });
    const audit = await fixture.query<{ from_state: string; to_state: string; reason: string }>(
      'select from_state, to_state, reason from state_changes where triple_id = $1',
      [dead.tripleId],
    );
    expect(audit).toEqual([{ from_state: 'dead', to_state: 'untested', reason: 'amnesty' }]);
    expect(fixture.logs.some((line) => line.includes('"keeper.amnesty"'))).toBe(true);
  });
});
