import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createDatabase } from './create-database.js';
import { migrateDatabase } from './migrate-database.js';
import { countShippedMigrations } from './migrations-state.js';
import { readiness } from './readiness.js';
import { DRIVERS, type DriverFixture } from './test-drivers.js';
import { createTestDatabase } from './testing.js';

const shipped = await countShippedMigrations();

describe('migrateDatabase on postgres', () => {
  let fixture: DriverFixture | undefined;
  afterAll(async () => fixture?.dispose());

  it('applies every shipped migration to an empty database, then nothing the second time', async () => {
    fixture = await DRIVERS.postgres();
    const { database } = fixture;
    expect(shipped).toBeGreaterThan(0);
    expect(await readiness(database)).toMatchObject({
      ready: false,
      reachable: true,
      applied: 0,
      expected: shipped,
    });

    expect(await migrateDatabase(database)).toEqual({ applied: shipped });
    expect(await migrateDatabase(database)).toEqual({ applied: 0 });

    expect(await readiness(database)).toMatchObject({ ready: true, applied: shipped, expected: shipped });
    const tables = await database.query<{ name: string }>(
      `select table_name as name from information_schema.tables where table_schema = 'public'`,
    );
    expect(tables.map((row) => row.name)).toEqual(
      expect.arrayContaining(['triples', 'keys', 'attempts', 'leases']),
    );
  });
});

describe('migrateDatabase on postgres, two processes booting at once', () => {
  it('lets both succeed and applies each migration exactly once', async () => {
    const testDatabase = await createTestDatabase();
    // Two databases = two pools, as two processes would have.
    const first = await createDatabase({ url: testDatabase.url });
    const second = await createDatabase({ url: testDatabase.url });
    try {
      const results = await Promise.all([migrateDatabase(first), migrateDatabase(second)]);
      expect(results.map((result) => result.applied).sort()).toEqual([0, shipped]);
      const [row] = await first.query<{ count: number }>(
        'select count(*)::int as count from drizzle.__drizzle_migrations',
      );
      expect(row?.count).toBe(shipped);
    } finally {
      await Promise.all([first.close(), second.close()]);
      await testDatabase.drop();
    }
  });
});

// One fresh PGlite per file: its first start (initdb) is the slow part of this suite.
describe('migrateDatabase on pglite', () => {
  it('applies every shipped migration, then nothing, and keeps them under <dataDir>/pglite', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'llmgw-db-'));
    try {
      const first = await createDatabase({ dataDir });
      expect(await readiness(first)).toMatchObject({ ready: false, reachable: true, applied: 0 });
      expect(await migrateDatabase(first)).toEqual({ applied: shipped });
      expect(await migrateDatabase(first)).toEqual({ applied: 0 });
      await first.close();
      expect(await readdir(dataDir)).toEqual(['pglite']);

      const reopened = await createDatabase({ dataDir });
      try {
        expect(reopened.kind).toBe('pglite');
        expect(await readiness(reopened)).toMatchObject({ ready: true, applied: shipped });
        expect(await migrateDatabase(reopened)).toEqual({ applied: 0 });
      } finally {
        await reopened.close();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
