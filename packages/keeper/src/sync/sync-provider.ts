import { providerSettings } from '@llmgw/config';
import type { KeeperDeps } from '../deps.js';
import { pinPoolName, servedModels } from './pool-inputs.js';
import { type FileKey, syncProviderKeys } from './sync-provider-keys.js';
import type { SyncReport } from './sync-report.js';
import { addMissingTriples, removeStaleTriples, restoreTriples } from './sync-triples.js';

export interface ProviderSyncInput {
  provider: string;
  keys: readonly FileKey[];
  /** Healthy proxy ids per pool, from the proxies pass. */
  healthyByPool: ReadonlyMap<string, readonly number[]>;
  keepMissing: boolean;
  now: Date;
  onChunk(rows: number): void;
}

/**
 * One provider's keys, pins and triples in one transaction. A disabled provider's keys are kept in
 * step with its files, but it gets no new or revived triples (the lease ignores it anyway); triples of
 * removed keys are removed regardless, so a key gone from the files can never be leased.
 */
export async function syncProvider(
  deps: KeeperDeps,
  report: SyncReport,
  input: ProviderSyncInput,
): Promise<void> {
  const { provider, now } = input;
  const settings = providerSettings(deps.config, provider);
  const poolName = pinPoolName(deps.config, provider);
  const pool = poolName === null ? null : (input.healthyByPool.get(poolName) ?? []);
  if (poolName !== null && pool?.length === 0 && input.keys.length > 0) {
    report.warnings.push(
      `provider "${provider}" uses pool:${poolName}, which has no healthy proxy; its keys keep their old pins ` +
        'and new keys stay unpinned until one is healthy',
    );
  }
  const { models, prune } = servedModels(deps.config, provider);
  const scope = { provider, models, prune, now, actor: deps.actor };
  await deps.database.db.transaction(async (tx) => {
    const plan = await syncProviderKeys(tx, {
      provider,
      keys: input.keys,
      pool,
      keepMissing: input.keepMissing,
      now,
      onChunk: input.onChunk,
    });
    report.keys.added += plan.added;
    report.keys.updated += plan.updated;
    report.keys.removed += plan.removeIds.length;
    report.keys.restored += plan.restoredIds.length;
    report.keys.repinned += plan.repinned;
    report.keys.live += input.keys.length;
    report.triples.removed += await removeStaleTriples(tx, scope);
    if (!settings.enabled) return;
    report.triples.restored += await restoreTriples(tx, scope, plan.restoredIds);
    report.triples.added += await addMissingTriples(tx, scope);
  });
}
