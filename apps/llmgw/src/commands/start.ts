import { offlinePackagesDir } from '@llmgw/config';
import { createKeeperMetrics, keeperDuties, openPgLockSession, startKeeper } from '@llmgw/keeper';
import type { Command } from 'commander';
import type { GlobalOptions } from '../global-options.js';
import { loadContext } from '../runtime/context.js';
import { tuneHeapGrowth } from '../runtime/heap.js';
import { createProcessRegistry } from '../runtime/metrics-registry.js';
import { onShutdownSignal } from '../runtime/shutdown.js';
import {
  createUpstream,
  type GatewayServices,
  openDatabaseUntilSignal,
  startGatewayServices,
} from './gateway.js';

async function runStart(globals: GlobalOptions): Promise<number> {
  const context = loadContext(globals);
  tuneHeapGrowth(context.env);
  const { config, log } = context;
  const database = await openDatabaseUntilSignal(context, {});
  if (!database) return 0;

  // One http client cache and one credential source: probes and traffic share connections and tokens.
  const upstream = createUpstream(config);
  const url = config.database.url;
  // One registry: the gateway's /metrics carries the keeper's figures too (keeper.metrics_port is the
  // worker's alone).
  const registry = createProcessRegistry();
  const keeperMetrics = createKeeperMetrics(registry);
  const keeper = startKeeper(
    {
      config,
      database,
      upstream,
      keysDir: globals.keysDir,
      proxiesDir: globals.proxiesDir,
      log,
      now: upstream.now,
      actor: 'keeper',
      metrics: keeperMetrics,
    },
    {
      lockId: config.keeper.leader_lock_id,
      duties: keeperDuties(),
      // The embedded database belongs to this process alone, so it leads without a lock.
      ...(url ? { openLockSession: () => openPgLockSession(url) } : {}),
    },
  );
  keeperMetrics.watchLeader(() => keeper.isLeader());
  let gateway: GatewayServices;
  try {
    gateway = await startGatewayServices({
      config,
      database,
      upstream,
      log,
      offlineDir: offlinePackagesDir(globals.config),
      registry,
    });
  } catch (error) {
    await keeper.stop();
    await upstream.http.close();
    await database.close();
    throw error;
  }
  log.info(
    { url: gateway.url, database: database.target, keysDir: globals.keysDir },
    'llmgw started: keeper and gateway',
  );
  return onShutdownSignal(log, async () => {
    // Clients first: drain the gateway, then stop probing, then close what both used.
    await gateway.stop();
    await keeper.stop();
    await upstream.http.close();
    await database.close();
    log.info('llmgw stopped');
  });
}

export function registerStartCommand(program: Command, globals: () => GlobalOptions): void {
  program
    .command('start')
    .description('run keeper and gateway in one process (embedded database unless DATABASE_URL is set)')
    .addHelpText(
      'after',
      `
The quickest way to run llmgw: no database server needed, the embedded PostgreSQL (PGlite) keeps its
files under data/. Drop keys into keys/<provider>.txt, then point an OpenAI client at the printed URL.
With DATABASE_URL set it uses that server instead (and may share it with other workers and gateways).

Example:
  $ llmgw config create groq:groq && echo "gsk_..." > keys/groq.txt && llmgw start`,
    )
    .action(async () => {
      process.exitCode = await runStart(globals());
    });
}
