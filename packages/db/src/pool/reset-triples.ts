import { resetTriple, type TripleSnapshot } from '@llmgw/core';
import { and, eq, inArray, ne, type SQL } from 'drizzle-orm';
import type { Db } from '../database.js';
import { stateChanges, triples } from '../schema.js';

export interface ResetSelector {
  provider: string;
  keyId?: number;
  model?: string;
  /** Only triples in these states (the daily amnesty); default every state but `removed`. */
  states?: TripleSnapshot['state'][];
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
  const filters: SQL[] = [eq(triples.provider, selector.provider), ne(triples.state, 'removed')];
  if (selector.keyId !== undefined) filters.push(eq(triples.keyId, selector.keyId));
  if (selector.model !== undefined) filters.push(eq(triples.model, selector.model));
  if (selector.states) filters.push(inArray(triples.state, selector.states));
  const at = new Date(context.now);

  return db.transaction(async (tx) => {
    const rows = await tx
      .select()
      .from(triples)
      .where(and(...filters))
      .for('update');
    let changed = 0;
    for (const row of rows) {
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
    return changed;
  });
}
