import { type Environment, type LlmgwConfig, loadConfig, readEnvironment } from '@llmgw/config';
import { escalatingDelay, LlmgwError } from '@llmgw/core';
import { createDatabase, type Database, migrateDatabase } from '@llmgw/db';
import type { Logger } from 'pino';
import type { GlobalOptions } from '../global-options.js';
import { createLogger } from './logger.js';

export interface AppContext {
  globals: GlobalOptions;
  env: Environment;
  config: LlmgwConfig;
  log: Logger;
}

/**
 * Config (file ← env), environment and logger: what every command starts from. One-shot commands
 * (`keys status`…) print results on stdout, so their log goes to stderr and only warnings show.
 */
export function loadContext(globals: GlobalOptions, options: { oneShot?: boolean } = {}): AppContext {
  const env = readEnvironment();
  const config = loadConfig({ file: globals.config, env, proxiesDir: globals.proxiesDir });
  const level = globals.logLevel ?? (options.oneShot ? 'warn' : config.logging.level);
  return { globals, env, config, log: createLogger(level, { toStderr: options.oneShot === true }) };
}

/**
 * Opens the database the config points at (DATABASE_URL, else the embedded one) and brings its schema
 * up to date. `requireServer` is for `worker` and `gateway` alone: separate processes can only share
 * a PostgreSQL server, never the embedded database.
 */
export async function openDatabase(
  context: AppContext,
  options: { requireServer?: string } = {},
): Promise<Database> {
  const { url, data_dir: dataDir } = context.config.database;
  if (!url && options.requireServer) {
    throw new LlmgwError(
      `llmgw ${options.requireServer} needs DATABASE_URL: separate keeper and gateway processes share state through ` +
        'PostgreSQL (e.g. DATABASE_URL=postgres://user:pass@host:5432/llmgw). To run both in one process on the ' +
        'embedded database, use `llmgw start`.',
    );
  }
  const database = await createDatabase({ url, dataDir });
  try {
    const { applied } = await migrateDatabase(database);
    if (applied > 0) context.log.info({ applied, database: database.target }, 'database migrated');
  } catch (error) {
    await database.close();
    throw error;
  }
  return database;
}

/**
 * `openDatabase` for long-running processes: while the database is unreachable (or still starting),
 * retry with backoff instead of dying, so a keeper or gateway started before its database recovers
 * by itself. Gives up only when `signal` aborts (shutdown).
 */
export async function openDatabaseWhenReachable(
  context: AppContext,
  options: { requireServer?: string },
  signal: AbortSignal,
): Promise<Database | null> {
  for (let attempt = 0; !signal.aborted; attempt += 1) {
    try {
      return await openDatabase(context, options);
    } catch (error) {
      if (!context.config.database.url) throw error;
      const delay = escalatingDelay(500, 30_000, attempt);
      context.log.warn(
        { error: error instanceof Error ? error.message : String(error), retryInMs: delay },
        'database not reachable yet; retrying',
      );
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        signal.addEventListener(
          'abort',
          () => {
            clearTimeout(timer);
            resolve();
          },
          { once: true },
        );
      });
    }
  }
  return null;
}
