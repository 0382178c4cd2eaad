import { createForwardProxy, createTestUpstream, type ForwardProxy, type TestUpstream } from '@llmgw/testkit';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createProbeFixture, deadPort, type ProbeFixture } from './probe-fixture.js';
import { checkBadProxies } from './proxy-health.js';

let fixture: ProbeFixture<TestUpstream>;
let proxy: ForwardProxy;
beforeAll(async () => {
  fixture = await createProbeFixture(await createTestUpstream());
  proxy = await createForwardProxy();
});
afterAll(async () => {
  await proxy.close();
  await fixture.dispose();
});
beforeEach(async () => {
  await fixture.reset();
  fixture.configure({ proxy: 'pool:eu' });
});

async function markBad(id: number, cooldownUntil: number): Promise<void> {
  await fixture.query(`update proxies set healthy = false, cooldown_until = $2 where id = $1`, [
    id,
    new Date(cooldownUntil).toISOString(),
  ]);
}

describe('proxy health check', () => {
  it('marks a bad proxy healthy again once it works, with an audit row', async () => {
    const id = await fixture.seedProxy(proxy.url);
    await markBad(id, Date.now() - 1_000);
    const report = await checkBadProxies(fixture.deps, Date.now(), new AbortController().signal);
    expect(report).toEqual({ checked: 1, recovered: 1 });
    expect(proxy.connects()).toBeGreaterThan(0);
    const [row] = await fixture.query<{ healthy: boolean; cooldown_until: Date | null }>(
      'select healthy, cooldown_until from proxies where id = $1',
      [id],
    );
    expect(row).toEqual({ healthy: true, cooldown_until: null });
    const audit = await fixture.query<{ from_state: string; to_state: string }>(
      'select from_state, to_state from state_changes where scope = $1',
      ['proxy'],
    );
    expect(audit).toEqual([{ from_state: 'bad', to_state: 'healthy' }]);
  });

  it('leaves a proxy alone during its cooldown, and backs off when it still fails', async () => {
    const resting = await fixture.seedProxy(proxy.url);
    await markBad(resting, Date.now() + 60_000);
    const dead = await fixture.seedProxy(`http://127.0.0.1:${await deadPort()}`);
    await markBad(dead, Date.now() - 1_000);
    const report = await checkBadProxies(fixture.deps, Date.now(), new AbortController().signal);
    expect(report).toEqual({ checked: 1, recovered: 0 });
    const [row] = await fixture.query<{ healthy: boolean; cooldown_until: Date }>(
      'select healthy, cooldown_until from proxies where id = $1',
      [dead],
    );
    expect(row?.healthy).toBe(false);
    expect(new Date(row?.cooldown_until ?? 0).getTime()).toBeGreaterThan(Date.now());
  });
});
