import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import {
  createAffinityStore,
  createAttemptRecorder,
  createGatewayMetrics,
  createPool,
  createRelay,
  createResponseCache,
  loadOfflineResponder,
  poolGaugeSource,
  startConductor,
  teeAttemptSink,
} from '@llmgw/conductor';
import { type LlmgwConfig, offlinePackagesDir } from '@llmgw/config';
import type { Database } from '@llmgw/db';
import { createHttpClients } from '@llmgw/http';
import { createCredentialSource, httpClientSettings, type UpstreamDeps } from '@llmgw/upstream';
import type { Command } from 'commander';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { GlobalOptions } from '../global-options.js';
import { type AppContext, loadContext, openDatabaseWhenReachable } from '../runtime/context.js';
import { tuneHeapGrowth } from '../runtime/heap.js';
import { createProcessRegistry } from '../runtime/metrics-registry.js';
import { onShutdownSignal } from '../runtime/shutdown.js';

export interface GatewayServices {
  url: string;
  /** Drains the listener, then releases the pool's leases and flushes the attempt records. */
  stop(): Promise<void>;
}

/**
 * The conductor on a database and upstream the caller owns (and closes after `stop`): shared by
 * `llmgw gateway` and `llmgw start`, so both shut down in the same order.
 */
export async function startGatewayServices(deps: {
  config: LlmgwConfig;
  database: Database;
  upstream: UpstreamDeps;
  log: Logger;
  /** Offline packages (`config/offline/` beside the config file); unset = none. */
  offlineDir?: string;
  /** The process's metrics registry (`llmgw start` shares it with the keeper); default: a new one. */
  registry?: Registry;
}): Promise<GatewayServices> {
  const { config, database, upstream, log } = deps;
  const now = upstream.now;
  const registry = deps.registry ?? createProcessRegistry();
  const metrics = createGatewayMetrics(registry, { queueMaxDepth: config.gateway.queue.max_depth });
  // Before any part starts: a broken offline package stops the gateway with every problem listed.
  const offline = loadOfflineResponder({ config, dir: deps.offlineDir, log, now });
  const cache = createResponseCache({ config, database, now });
  const pool = createPool({ config, database, holder: leaseHolder(), log, now });
  const attempts = createAttemptRecorder({ database, log });
  const affinity = createAffinityStore({ config, database, log, now, metrics });
  const relay = createRelay({
    config,
    pool,
    upstream,
    attempts: teeAttemptSink(attempts, metrics),
    log,
    now,
    affinity,
    metrics,
  });
  metrics.watch({ relay, pool: poolGaugeSource(pool) });
  const closeParts = async () => {
    await pool.close();
    await attempts.close();
    await affinity.close();
  };
  let conductor: Awaited<ReturnType<typeof startConductor>>;
  try {
    const { host, port } = config.gateway;
    conductor = await startConductor({
      config,
      relay,
      pool,
      database,
      log,
      now,
      host,
      port,
      offline,
      cache,
      metrics,
      metricsRegistry: registry,
    });
  } catch (error) {
    await closeParts();
    throw error;
  }
  return {
    url: conductor.url,
    stop: async () => {
      // Leases and records are released only after every request and stream has finished with them.
      await conductor.stop();
      await closeParts();
    },
  };
}

/** Names this replica in its leases rows and as the actor of its audit entries. */
function leaseHolder(): string {
  return `gateway@${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
}

/**
 * `openDatabaseWhenReachable`, given up on SIGTERM/SIGINT while waiting (null then): a process started
 * before its database must still stop when asked.
 */
export async function openDatabaseUntilSignal(
  context: AppContext,
  options: { requireServer?: string },
): Promise<Database | null> {
  const booting = new AbortController();
  const bootStop = () => booting.abort();
  process.once('SIGTERM', bootStop);
  process.once('SIGINT', bootStop);
  try {
    return await openDatabaseWhenReachable(context, options, booting.signal);
  } finally {
    process.off('SIGTERM', bootStop);
    process.off('SIGINT', bootStop);
  }
}

export function createUpstream(config: LlmgwConfig): UpstreamDeps {
  const http = createHttpClients(httpClientSettings(config));
  const now = Date.now;
  return { http, credentials: createCredentialSource(http, now), now };
}

async function runGateway(globals: GlobalOptions): Promise<number> {
  const context = loadContext(globals);
  tuneHeapGrowth(context.env);
  const { config, log } = context;
  const database = await openDatabaseUntilSignal(context, { requireServer: 'gateway' });
  if (!database) return 0;

  const upstream = createUpstream(config);
  let gateway: GatewayServices;
  try {
    gateway = await startGatewayServices({
      config,
      database,
      upstream,
      log,
      offlineDir: offlinePackagesDir(globals.config),
    });
  } catch (error) {
    await upstream.http.close();
    await database.close();
    throw error;
  }
  log.info({ url: gateway.url, database: database.target }, 'gateway started');
  return onShutdownSignal(log, async () => {
    await gateway.stop();
    await upstream.http.close();
    await database.close();
    log.info('gateway stopped');
  });
}

export function registerGatewayCommand(program: Command, globals: () => GlobalOptions): void {
  program
    .command('gateway')
    .description('run the conductor alone: the OpenAI-compatible HTTP endpoint over the key pool')
    .addHelpText(
      'after',
      `
Needs DATABASE_URL (gateways and the keeper share state through PostgreSQL). Run as many replicas as
you like behind a load balancer; limits and leases are shared, never multiplied. Listens on
gateway.host:gateway.port (LLMGW_HOST, LLMGW_PORT; default 127.0.0.1:8080). Without auth tokens
(LLMGW_AUTH_TOKENS) it serves loopback only. SIGTERM drains requests in flight, then exits 0.
For keeper and gateway in one process on the embedded database, use \`llmgw start\`.

Example:
  $ DATABASE_URL=postgres://llmgw@db/llmgw LLMGW_HOST=0.0.0.0 LLMGW_AUTH_TOKENS=s3cret llmgw gateway`,
    )
    .action(async () => {
      process.exitCode = await runGateway(globals());
    });
}
