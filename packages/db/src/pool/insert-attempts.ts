import type { AttemptOutcome } from '@llmgw/core';
import type { Database } from '../database.js';

/** One row of the request log as the gateway writes it (`attempts`; source upstream, not a probe). */
export interface AttemptRow {
  requestId: string;
  attemptNo: number;
  final: boolean;
  provider: string;
  model: string;
  keyId: number | null;
  tripleId: number | null;
  proxyId: number | null;
  outcome: AttemptOutcome;
  status: number | null;
  latencyMs: number;
  ttfbMs: number | null;
  promptTokens: number | null;
  completionTokens: number | null;
  cachedTokens: number | null;
  stream: boolean;
  message: string | null;
}

// One array parameter per column, expanded by unnest: the statement is the same text for any batch
// size, costs nothing to build, and Postgres plans it once. A query builder spends tens of
// milliseconds of the event loop assembling a 500-row VALUES list, which shows up as p99.
const INSERT = `insert into attempts
  (request_id, attempt_no, final, provider, model, key_id, triple_id, proxy_id, outcome, status,
   latency_ms, ttfb_ms, prompt_tokens, completion_tokens, cached_tokens, stream, message)
  select * from unnest($1::text[], $2::int[], $3::bool[], $4::text[], $5::text[], $6::bigint[],
    $7::bigint[], $8::bigint[], $9::text[], $10::int[], $11::int[], $12::int[], $13::int[], $14::int[],
    $15::int[], $16::bool[], $17::text[])`;

/** Writes a batch of attempt records in one statement. */
export async function insertAttempts(database: Database, rows: readonly AttemptRow[]): Promise<void> {
  if (rows.length === 0) return;
  const column = <T>(pick: (row: AttemptRow) => T): T[] => rows.map(pick);
  await database.query(INSERT, [
    column((row) => row.requestId),
    column((row) => row.attemptNo),
    column((row) => row.final),
    column((row) => row.provider),
    column((row) => row.model),
    column((row) => row.keyId),
    column((row) => row.tripleId),
    column((row) => row.proxyId),
    column((row) => row.outcome),
    column((row) => row.status),
    column((row) => Math.round(row.latencyMs)),
    column((row) => (row.ttfbMs === null ? null : Math.round(row.ttfbMs))),
    column((row) => row.promptTokens),
    column((row) => row.completionTokens),
    column((row) => row.cachedTokens),
    column((row) => row.stream),
    column((row) => row.message),
  ]);
}
