import type { RawQuery } from '../database.js';
import { isoOf, msOf, nullableNumberOf, numberOf } from './sql-values.js';

export interface AuditEntry {
  id: number;
  at: string | null;
  scope: string;
  subject: string;
  tripleId: number | null;
  keyId: number | null;
  from: string | null;
  to: string;
  reason: string | null;
  actor: string | null;
  /** What decided it: a key-free message and, for upstream verdicts, the HTTP status. */
  evidence: unknown;
}

export interface AuditPage {
  entries: AuditEntry[];
  /** Pass as `cursor` for older entries; null when there are none. */
  nextCursor: number | null;
}

export interface AuditFilter {
  keyId?: number;
  limit: number;
  /** Entries older than this id (the previous page's `nextCursor`). */
  cursor?: number;
}

/**
 * The audit log newest first, paged by id (`GET /admin/keys/:id/history`, the dashboard's recent
 * changes). Ids only grow, so a cursor never skips or repeats an entry while new ones arrive.
 */
export async function listAuditLog(query: RawQuery, filter: AuditFilter): Promise<AuditPage> {
  const where: string[] = [];
  const params: unknown[] = [];
  if (filter.keyId !== undefined) {
    params.push(filter.keyId);
    where.push(`key_id = $${params.length}`);
  }
  if (filter.cursor !== undefined) {
    params.push(filter.cursor);
    where.push(`id < $${params.length}`);
  }
  params.push(filter.limit + 1);
  const rows = await query(
    `select id::float8 as id, ${msOf('created_at')} as at, scope, subject, triple_id::float8 as triple_id,
       key_id::float8 as key_id, from_state, to_state, reason, actor, evidence
     from state_changes
     ${where.length > 0 ? `where ${where.join(' and ')}` : ''}
     order by id desc
     limit $${params.length}`,
    params,
  );
  const entries = rows.slice(0, filter.limit).map(
    (row): AuditEntry => ({
      id: numberOf(row.id),
      at: isoOf(row.at),
      scope: String(row.scope),
      subject: String(row.subject),
      tripleId: nullableNumberOf(row.triple_id),
      keyId: nullableNumberOf(row.key_id),
      from: row.from_state === null ? null : String(row.from_state),
      to: String(row.to_state),
      reason: row.reason === null ? null : String(row.reason),
      actor: row.actor === null ? null : String(row.actor),
      evidence: row.evidence ?? null,
    }),
  );
  const last = entries.at(-1);
  return { entries, nextCursor: rows.length > filter.limit && last !== undefined ? last.id : null };
}
