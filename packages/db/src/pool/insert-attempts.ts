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

// The batch travels as one JSON parameter: the statement is the same text for any batch size and
// Postgres plans it once, and JSON.stringify (native) serialises 500 rows in well under a millisecond,
// where one array literal per column (pg escapes every element with two regular expressions) cost
// about 4 % of the gateway's allocations. Milliseconds are rounded here, in one place for both paths.
const INSERT = `insert into attempts
  (request_id, attempt_no, final, provider, model, key_id, triple_id, proxy_id, outcome, status,
   latency_ms, ttfb_ms, prompt_tokens, completion_tokens, cached_tokens, stream, message)
  select r."requestId", r."attemptNo", r.final, r.provider, r.model, r."keyId", r."tripleId",
    r."proxyId", r.outcome, r.status, round(r."latencyMs")::int, round(r."ttfbMs")::int,
    r."promptTokens", r."completionTokens", r."cachedTokens", r.stream, r.message
  from json_to_recordset($1::json) as r("requestId" text, "attemptNo" int, final bool, provider text,
    model text, "keyId" bigint, "tripleId" bigint, "proxyId" bigint, outcome text, status int,
    "latencyMs" float8, "ttfbMs" float8, "promptTokens" int, "completionTokens" int,
    "cachedTokens" int, stream bool, message text)`;

/** Writes a batch of attempt records in one statement. */
export async function insertAttempts(database: Database, rows: readonly AttemptRow[]): Promise<void> {
  if (rows.length === 0) return;
  await database.query(INSERT, [JSON.stringify(rows)]);
}
