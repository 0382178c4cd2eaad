import { resetTriple, type TripleSnapshot } from '@llmgw/core';
import { and, eq, inArray, ne, type SQL } from 'drizzle-orm';
import type { Db } from '../database.js';
import { keys, stateChanges, triples } from '../schema.js';

export interface ResetSelector {
  provider: string;
  keyId?: number;
  model?: string;
  /** Only triples in these states (the daily amnesty); default every state but `removed`. */
  states?: TripleSnapshot['state'][];
}

export interface ResetReport {
  /** Triples started over as `untested`. */
  reset: number;
  /** Disabled keys the selector matched and the reset left alone, ascending. */
  skippedDisabledKeys: number[];
}

/**
 * Starts matching triples over as `untested` (due for a probe now), through core's `resetTriple`, with
 * an audit entry each: the operator's manual reset (`llmgw keys reset`, the admin API) and the
 * keeper's daily amnesty both come through here. Returns how many triples changed.
 */
export async function resetTriples(
  db: Db,
  selector: ResetSelector,
  context: { now: number; actor: string; why: string },
): Promise<number> {
  return (await resetTriplesReport(db, selector, context)).reset;
}

/**
 * resetTriples, also naming the disabled keys it left alone. Whoever asks, a disabled key's triples are
 * never reset (nor any `disabled` triple): they would turn `untested` while the key stays disabled.
 * Enabling the key is the one way back, and it starts the triples over itself.
 */
export async function resetTriplesReport(
  db: Db,
  selector: ResetSelector,
  context: { now: number; actor: string; why: string },
): Promise<ResetReport> {
  const filters: SQL[] = [eq(triples.provider, selector.provider), ne(triples.state, 'removed')];
  if (selector.keyId !== undefined) filters.push(eq(triples.keyId, selector.keyId));
  if (selector.model !== undefined) filters.push(eq(triples.model, selector.model));
  if (selector.states) filters.push(inArray(triples.state, selector.states));
  const at = new Date(context.now);

  return db.transaction(async (tx) => {
    // Shared locks on the keys first, in the order setKeyDisabled takes them (keys, then triples): a
    // key disabled concurrently is either seen disabled here or waits until this reset is done.
    const scopedKeys = await tx
      .select({ id: keys.id, disabled: keys.disabled })
      .from(keys)
      .where(
        selector.keyId === undefined
          ? eq(keys.provider, selector.provider)
          : and(eq(keys.provider, selector.provider), eq(keys.id, selector.keyId)),
      )
      .for('share');
    const disabledKeys = new Set(scopedKeys.filter((key) => key.disabled).map((key) => key.id));
    const rows = await tx
      .select()
      .from(triples)
      .where(and(...filters))
      .for('update');
    const skipped = new Set<number>();
    let changed = 0;
    for (const row of rows) {
      if (disabledKeys.has(row.keyId)) {
        skipped.add(row.keyId);
        continue;
      }
      if (row.state === 'disabled') continue;
      const { next, audit } = resetTriple(
        {
          state: row.state,
          reason: row.reason,
          cooldownUntil: row.cooldownUntil?.getTime() ?? null,
          consecutiveFailures: row.consecutiveFailures,
          breakerLevel: row.breakerLevel,
        },
        context.now,
        context.why,
      );
      if (!audit || (row.state === 'untested' && row.consecutiveFailures === 0)) continue;
      changed += 1;
      await tx
        .update(triples)
        .set({
          state: next.state,
          reason: next.reason,
          cooldownUntil: null,
          consecutiveFailures: 0,
          breakerLevel: 0,
          halfOpen: false,
          nextProbeAt: at,
          updatedAt: at,
        })
        .where(eq(triples.id, row.id));
      await tx.insert(stateChanges).values({
        scope: 'triple',
        subject: `${row.provider}/${row.keyId}/${row.model}`,
        tripleId: row.id,
        keyId: row.keyId,
        fromState: audit.from,
        toState: audit.to,
        reason: context.why,
        evidence: audit.evidence,
        actor: context.actor,
        createdAt: at,
      });
    }
    return { reset: changed, skippedDisabledKeys: [...skipped].sort((a, b) => a - b) };
  });
}
