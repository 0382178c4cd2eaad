import type { Database, PoolSummary, TrafficRates } from '@llmgw/db';
import { poolSummary, trafficRates } from '@llmgw/db';
import packageJson from '../../package.json' with { type: 'json' };
import type { MetricSources } from '../metrics/gateway-metrics.js';

/** The window of the request and error rates the status reports. */
export const TRAFFIC_WINDOW_MS = 5 * 60_000;

export interface AdminStatus {
  version: string;
  uptimeSeconds: number;
  /** The server's clock, so a dashboard can count cooldowns down without trusting the browser's. */
  serverTime: string;
  database: { kind: string; target: string };
  /** This replica's load now: requests in flight upstream and requests waiting in the fair queue. */
  conductor: { inflight: number; queueDepth: number };
  pool: PoolSummary;
  traffic: TrafficRates;
}

export interface StatusSources {
  database: Database;
  keeperLockId: number;
  /** The same sources `/metrics` reads its inflight and queue-depth gauges from. */
  live: MetricSources;
  startedAt: number;
  now: () => number;
}

export async function buildAdminStatus(sources: StatusSources): Promise<AdminStatus> {
  const { database } = sources;
  const [pool, traffic] = await Promise.all([
    poolSummary(database.query, sources.keeperLockId),
    trafficRates(database.query, TRAFFIC_WINDOW_MS),
  ]);
  if (database.kind === 'pglite') {
    // Only `llmgw start` opens the embedded database, and its keeper leads there without a lock.
    pool.keeper = { present: true, pid: process.pid, sessionStartedAt: null, embedded: true };
  }
  const now = sources.now();
  return {
    version: packageJson.version,
    uptimeSeconds: Math.round((now - sources.startedAt) / 1000),
    serverTime: new Date(now).toISOString(),
    database: { kind: database.kind, target: withoutCredentials(database.target) },
    conductor: {
      inflight: sources.live.relay?.inflight() ?? 0,
      queueDepth: sources.live.pool?.queueDepth() ?? 0,
    },
    pool,
    traffic,
  };
}

/** The database's location only: no user name, no password (the target already masks the latter). */
export function withoutCredentials(target: string): string {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(target)) return target;
  try {
    const url = new URL(target);
    url.username = '';
    url.password = '';
    url.search = '';
    return url.toString();
  } catch {
    return '(unparseable database url)';
  }
}
