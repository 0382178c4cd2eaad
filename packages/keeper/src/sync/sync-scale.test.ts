import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSyncFixture, fakeKeys, type SyncFixture } from './sync-fixture.js';
import { syncPool } from './sync-pool.js';

const KEY_COUNT = 10_000;
const MODELS = ['model-a', 'model-b', 'model-c'];

let fixture: SyncFixture;
beforeAll(async () => {
  fixture = await createSyncFixture('postgres', {
    providers: { openai: { models: MODELS, proxy: 'pool:eu' } },
  });
  await fixture.write('proxies/eu.txt', '10.0.0.1:3128\n10.0.0.2:3128\n10.0.0.3:3128\n');
  await fixture.write('keys/openai.txt', `${fakeKeys('sk-', KEY_COUNT).join('\n')}\n`);
});
afterAll(async () => {
  await fixture.dispose();
});

describe('syncing 10,000 keys on Postgres', () => {
  it('loads them in batches and re-syncs cheaply when nothing changed', async () => {
    const progress: [number, number][] = [];
    const first = await syncPool(fixture.deps, { onProgress: (done, total) => progress.push([done, total]) });
    expect(first.keys.added).toBe(KEY_COUNT);
    expect(first.triples.added).toBe(KEY_COUNT * MODELS.length);
    expect(progress.at(-1)).toEqual([KEY_COUNT, KEY_COUNT]);
    expect(progress.length).toBeGreaterThan(KEY_COUNT / 1000);

    const again = await syncPool(fixture.deps);
    expect(again.keys).toMatchObject({ added: 0, updated: 0, removed: 0, repinned: 0 });
    expect(again.triples).toEqual({ added: 0, removed: 0, restored: 0 });

    await fixture.write('keys/openai.txt', `${fakeKeys('sk-', KEY_COUNT - 1000).join('\n')}\n`);
    const shrunk = await syncPool(fixture.deps);
    expect(shrunk.keys.removed).toBe(1000);
    expect(shrunk.triples.removed).toBe(1000 * MODELS.length);

    console.log(
      `sync of ${KEY_COUNT} keys × ${MODELS.length} models on Postgres: first ${first.durationMs} ms, ` +
        `no-change re-sync ${again.durationMs} ms, removing 1000 keys ${shrunk.durationMs} ms`,
    );
    // A sanity guard only; the figures above are what to look at.
    expect(first.durationMs).toBeLessThan(60_000);
    expect(again.durationMs).toBeLessThan(first.durationMs);
  });
});
