import { and, asc, desc, eq, gte, ne, type SQL } from 'drizzle-orm';
import type { Db } from '../database.js';
import { keys, stateChanges, triples } from '../schema.js';

/** One triple as an operator sees it: the key only by id and mask, never its secret. */
export interface TripleView {
  tripleId: number;
  provider: string;
  keyId: number;
  keyMask: string;
  sourceFile: string;
  sourceLine: number;
  model: string;
  state: string;
  reason: string | null;
  cooldownUntil: Date | null;
  successRate: number;
  latencyMs: number | null;
  lastOkAt: Date | null;
}

export interface TripleFilter {
  provider?: string;
  keyId?: number;
  state?: string;
  /** Include removed keys' triples (history); default false. */
  includeRemoved?: boolean;
  limit?: number;
  offset?: number;
}

/** The pool, triple by triple, for `llmgw keys status`, the admin API and the dashboard. */
export async function listTriples(db: Db, filter: TripleFilter = {}): Promise<TripleView[]> {
  const where: SQL[] = [];
  if (filter.provider) where.push(eq(triples.provider, filter.provider));
  if (filter.keyId !== undefined) where.push(eq(triples.keyId, filter.keyId));
  if (filter.state) where.push(eq(triples.state, filter.state as typeof triples.$inferSelect.state));
  if (!filter.includeRemoved) where.push(ne(triples.state, 'removed'));
  const rows = await db
    .select({
      tripleId: triples.id,
      provider: triples.provider,
      keyId: triples.keyId,
      keyMask: keys.mask,
      sourceFile: keys.sourceFile,
      sourceLine: keys.sourceLine,
      model: triples.model,
      state: triples.state,
      reason: triples.reason,
      cooldownUntil: triples.cooldownUntil,
      successRate: triples.ewmaSuccess,
      latencyMs: triples.ewmaLatencyMs,
      lastOkAt: triples.lastOkAt,
    })
    .from(triples)
    .innerJoin(keys, eq(keys.id, triples.keyId))
    .where(and(...where))
    .orderBy(asc(triples.provider), asc(triples.keyId), asc(triples.model))
    .limit(filter.limit ?? 10_000)
    .offset(filter.offset ?? 0);
  return rows;
}

export interface StateChangeView {
  at: Date;
  scope: string;
  subject: string;
  keyId: number | null;
  from: string | null;
  to: string;
  reason: string | null;
  actor: string | null;
  evidence: unknown;
}

/** The audit log, newest first (`llmgw keys history`, `GET /admin/keys/:id/history`). */
export async function listStateChanges(
  db: Db,
  filter: { keyId?: number; since?: Date; limit?: number } = {},
): Promise<StateChangeView[]> {
  const where: SQL[] = [];
  if (filter.keyId !== undefined) where.push(eq(stateChanges.keyId, filter.keyId));
  if (filter.since) where.push(gte(stateChanges.createdAt, filter.since));
  return db
    .select({
      at: stateChanges.createdAt,
      scope: stateChanges.scope,
      subject: stateChanges.subject,
      keyId: stateChanges.keyId,
      from: stateChanges.fromState,
      to: stateChanges.toState,
      reason: stateChanges.reason,
      actor: stateChanges.actor,
      evidence: stateChanges.evidence,
    })
    .from(stateChanges)
    .where(and(...where))
    .orderBy(desc(stateChanges.createdAt), desc(stateChanges.id))
    .limit(filter.limit ?? 200);
}
