import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RawQuery } from './database.js';

/**
 * The repo's top-level `migrations/`, found by walking up from this file (the source tree, or the
 * production bundle under apps/llmgw/dist), so it never depends on the cwd.
 */
export const MIGRATIONS_FOLDER = findMigrationsFolder(dirname(fileURLToPath(import.meta.url)));

function findMigrationsFolder(start: string): string {
  for (let dir = start, depth = 0; depth < 8; dir = dirname(dir), depth += 1) {
    if (existsSync(join(dir, 'migrations', 'meta', '_journal.json'))) return join(dir, 'migrations');
  }
  return fileURLToPath(new URL('../../../migrations/', import.meta.url));
}

// Where drizzle's migrator records what it applied (its defaults; we never override them).
const MIGRATIONS_TABLE = 'drizzle.__drizzle_migrations';

/** How many migrations the database says are applied; 0 before the first migrate. */
export async function countAppliedMigrations(query: RawQuery): Promise<number> {
  const [exists] = await query<{ present: boolean }>(
    `select to_regclass('${MIGRATIONS_TABLE}') is not null as present`,
  );
  if (!exists?.present) return 0;
  const [row] = await query<{ applied: number }>(`select count(*)::int as applied from ${MIGRATIONS_TABLE}`);
  return row?.applied ?? 0;
}

/** How many migrations the repo ships, per drizzle-kit's journal. */
export async function countShippedMigrations(migrationsFolder: string = MIGRATIONS_FOLDER): Promise<number> {
  const text = await readFile(`${migrationsFolder}/meta/_journal.json`, 'utf8');
  const journal: unknown = JSON.parse(text);
  if (
    typeof journal !== 'object' ||
    journal === null ||
    !('entries' in journal) ||
    !Array.isArray(journal.entries)
  ) {
    throw new Error(`${migrationsFolder}/meta/_journal.json has no entries list`);
  }
  return journal.entries.length;
}
