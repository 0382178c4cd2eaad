import type { LeaderDuty } from './keeper.js';
import { startMaintenance } from './maintenance/maintenance.js';
import { startProbeLoop } from './probe/probe-loop.js';
import { progressReporter } from './progress.js';
import { startSyncLoop } from './sync/sync-loop.js';

/**
 * What the leading keeper does, in start order: sync the files first (so probes see the pool), then
 * probe (with the daily amnesty and proxy re-checks), then maintain the database.
 */
export function keeperDuties(): LeaderDuty[] {
  return [
    {
      name: 'sync',
      start: (deps) =>
        startSyncLoop(deps, {
          schedule: deps.config.keeper.sync_schedule,
          watch: deps.config.keeper.watch,
          onProgress: progressReporter((fields) =>
            deps.log.info({ event: 'keeper.sync.progress', ...fields }, 'syncing keys'),
          ),
        }),
    },
    { name: 'probe', start: (deps) => startProbeLoop(deps) },
    { name: 'maintenance', start: (deps) => startMaintenance(deps) },
  ];
}
