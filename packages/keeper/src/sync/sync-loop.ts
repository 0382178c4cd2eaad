import { describeDbError } from '@llmgw/db';
import cron from 'node-cron';
import type { KeeperDeps } from '../deps.js';
import { type SyncOptions, syncPool } from './sync-pool.js';
import type { SyncReport } from './sync-report.js';
import { type WatchOptions, watchPoolFiles } from './watch-files.js';

export interface SyncLoopOptions {
  /** Cron expression of the periodic full sync (`keeper.sync_schedule`). */
  schedule: string;
  /** Also sync when files change (`keeper.watch`). */
  watch: boolean;
  watchOptions?: WatchOptions;
  onProgress?: SyncOptions['onProgress'];
}

export interface SyncLoop {
  /** Runs a sync (or joins the one queued behind the running one) and resolves with its report. */
  syncNow(): Promise<SyncReport>;
  stop(): Promise<void>;
}

/**
 * Keeps Postgres in step with the files: a full sync at start, on the cron schedule and on file changes.
 * Syncs never overlap: a trigger during a sync queues exactly one more, which sees every change made
 * meanwhile. A failed sync is logged and simply retried by the next trigger.
 */
export function startSyncLoop(deps: KeeperDeps, options: SyncLoopOptions): SyncLoop {
  let running: Promise<SyncReport> | null = null;
  let queued: Promise<SyncReport> | null = null;
  let stopped = false;

  const run = (): Promise<SyncReport> => {
    const current = syncPool(deps, { ...(options.onProgress ? { onProgress: options.onProgress } : {}) })
      .catch((error: unknown) => {
        const safe = safeSyncError(error);
        deps.log.error(
          { event: 'keeper.sync.failed', error: safe.message, code: safe.code },
          'sync failed; retrying on the next trigger',
        );
        throw safe;
      })
      .finally(() => {
        if (running === current) running = null;
      });
    running = current;
    return current;
  };

  const syncNow = (): Promise<SyncReport> => {
    if (stopped) return Promise.reject(new Error('the sync loop is stopped'));
    if (running === null) return run();
    if (queued === null) {
      const after = running.then(
        () => undefined,
        () => undefined,
      );
      queued = after.then(() => {
        queued = null;
        if (stopped) throw new Error('the sync loop is stopped');
        return run();
      });
    }
    return queued;
  };

  // Triggers nobody awaits: their failure is already logged by run().
  const trigger = () => {
    if (!stopped) syncNow().catch(() => undefined);
  };

  const task = cron.schedule(options.schedule, trigger);
  const watcher = options.watch ? watchPoolFiles(deps, trigger, options.watchOptions) : null;
  trigger();

  return {
    syncNow,
    async stop() {
      stopped = true;
      await task.destroy();
      await watcher?.close();
      await Promise.allSettled([running, queued]);
    },
  };
}

/**
 * Only the message and code leave the sync (see describeDbError in @llmgw/db), and the original is not attached as a
 * cause: its `detail` or parameters can hold a key.
 */
function safeSyncError(error: unknown): Error & { code?: string } {
  const code = describeDbError(error).code;
  return Object.assign(
    new Error(`key sync failed: ${describeDbError(error).message}`),
    code === undefined ? {} : { code },
  );
}
