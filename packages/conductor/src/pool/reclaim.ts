import { giveBack, heartbeat, reclaimExpired } from './concurrency.js';
import type { PoolContext } from './context.js';

/**
 * Extends this replica's `leases` rows. A row missing from the answer was reclaimed by another replica
 * (this one missed heartbeats, e.g. the database was away): its slot is no longer ours to reuse.
 */
export async function heartbeatHeld(ctx: PoolContext): Promise<void> {
  const alive = await heartbeat(ctx.query, ctx.deps.holder, ctx.deps.now() + ctx.ttlMs);
  for (const entry of ctx.view.byId.values()) {
    const local = entry.local;
    if (local.slotRows.length === 0) continue;
    const kept = local.slotRows.filter((id) => alive.has(id));
    if (kept.length === local.slotRows.length) continue;
    ctx.deps.log.warn(
      { tripleId: entry.id, lost: local.slotRows.length - kept.length },
      'pool: concurrency slots were reclaimed while this replica held them',
    );
    local.slotRows = kept;
    local.slotsUsed = Math.min(local.slotsUsed, kept.length);
  }
}

/**
 * Every replica frees the rows of holders that stopped heartbeating (a `kill -9`), so their slots come
 * back within the TTL; and retries giving back its own rows that a database error kept.
 */
export async function reclaimTick(ctx: PoolContext): Promise<void> {
  if (ctx.strayRows.length > 0) {
    const rows = ctx.strayRows.splice(0);
    try {
      await giveBack(ctx.query, ctx.deps.holder, rows);
    } catch (error) {
      ctx.strayRows.push(...rows);
      throw error;
    }
  }
  const freed = await reclaimExpired(ctx.query, ctx.deps.holder, ctx.deps.now());
  if (freed > 0) {
    ctx.deps.log.info({ leases: freed }, 'pool: reclaimed expired leases');
    ctx.wake();
  }
}
