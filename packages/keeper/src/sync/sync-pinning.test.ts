import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSyncFixture, fakeKeys, type SyncFixture } from './sync-fixture.js';
import { syncPool } from './sync-pool.js';

const KEYS = fakeKeys('AIza', 200);
const PROXIES = ['http://user:hunter2pw@10.0.0.1:3128', '10.0.0.2:3128', '10.0.0.3:3128', '10.0.0.4:3128'];

let fixture: SyncFixture;
beforeEach(async () => {
  fixture = await createSyncFixture('postgres', {
    providers: { gemini: { models: ['gemini-flash'], proxy: 'pool:eu' }, groq: { models: ['llama'] } },
  });
  await fixture.write('proxies/eu.txt', `${PROXIES.join('\n')}\n`);
  await fixture.write('keys/gemini.txt', `${KEYS.join('\n')}\n`);
  await fixture.write('keys/groq.txt', `${fakeKeys('gsk_', 5).join('\n')}\n`);
});
afterEach(async () => {
  const logs = fixture.logs.join('\n');
  expect(logs).not.toContain('hunter2pw');
  for (const key of KEYS) expect(logs).not.toContain(key);
  await fixture.dispose();
});

async function pins(): Promise<Map<string, string | null>> {
  const rows = await fixture.query<{ fingerprint: string; proxy_id: string | null }>(
    `select fingerprint, proxy_id::text as proxy_id from keys where provider = 'gemini'`,
  );
  return new Map(rows.map((row) => [row.fingerprint, row.proxy_id]));
}

describe('pinning keys of a pool provider', () => {
  it('spreads keys over the pool, stores masked proxies and leaves direct providers unpinned', async () => {
    const report = await syncPool(fixture.deps);
    expect(report.proxies).toMatchObject({ live: 4, added: 4 });
    const counts = new Map<string | null, number>();
    for (const proxy of (await pins()).values()) counts.set(proxy, (counts.get(proxy) ?? 0) + 1);
    expect(counts.has(null)).toBe(false);
    expect(counts.size).toBe(4);
    for (const count of counts.values()) expect(count).toBeGreaterThan(20);
    expect(
      await fixture.query(
        `select count(*)::int as n from keys where provider = 'groq' and proxy_id is not null`,
      ),
    ).toEqual([{ n: 0 }]);
    const masks = await fixture.query<{ mask: string; source_line: number }>(
      'select mask, source_line from proxies order by source_line',
    );
    expect(masks[0]).toEqual({ mask: 'http://***@10.0.0.1:3128', source_line: 1 });
  });

  it('moves only the keys of a proxy that went bad, and no key when a proxy is added', async () => {
    await syncPool(fixture.deps);
    const before = await pins();
    const [bad] = await fixture.query<{ id: string }>(
      `select id::text as id from proxies where url = 'http://10.0.0.2:3128'`,
    );
    await fixture.query('update proxies set healthy = false where id = $1', [bad?.id]);
    const onBad = [...before.values()].filter((proxy) => proxy === bad?.id).length;

    const report = await syncPool(fixture.deps);

    expect(report.keys.repinned).toBe(onBad);
    const after = await pins();
    for (const [fingerprint, proxy] of before) {
      if (proxy === bad?.id) expect(after.get(fingerprint)).not.toBe(bad?.id);
      else expect(after.get(fingerprint)).toBe(proxy);
    }

    await fixture.write('proxies/eu.txt', `${[...PROXIES, '10.0.0.5:3128'].join('\n')}\n`);
    const grown = await syncPool(fixture.deps);
    expect(grown.proxies.added).toBe(1);
    expect(grown.keys.repinned).toBe(0);
  });

  it('moves the keys of a proxy deleted from the pool file and soft-removes it', async () => {
    await syncPool(fixture.deps);
    await fixture.write('proxies/eu.txt', `${PROXIES.slice(1).join('\n')}\n`);
    const report = await syncPool(fixture.deps);
    expect(report.proxies.removed).toBe(1);
    expect(report.keys.repinned).toBeGreaterThan(0);
    const stale = await fixture.query(
      `select k.id from keys k join proxies p on p.id = k.proxy_id where p.removed_at is not null`,
    );
    expect(stale).toEqual([]);
  });
});
