import { and, eq, notInArray } from 'drizzle-orm';
import type { Db } from '../database.js';
import { keys, stateChanges, triples } from '../schema.js';

export interface KeyToggleResult {
  /** False when no key has this id. */
  found: boolean;
  provider: string | null;
  /** False when the key already was in the asked state (nothing written). */
  changed: boolean;
  /** Triples moved to `disabled` (disable) or back to `untested` (enable). */
  triples: number;
}

/**
 * An operator's disable or enable of one key (`POST /admin/keys/:id/disable|enable`), with audit rows.
 * Disable sets `keys.disabled` (the lease and the probe skip such keys; the keeper's sync never writes
 * the column, so it survives any re-sync) and freezes the key's triples as `disabled`, which outcomes
 * never move. Enable starts those triples over as `untested`, due for a probe at once — a verdict from
 * before the disable may no longer hold.
 */
export async function setKeyDisabled(
  db: Db,
  keyId: number,
  disabled: boolean,
  context: { now: number; actor: string },
): Promise<KeyToggleResult> {
  const at = new Date(context.now);
  return db.transaction(async (tx) => {
    const [key] = await tx
      .select({ id: keys.id, provider: keys.provider, disabled: keys.disabled })
      .from(keys)
      .where(eq(keys.id, keyId))
      .for('update');
    if (!key) return { found: false, provider: null, changed: false, triples: 0 };
    if (key.disabled === disabled) return { found: true, provider: key.provider, changed: false, triples: 0 };

    await tx.update(keys).set({ disabled, updatedAt: at }).where(eq(keys.id, keyId));
    const why = disabled ? 'manual_disable' : 'manual_enable';
    await tx.insert(stateChanges).values({
      scope: 'key',
      subject: `${key.provider}/${keyId}`,
      keyId,
      fromState: disabled ? 'enabled' : 'disabled',
      toState: disabled ? 'disabled' : 'enabled',
      reason: why,
      evidence: { message: `${disabled ? 'disabled' : 'enabled'} by an operator` },
      actor: context.actor,
      createdAt: at,
    });

    const affected = await tx
      .select({ id: triples.id, model: triples.model, state: triples.state })
      .from(triples)
      .where(
        disabled
          ? and(eq(triples.keyId, keyId), notInArray(triples.state, ['disabled', 'removed']))
          : and(eq(triples.keyId, keyId), eq(triples.state, 'disabled')),
      )
      .for('update');
    if (affected.length === 0) return { found: true, provider: key.provider, changed: true, triples: 0 };

    const scoped = and(eq(triples.keyId, keyId), notInArray(triples.state, ['removed']));
    if (disabled) {
      await tx
        .update(triples)
        .set({ state: 'disabled', reason: null, halfOpen: false, nextProbeAt: null, updatedAt: at })
        .where(and(scoped, notInArray(triples.state, ['disabled'])));
    } else {
      await tx
        .update(triples)
        .set({
          state: 'untested',
          reason: null,
          cooldownUntil: null,
          consecutiveFailures: 0,
          breakerLevel: 0,
          halfOpen: false,
          nextProbeAt: at,
          updatedAt: at,
        })
        .where(and(scoped, eq(triples.state, 'disabled')));
    }
    await tx.insert(stateChanges).values(
      affected.map((row) => ({
        scope: 'triple' as const,
        subject: `${key.provider}/${keyId}/${row.model}`,
        tripleId: row.id,
        keyId,
        fromState: row.state,
        toState: disabled ? 'disabled' : 'untested',
        reason: why,
        evidence: { message: `key ${disabled ? 'disabled' : 'enabled'} by an operator` },
        actor: context.actor,
        createdAt: at,
      })),
    );
    return { found: true, provider: key.provider, changed: true, triples: affected.length };
  });
}
