import { createHttpClients } from '@llmgw/http';
import {
  createKeeperMetrics,
  keeperDuties,
  type MetricsServer,
  openPgLockSession,
  serveMetrics,
  startKeeper,
} from '@llmgw/keeper';
import { createCredentialSource, httpClientSettings } from '@llmgw/upstream';
import type { Command } from 'commander';
import type { Logger } from 'pino';
import type { GlobalOptions } from '../global-options.js';
import { loadContext, openDatabaseWhenReachable } from '../runtime/context.js';
import { tuneHeapGrowth } from '../runtime/heap.js';
import { createProcessRegistry } from '../runtime/metrics-registry.js';
import { onShutdownSignal } from '../runtime/shutdown.js';

async function runWorker(globals: GlobalOptions): Promise<number> {
  const context = loadContext(globals);
  tuneHeapGrowth(context.env);
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
  const registry = createProcessRegistry();
  const metrics = createKeeperMetrics(registry);
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
      metrics,
    },
    {
      lockId: config.keeper.leader_lock_id,
      duties: keeperDuties(),
      ...(url ? { openLockSession: () => openPgLockSession(url) } : {}),
    },
  );
  metrics.watchLeader(() => keeper.isLeader());
  const metricsServer = await serveKeeperMetrics(registry, config.keeper, log);
  log.info({ database: database.target, keysDir: globals.keysDir }, 'keeper started');
  return onShutdownSignal(log, async () => {
    await metricsServer?.close();
    await keeper.stop();
    await http.close();
    await database.close();
    log.info('keeper stopped');
  });
}

/**
 * The worker's own /metrics (keeper.metrics_host:metrics_port; 0 = off). A port already taken (a second
 * worker on one machine) costs the metrics, never the keeper: it is logged and the worker runs on.
 */
async function serveKeeperMetrics(
  registry: Parameters<typeof serveMetrics>[0],
  settings: { metrics_host: string; metrics_port: number },
  log: Logger,
): Promise<MetricsServer | undefined> {
  if (settings.metrics_port === 0) return undefined;
  try {
    const server = await serveMetrics(registry, settings.metrics_host, settings.metrics_port);
    log.info({ url: server.url }, 'keeper metrics listening');
    return server;
  } catch (error) {
    log.warn(
      { host: settings.metrics_host, port: settings.metrics_port, error: String(error) },
      'keeper metrics not served: cannot listen (keeper.metrics_port; 0 turns them off)',
    );
    return undefined;
  }
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
