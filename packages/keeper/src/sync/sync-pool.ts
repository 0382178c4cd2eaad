import { performance } from 'node:perf_hooks';
import { providerNames } from '@llmgw/config';
import type { KeeperDeps } from '../deps.js';
import { keysByProvider, reportFileProblems } from './pool-inputs.js';
import { scanKeysDir, scanProxiesDir } from './scan-files.js';
import { syncProvider } from './sync-provider.js';
import { syncProviders } from './sync-providers.js';
import { syncProxies } from './sync-proxies.js';
import { emptyReport, logSyncReport, type SyncReport } from './sync-report.js';

export interface SyncOptions {
  /** Keys processed so far, out of all keys in the files of configured providers. */
  onProgress?(done: number, total: number): void;
}

/**
 * One full pass of `keys/` and `proxies/` into Postgres (SPEC §3, §6): providers, proxies, then each
 * provider's keys, pins and triples in a transaction of its own, so a reader never sees a provider
 * half-synced and a failure in one provider leaves the ones before it applied.
 */
export async function syncPool(deps: KeeperDeps, options: SyncOptions = {}): Promise<SyncReport> {
  const started = performance.now();
  const report = emptyReport();
  const now = new Date(deps.now());
  // Files first, database after: the slow part of a sync never holds a transaction open.
  const [proxiesScan, keysScan] = await Promise.all([
    scanProxiesDir(deps.proxiesDir),
    scanKeysDir(deps.keysDir),
  ]);
  reportFileProblems(report, deps, keysScan, proxiesScan);
  if (!keysScan.found) {
    // A wrong --keys-dir or an unmounted volume must not empty the pool.
    report.warnings.push(`keys folder ${deps.keysDir} does not exist; no key is removed until it does`);
  }
  const providers = providerNames(deps.config, { includeDisabled: true });
  const wanted = keysByProvider(deps.config, providers, keysScan, deps.keysDir, report);
  const total = [...wanted.values()].reduce((sum, keys) => sum + keys.length, 0);
  let done = 0;
  options.onProgress?.(0, total);

  const { db } = deps.database;
  report.providers = await syncProviders(db, deps.config, now);
  const { healthyByPool, ...proxyCounts } = await db.transaction((tx) => syncProxies(tx, proxiesScan, now));
  report.proxies = proxyCounts;

  for (const provider of providers) {
    const keys = wanted.get(provider) ?? [];
    const end = done + keys.length;
    await syncProvider(deps, report, {
      provider,
      keys,
      healthyByPool,
      keepMissing: !keysScan.found || keysScan.unreadable.has(provider),
      now,
      onChunk: (rows) => {
        done = Math.min(end, done + rows);
        options.onProgress?.(done, total);
      },
    });
    // Unchanged keys write nothing, so progress moves to the provider's end once it is done.
    done = end;
    options.onProgress?.(done, total);
  }
  report.durationMs = Math.round(performance.now() - started);
  logSyncReport(deps.log, report);
  return report;
}
