import { databaseUrl, readEnvironment } from '@llmgw/config';
import { createDatabase, migrateDatabase } from '@llmgw/db';
import type { Command } from 'commander';
import type { GlobalOptions } from '../global-options.js';

interface MigrateOptions {
  dataDir: string;
}

async function runMigrate(options: MigrateOptions): Promise<void> {
  // Only the environment, not the config file: migrating must work even while the config is broken.
  const url = databaseUrl(readEnvironment());
  const database = await createDatabase({ url, dataDir: options.dataDir });
  try {
    const { applied } = await migrateDatabase(database);
    const where = `${database.kind === 'postgres' ? 'PostgreSQL' : 'embedded database'} ${database.target}`;
    process.stdout.write(
      applied === 0
        ? `already up to date (${where})\n`
        : `applied ${applied} migration${applied === 1 ? '' : 's'} to ${where}\n`,
    );
  } finally {
    await database.close();
  }
}

export function registerDbCommands(program: Command, _globals: () => GlobalOptions): void {
  const db = program
    .command('db')
    .description('database maintenance (PostgreSQL from DATABASE_URL, else the embedded database in data/)');

  db.command('migrate')
    .description('apply the SQL migrations shipped in migrations/ that this database has not seen yet')
    .option('--data-dir <dir>', 'where the embedded database lives when DATABASE_URL is not set', 'data')
    .addHelpText(
      'after',
      [
        '',
        'Which database:',
        '  DATABASE_URL set    that PostgreSQL server, e.g. postgres://user:pass@host:5432/llmgw',
        '  DATABASE_URL unset  the embedded PGlite database in <data-dir>/pglite (default data/pglite, created if missing)',
        '',
        'Safe to run any number of times, and from several machines at once: applied migrations are',
        'skipped and concurrent runs take turns. `llmgw start`, `worker` and `gateway` also migrate on boot.',
        '',
        'Examples:',
        '  $ llmgw db migrate',
        '  $ DATABASE_URL=postgres://llmgw@db.internal/llmgw llmgw db migrate',
      ].join('\n'),
    )
    .action(runMigrate);
}
