import { countShippedMigrations } from '@llmgw/db';
import { afterAll, describe, expect, it } from 'vitest';
import { createApp } from './app.js';
import {
  captureLog,
  createListPool,
  createScriptedRelay,
  type DatabaseFixture,
  okJson,
  openTestDatabase,
  testConfig,
} from './test-support.js';

const fixtures: DatabaseFixture[] = [];
afterAll(async () => {
  await Promise.all(fixtures.map((fixture) => fixture.dispose()));
});

async function appOn(options: { migrate: boolean }) {
  const fixture = await openTestDatabase(options);
  fixtures.push(fixture);
  const app = createApp({
    config: testConfig(),
    relay: createScriptedRelay(() => okJson({})),
    pool: createListPool([]),
    database: fixture.database,
    log: captureLog().log,
  });
  return { app, database: fixture.database };
}

describe('health endpoints', () => {
  it('/healthz answers 200 without auth', async () => {
    const { app } = await appOn({ migrate: false });
    const response = await app.request('/healthz');
    expect(response.status).toBe(200);
  });

  it('/readyz answers 200 when the database is reachable and migrated', async () => {
    const { app } = await appOn({ migrate: true });
    const response = await app.request('/readyz');
    expect(response.status).toBe(200);
    const shipped = await countShippedMigrations();
    expect(await response.json()).toMatchObject({
      status: 'ready',
      database: { reachable: true, migrations: { applied: shipped, expected: shipped } },
    });
  });

  it('/readyz answers 503 naming the missing migrations', async () => {
    const { app } = await appOn({ migrate: false });
    const response = await app.request('/readyz');
    expect(response.status).toBe(503);
    const body = (await response.json()) as { status: string; detail: string };
    expect(body.status).toBe('not_ready');
    expect(body.detail).toContain('llmgw db migrate');
  });

  it('/readyz answers 503 when the database is gone', async () => {
    const { app, database } = await appOn({ migrate: true });
    await database.close();
    const response = await app.request('/readyz');
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ status: 'not_ready', database: { reachable: false } });
  });
});
