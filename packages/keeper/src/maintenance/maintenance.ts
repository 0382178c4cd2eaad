import { keeperSettings } from '@llmgw/config';
import { pruneCachedResponses } from '@llmgw/db';
import cron from 'node-cron';
import type { KeeperDeps } from '../deps.js';

export interface MaintenanceReport {
  attemptsPruned: number;
  leasesExpired: number;
  /** In-flight slots given back by the expired leases. */
  slotsReturned: number;
  rateWindowsDeleted: number;
  affinityDeleted: number;
  cacheDeleted: number;
  /** Tables vacuumed; empty on PGlite or with `vacuum: false`. */
  vacuumed: string[];
}

export interface Maintenance {
  runNow(): Promise<MaintenanceReport>;
  stop(): Promise<void>;
}

/** Small enough that pruning a week of a busy gateway never holds a long lock or a huge WAL burst. */
const PRUNE_BATCH = 5_000;
/** Two days: yesterday's day window must outlive the day boundary for RPD to stay right around it. */
const RATE_WINDOW_KEEP_MS = 2 * 24 * 60 * 60_000;
/** Tables rewritten on every request; autovacuum alone falls behind on them under load. */
const HOT_TABLES = ['triples', 'leases', 'rate_windows', 'attempts'] as const;

/**
 * Database upkeep on `keeper.maintenance.schedule` (SPEC §6). Runs never overlap, and `stop` waits for
 * a running one. Each job logs its counts.
 */
export function startMaintenance(deps: KeeperDeps): Maintenance {
  let running: Promise<MaintenanceReport> | null = null;
  const runNow = (): Promise<MaintenanceReport> => {
    if (running) return running;
    const run = runMaintenance(deps).finally(() => {
      running = null;
    });
    running = run;
    return run;
  };
  const task = cron.schedule(
    keeperSettings(deps.config).maintenance.schedule,
    () =>
      runNow().catch((error: unknown) => {
        deps.log.error(
          {
            event: 'keeper.maintenance_failed',
            error: error instanceof Error ? error.message : String(error),
          },
          'maintenance failed',
        );
      }),
    { noOverlap: true, name: 'llmgw-maintenance' },
  );
  return {
    runNow,
    stop: async () => {
      await task.stop();
      await running?.catch(() => undefined);
    },
  };
}

export async function runMaintenance(deps: KeeperDeps): Promise<MaintenanceReport> {
  const settings = keeperSettings(deps.config).maintenance;
  const now = deps.now();
  const attemptsPruned = await pruneAttempts(deps, new Date(now - settings.attempts_retention));
  deps.log.info({ event: 'keeper.maintenance.attempts', pruned: attemptsPruned }, 'pruned old attempts');

  const leases = await expireLeases(deps, new Date(now));
  deps.log.info({ event: 'keeper.maintenance.leases', ...leases }, 'expired stale leases');

  const rateWindowsDeleted = await deleteReturning(
    deps,
    'delete from rate_windows where window_start < $1',
    new Date(now - RATE_WINDOW_KEEP_MS),
  );
  const affinityDeleted = await deleteReturning(
    deps,
    'delete from affinity where expires_at < $1',
    new Date(now),
  );
  const cacheDeleted = await pruneCachedResponses(deps.database, new Date(now));
  deps.log.info(
    { event: 'keeper.maintenance.compact', rateWindowsDeleted, affinityDeleted, cacheDeleted },
    'compacted windows, affinity and cache',
  );

  const vacuumed: string[] = [];
  // VACUUM cannot run in a transaction and PGlite's single embedded connection gains nothing from it.
  if (settings.vacuum && deps.database.kind === 'postgres') {
    for (const table of HOT_TABLES) {
      await deps.database.query(`vacuum (analyze) ${table}`);
      vacuumed.push(table);
    }
  }
  deps.log.info({ event: 'keeper.maintenance.vacuum', tables: vacuumed }, 'vacuum analyze');

  return { attemptsPruned, ...leases, rateWindowsDeleted, affinityDeleted, cacheDeleted, vacuumed };
}

async function pruneAttempts(deps: KeeperDeps, before: Date): Promise<number> {
  let pruned = 0;
  for (;;) {
    const deleted = await deleteReturning(
      deps,
      `delete from attempts where id in (
         select id from attempts where created_at < $1 order by created_at limit ${PRUNE_BATCH}
       )`,
      before,
    );
    pruned += deleted;
    if (deleted < PRUNE_BATCH) return pruned;
  }
}

/**
 * Deletes leases whose holder died and gives their slots back in the same statement, so no moment exists
 * where a lease is gone but its triple still counts it in flight (or the reverse).
 */
async function expireLeases(
  deps: KeeperDeps,
  now: Date,
): Promise<{ leasesExpired: number; slotsReturned: number }> {
  const [row] = await deps.database.query<{ leases: string | number; slots: string | number }>(
    `with expired as (
       delete from leases where expires_at < $1 returning triple_id, slots
     ), freed as (
       select triple_id, sum(slots)::int as slots from expired group by triple_id
     ), returned as (
       update triples t set inflight = greatest(0, t.inflight - freed.slots)
         from freed where t.id = freed.triple_id
       returning freed.slots
     )
     select (select count(*) from expired) as leases,
            (select coalesce(sum(slots), 0) from expired) as slots,
            (select count(*) from returned) as triples`,
    [now.toISOString()],
  );
  return { leasesExpired: Number(row?.leases ?? 0), slotsReturned: Number(row?.slots ?? 0) };
}

/** Runs a delete and returns how many rows it removed, without shipping the rows back. */
async function deleteReturning(deps: KeeperDeps, deletion: string, before: Date): Promise<number> {
  const [row] = await deps.database.query<{ count: string | number }>(
    `with gone as (${deletion} returning 1) select count(*) as count from gone`,
    [before.toISOString()],
  );
  return Number(row?.count ?? 0);
}
