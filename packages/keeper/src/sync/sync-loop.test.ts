import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSyncFixture, fakeKeys, type SyncFixture } from './sync-fixture.js';
import { type SyncLoop, startSyncLoop } from './sync-loop.js';

const KEYS = fakeKeys('gsk_', 4);
// Far in the future: only the start, the watcher and syncNow trigger syncs in these tests.
const YEARLY = '0 0 1 1 *';

let fixture: SyncFixture;
let loop: SyncLoop | null = null;
beforeEach(async () => {
  fixture = await createSyncFixture('postgres', { providers: { groq: { models: ['llama'] } } });
});
afterEach(async () => {
  await loop?.stop();
  loop = null;
  const logs = fixture.logs.join('\n');
  for (const key of KEYS) expect(logs).not.toContain(key);
  await fixture.dispose();
});

async function liveKeys(): Promise<number> {
  const [row] = await fixture.query<{ n: number }>(
    `select count(*)::int as n from keys where provider = 'groq' and removed_at is null`,
  );
  return row?.n ?? -1;
}

async function eventually(check: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) throw new Error(`not reflected within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return Date.now() - started;
}

describe('the sync loop', () => {
  it('applies a dropped, edited and deleted key file within seconds', async () => {
    await fixture.write('keys/groq.txt', `${KEYS[0]}\n`);
    loop = startSyncLoop(fixture.deps, { schedule: YEARLY, watch: true });
    await eventually(async () => (await liveKeys()) === 1, 3000);

    await fixture.write('keys/groq/team-b.txt', `${KEYS[1]}\n${KEYS[2]}\n`);
    await eventually(async () => (await liveKeys()) === 3, 3000);

    await fixture.write('keys/groq.txt', `${KEYS[3]}\n`);
    await eventually(async () => (await liveKeys()) === 3, 3000);
    await eventually(async () => {
      const rows = await fixture.query<{ line: number }>(
        `select source_line as line from keys where provider = 'groq' and removed_at is not null`,
      );
      return rows.length === 1;
    }, 3000);

    await fixture.remove('keys/groq/team-b.txt');
    await eventually(async () => (await liveKeys()) === 1, 3000);
  });

  it('notices a keys folder created after it started', async () => {
    loop = startSyncLoop(fixture.deps, {
      schedule: YEARLY,
      watch: true,
      watchOptions: { pollMs: 200, debounceMs: 100 },
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    await fixture.write('keys/groq.txt', `${KEYS[0]}\n`);
    await eventually(async () => (await liveKeys()) === 1, 3000);
  });

  it('never runs two syncs at once and coalesces triggers during a sync into one more', async () => {
    await fixture.write('keys/groq.txt', `${KEYS[0]}\n`);
    let starts = 0;
    let active = false;
    let overlapped = false;
    loop = startSyncLoop(fixture.deps, {
      schedule: YEARLY,
      watch: false,
      // A sync reports (0, total) when it starts and (total, total) when it is done.
      onProgress: (done, total) => {
        if (done === 0) {
          if (active) overlapped = true;
          active = true;
          starts += 1;
        } else if (done === total) active = false;
      },
    });
    const during = [loop.syncNow(), loop.syncNow(), loop.syncNow()];
    const reports = await Promise.all(during);
    expect(overlapped).toBe(false);
    // The start-up sync, then exactly one for the three triggers that arrived while it ran.
    expect(starts).toBe(2);
    expect(reports[1]).toBe(reports[2]);
  });

  it('logs a failed sync, keeps running and succeeds on the next trigger', async () => {
    await fixture.write('keys/groq.txt', `${KEYS[0]}\n`);
    await fixture.query('alter table keys rename to keys_moved');
    loop = startSyncLoop(fixture.deps, { schedule: YEARLY, watch: false });
    await expect(loop.syncNow()).rejects.toThrow(/key sync failed/);
    expect(fixture.logs.some((line) => line.includes('keeper.sync.failed'))).toBe(true);
    await fixture.query('alter table keys_moved rename to keys');
    const report = await loop.syncNow();
    expect(report.keys.live).toBe(1);
  });
});
