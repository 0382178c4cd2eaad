import type { Database } from './database.js';
import { hooksOf } from './internal.js';
import { MIGRATIONS_FOLDER } from './migrations-state.js';

export interface MigrateOptions {
  /** Defaults to the repo's top-level `migrations/`; tests may point elsewhere. */
  migrationsFolder?: string;
}

/**
 * Applies pending migrations with drizzle's migrator. Safe to call from several processes at once on
 * Postgres (advisory lock) and several times in one process on PGlite (serialised).
 */
export async function migrateDatabase(
  database: Database,
  { migrationsFolder = MIGRATIONS_FOLDER }: MigrateOptions = {},
): Promise<{ applied: number }> {
  const applied = await hooksOf(database).migrate(migrationsFolder);
  return { applied };
}
