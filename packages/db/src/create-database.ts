import type { Database } from './database.js';
import { createPgliteDatabase } from './pglite.js';
import { createPostgresDatabase } from './postgres.js';

export interface CreateDatabaseOptions {
  /** A PostgreSQL URL (`DATABASE_URL`); without one the embedded PGlite is used. */
  url?: string | undefined;
  /** Where the embedded database lives (as `<dataDir>/pglite`); default `data`, relative to the cwd. */
  dataDir?: string | undefined;
}

/**
 * The one client factory: a `pg` Pool for a URL, else PGlite on disk, both behind the same `Db` type and
 * the same schema. The Pool connects lazily: a wrong URL surfaces on the first query or migrate.
 */
export async function createDatabase({
  url,
  dataDir = 'data',
}: CreateDatabaseOptions = {}): Promise<Database> {
  return url ? createPostgresDatabase(url) : createPgliteDatabase(dataDir);
}
