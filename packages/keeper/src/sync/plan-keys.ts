import { pinProxy } from './pinning.js';

/** A key as the files say it should be. */
export interface DesiredKey {
  fingerprint: string;
  secret: string;
  mask: string;
  sourceFile: string;
  sourceLine: number;
  bucketId: number | null;
}

/** A key row as the database holds it (no secret: the fingerprint identifies it). */
export interface ExistingKey {
  id: number;
  fingerprint: string;
  sourceFile: string;
  sourceLine: number;
  bucketId: number | null;
  proxyId: number | null;
  removed: boolean;
}

/** The healthy, present proxies of the pool a provider is pinned to; null for direct or a fixed proxy. */
export type PinPool = readonly number[] | null;

export interface KeyRow extends DesiredKey {
  proxyId: number | null;
}

export interface KeyPlan {
  /** New, changed, restored and repinned keys: written by one batched upsert. */
  upserts: KeyRow[];
  removeIds: number[];
  restoredIds: number[];
  added: number;
  updated: number;
  repinned: number;
}

/**
 * Compares the files with the table and says what to write, so a sync with nothing changed writes
 * nothing. `keepMissing` is set when a file of the provider was unreadable: absence proves nothing then.
 */
export function planKeys(
  desired: readonly DesiredKey[],
  existing: readonly ExistingKey[],
  pool: PinPool,
  keepMissing: boolean,
): KeyPlan {
  const plan: KeyPlan = { upserts: [], removeIds: [], restoredIds: [], added: 0, updated: 0, repinned: 0 };
  const byFingerprint = new Map(existing.map((row) => [row.fingerprint, row]));
  const healthy = pool === null ? null : new Set(pool);
  const poolIds = pool?.map(String) ?? [];
  const pinFor = (fingerprint: string, current: number | null): number | null => {
    if (healthy === null) return null;
    // Move only when the current proxy went bad: a key keeps its IP while it can.
    if (current !== null && healthy.has(current)) return current;
    const pinned = pinProxy(fingerprint, poolIds);
    // With no healthy proxy at all, a key keeps its old pin rather than silently going direct.
    return pinned === null ? current : Number(pinned);
  };
  const seen = new Set<string>();
  for (const key of desired) {
    seen.add(key.fingerprint);
    const row = byFingerprint.get(key.fingerprint);
    if (row === undefined) {
      plan.added += 1;
      plan.upserts.push({ ...key, proxyId: pinFor(key.fingerprint, null) });
      continue;
    }
    const proxyId = pinFor(key.fingerprint, row.proxyId);
    const moved =
      row.sourceFile !== key.sourceFile || row.sourceLine !== key.sourceLine || row.bucketId !== key.bucketId;
    const repinned = proxyId !== row.proxyId;
    if (row.removed) plan.restoredIds.push(row.id);
    else if (moved) plan.updated += 1;
    if (repinned && !row.removed) plan.repinned += 1;
    if (row.removed || moved || repinned) plan.upserts.push({ ...key, proxyId });
  }
  if (!keepMissing) {
    for (const row of existing) if (!row.removed && !seen.has(row.fingerprint)) plan.removeIds.push(row.id);
  }
  return plan;
}
