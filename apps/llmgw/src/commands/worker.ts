import { createHttpClients } from '@llmgw/http';
import { keeperDuties, openPgLockSession, startKeeper } from '@llmgw/keeper';
import { createCredentialSource, httpClientSettings } from '@llmgw/upstream';
import type { Command } from 'commander';
import type { GlobalOptions } from '../global-options.js';
import { loadContext, openDatabaseWhenReachable } from '../runtime/context.js';
import { onShutdownSignal } from '../runtime/shutdown.js';

async function runWorker(globals: GlobalOptions): Promise<number> {
  const context = loadContext(globals);
  const { config, log } = context;
  const booting = new AbortController();
  const bootStop = () => booting.abort();
  process.once('SIGTERM', bootStop);
  process.once('SIGINT', bootStop);
  const database = await openDatabaseWhenReachable(context, { requireServer: 'worker' }, booting.signal);
  process.off('SIGTERM', bootStop);
  process.off('SIGINT', bootStop);
  if (!database) return 0;

  const http = createHttpClients(httpClientSettings(config));
  const now = Date.now;
  const url = config.database.url;
  const keeper = startKeeper(
    {
      config,
      database,
      upstream: { http, credentials: createCredentialSource(http, now), now },
      keysDir: globals.keysDir,
      proxiesDir: globals.proxiesDir,
      log,
      now,
      actor: 'keeper',
    },
    {
      lockId: config.keeper.leader_lock_id,
      duties: keeperDuties(),
      ...(url ? { openLockSession: () => openPgLockSession(url) } : {}),
    },
  );
  log.info({ database: database.target, keysDir: globals.keysDir }, 'keeper started');
  return onShutdownSignal(log, async () => {
    await keeper.stop();
    await http.close();
    await database.close();
    log.info('keeper stopped');
  });
}

export function registerWorkerCommand(program: Command, globals: () => GlobalOptions): void {
  program
    .command('worker')
    .description('run the keeper alone: sync keys/ and proxies/, probe every triple, maintain the database')
    .addHelpText(
      'after',
      `
Needs DATABASE_URL (the keeper and the gateways share state through PostgreSQL). Run as many as you
like: one leads (a Postgres advisory lock), the others stand by and take over within seconds.
For keeper and gateway in one process on the embedded database, use \`llmgw start\`.

Example:
  $ DATABASE_URL=postgres://llmgw@db/llmgw llmgw worker`,
    )
    .action(async () => {
      process.exitCode = await runWorker(globals());
    });
}
