import type { Database } from './database.js';

/** Driver-specific work that is not part of the public `Database` shape (drizzle's migrators are per driver). */
export interface DriverHooks {
  /**
   * Applies migrations and returns how many it applied, counted under the same lock as the migration so
   * two concurrent callers never both claim the same one.
   */
  migrate(migrationsFolder: string): Promise<number>;
}

const hooks = new WeakMap<Database, DriverHooks>();

export function attachHooks(database: Database, driverHooks: DriverHooks): Database {
  hooks.set(database, driverHooks);
  return database;
}

export function hooksOf(database: Database): DriverHooks {
  const found = hooks.get(database);
  if (!found) throw new Error('not a database created by createDatabase()');
  return found;
}

/** Advisory lock ids used by llmgw, in one place so two features never pick the same number. */
export const ADVISORY_LOCK_IDS = {
  migrate: 7_270_001,
  keeperLeader: 7_270_002,
} as const;
