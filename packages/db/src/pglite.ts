import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import { LlmgwError } from '@llmgw/core';
import type { Database, DbSession, RawQuery } from './database.js';
import { attachHooks } from './internal.js';
import { countAppliedMigrations } from './migrations-state.js';
import * as schema from './schema.js';

function rawQuery(client: PGlite): RawQuery {
  return async (text, params = []) => (await client.query<never>(text, [...params])).rows;
}

async function openPglite(directory: string): Promise<PGlite> {
  try {
    await mkdir(directory, { recursive: true });
    // Loaded on first use: a process on PostgreSQL never pays for the embedded engine's code.
    const { PGlite } = await import('@electric-sql/pglite');
    return await PGlite.create(directory);
  } catch (error) {
    const cause = error instanceof Error ? error.message : String(error);
    throw new LlmgwError(`cannot open the embedded database at ${directory}: ${cause}`, { cause: error });
  }
}

/**
 * The embedded database under `<dataDir>/pglite`. PGlite is single-process: one process at a time may
 * open a data directory, and everything in that process shares its one connection.
 */
export async function createPgliteDatabase(dataDir: string): Promise<Database> {
  const directory = resolve(join(dataDir, 'pglite'));
  const client = await openPglite(directory);
  const [{ drizzle }, { migrate }] = await Promise.all([
    import('drizzle-orm/pglite'),
    import('drizzle-orm/pglite/migrator'),
  ]);
  const db = drizzle(client, { schema });
  const query = rawQuery(client);
  const session: DbSession = {
    db,
    query,
    listen: (channel, onPayload) => client.listen(channel, onPayload),
    // The session is the shared connection; closing it is the database's job.
    close: async () => {},
  };
  // drizzle's migrator reads what is applied before it opens its transaction, so two calls in one
  // process would both apply; chaining them keeps them one at a time.
  let migrating: Promise<unknown> = Promise.resolve();
  const database: Database = {
    kind: 'pglite',
    db,
    target: directory,
    query,
    openSession: async () => session,
    async ping() {
      try {
        await client.query('select 1');
        return true;
      } catch {
        return false;
      }
    },
    close: () => client.close(),
  };
  return attachHooks(database, {
    migrate(migrationsFolder) {
      const run = migrating.then(async () => {
        const before = await countAppliedMigrations(query);
        await migrate(db, { migrationsFolder });
        return (await countAppliedMigrations(query)) - before;
      });
      migrating = run.catch(() => {});
      return run;
    },
  });
}
