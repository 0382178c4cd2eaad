import type { Database } from './database.js';
import { countAppliedMigrations, countShippedMigrations, MIGRATIONS_FOLDER } from './migrations-state.js';

export interface Readiness {
  /** Reachable and every shipped migration applied: what `/readyz` reports. */
  ready: boolean;
  reachable: boolean;
  applied: number;
  expected: number;
  /** One line for the operator, e.g. "1 of 2 migrations applied; run `llmgw db migrate`". */
  detail: string;
}

export async function readiness(
  database: Database,
  migrationsFolder = MIGRATIONS_FOLDER,
): Promise<Readiness> {
  const expected = await countShippedMigrations(migrationsFolder);
  let applied: number;
  try {
    applied = await countAppliedMigrations(database.query);
  } catch {
    return {
      ready: false,
      reachable: false,
      applied: 0,
      expected,
      detail: `database unreachable (${database.target})`,
    };
  }
  const ready = applied >= expected;
  const detail = ready
    ? `${applied} migrations applied`
    : `${applied} of ${expected} migrations applied; run \`llmgw db migrate\``;
  return { ready, reachable: true, applied, expected, detail };
}
