// Test-only helper (imported by *.test.ts): both drivers, freshly created, so every behaviour is checked on each.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDatabase } from './create-database.js';
import type { Database } from './database.js';
import { createTestDatabase } from './testing.js';

export interface DriverFixture {
  database: Database;
  /** Closes the database and removes what the fixture created. */
  dispose(): Promise<void>;
}

export const DRIVERS = {
  async postgres(): Promise<DriverFixture> {
    const testDatabase = await createTestDatabase();
    const database = await createDatabase({ url: testDatabase.url });
    return {
      database,
      async dispose() {
        await database.close();
        await testDatabase.drop();
      },
    };
  },
  async pglite(): Promise<DriverFixture> {
    const dataDir = await mkdtemp(join(tmpdir(), 'llmgw-db-'));
    const database = await createDatabase({ dataDir });
    return {
      database,
      async dispose() {
        await database.close();
        await rm(dataDir, { recursive: true, force: true });
      },
    };
  },
} as const;

export const DRIVER_NAMES = Object.keys(DRIVERS) as (keyof typeof DRIVERS)[];
