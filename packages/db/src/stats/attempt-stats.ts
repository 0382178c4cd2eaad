import type { Database } from '../database.js';

/** What `llmgw stats` groups the request log by. */
export const STATS_GROUPINGS = ['provider', 'model', 'key'] as const;
export type StatsGrouping = (typeof STATS_GROUPINGS)[number];

export interface StatsQuery {
  since: Date;
  /** Exclusive end of the window; default now. */
  until?: Date;
  by: StatsGrouping;
  /** Only this provider. */
  provider?: string;
  /** Count the keeper's probes as traffic too; default false (real requests only). */
  includeProbes?: boolean;
}

/** Figures of one slice of the request log (a group, or the whole window). */
export interface AttemptFigures {
  /** Requests whose answer came from this slice: the `final` attempts. */
  requests: number;
  attempts: number;
  /** Attempts that ended in a failure reason (`client_abort` is not a failure). */
  failedAttempts: number;
  /** failedAttempts / attempts; 0 when there were none. */
  errorRate: number;
  /** Requests whose final attempt failed: what the callers saw fail. */
  failedRequests: number;
  requestErrorRate: number;
  /** Attempts that were not final: each one is a failover away from this slice. */
  fallbacks: number;
  /** Final attempts with attempt_no > 1: requests served (or failed) only after a failover. */
  retriedRequests: number;
  clientAborts: number;
  /** Failed attempts per reason. */
  errors: Record<string, number>;
  tokens: { prompt: number; completion: number; cached: number };
  /** Latency of successful attempts, ms; null when there were none. */
  latencyMs: { p50: number | null; p95: number | null };
}

export interface StatsGroup extends AttemptFigures {
  provider: string;
  /** Set when grouped by model. */
  model?: string;
  /** Set when grouped by key; null for attempts without a key (offline answers, cache hits). */
  keyId?: number | null;
  keyMask?: string | null;
}

export interface CachedShare {
  provider: string;
  promptTokens: number;
  cachedTokens: number;
  /** cachedTokens / promptTokens; null when no prompt tokens were recorded. */
  share: number | null;
}

export interface AttemptStats {
  since: Date;
  until: Date;
  by: StatsGrouping;
  includeProbes: boolean;
  totals: AttemptFigures;
  groups: StatsGroup[];
  /** Per provider whatever the grouping: how much of the input the providers' prompt caches served. */
  cachedShare: CachedShare[];
}

const GROUP_COLUMNS: Record<StatsGrouping, readonly string[]> = {
  provider: ['provider'],
  model: ['provider', 'model'],
  key: ['provider', 'key_id'],
};

const FAILED = `outcome not in ('ok', 'client_abort')`;

// Sums and counts are cast to float8/int so both drivers hand back JS numbers (pg returns bigint and
// numeric as strings). Latency percentiles are over successful attempts: a 401 answered in 3 ms says
// nothing about how fast the provider serves.
const FIGURES = `
  count(*) filter (where final)::int as requests,
  count(*)::int as attempts,
  count(*) filter (where ${FAILED})::int as failed_attempts,
  count(*) filter (where final and ${FAILED})::int as failed_requests,
  count(*) filter (where not final)::int as fallbacks,
  count(*) filter (where final and attempt_no > 1)::int as retried_requests,
  count(*) filter (where outcome = 'client_abort')::int as client_aborts,
  coalesce(sum(prompt_tokens), 0)::float8 as prompt_tokens,
  coalesce(sum(completion_tokens), 0)::float8 as completion_tokens,
  coalesce(sum(cached_tokens), 0)::float8 as cached_tokens,
  (percentile_cont(0.5) within group (order by latency_ms) filter (where outcome = 'ok'))::float8 as p50,
  (percentile_cont(0.95) within group (order by latency_ms) filter (where outcome = 'ok'))::float8 as p95`;

interface FiguresRow {
  requests: number;
  attempts: number;
  failed_attempts: number;
  failed_requests: number;
  fallbacks: number;
  retried_requests: number;
  client_aborts: number;
  prompt_tokens: number;
  completion_tokens: number;
  cached_tokens: number;
  p50: number | null;
  p95: number | null;
}

interface GroupRow extends FiguresRow {
  provider: string;
  model?: string;
  key_id?: number | string | null;
  key_mask?: string | null;
}

interface ErrorRow {
  provider?: string;
  model?: string;
  key_id?: number | string | null;
  outcome: string;
  count: number;
}

/**
 * The request log of a window, summarised by provider, model or key (`llmgw stats`): requests, error
 * rates and reasons, fallbacks, tokens, p50/p95 latency, and the cached-token share per provider.
 * Everything is computed in SQL, so a week of attempts never travels to the CLI row by row.
 */
export async function queryAttemptStats(database: Database, query: StatsQuery): Promise<AttemptStats> {
  const until = query.until ?? new Date();
  const includeProbes = query.includeProbes === true;
  // ISO strings rather than Dates: both drivers take them as timestamptz the same way.
  const params: unknown[] = [query.since.toISOString(), until.toISOString(), includeProbes];
  let where = 'created_at >= $1 and created_at < $2 and ($3::bool or not probe)';
  if (query.provider !== undefined) {
    params.push(query.provider);
    where += ` and provider = $${params.length}`;
  }
  const scope = `with scope as (select * from attempts where ${where})`;
  const columns = GROUP_COLUMNS[query.by];
  const groupBy = columns.join(', ');

  const [totalRows, groupRows, errorRows, totalErrorRows, shareRows] = await Promise.all([
    database.query<FiguresRow & Record<string, unknown>>(`${scope} select ${FIGURES} from scope`, params),
    database.query<GroupRow & Record<string, unknown>>(
      `${scope}, grouped as (select ${groupBy}, ${FIGURES} from scope group by ${groupBy})
       select grouped.*${query.by === 'key' ? ', keys.mask as key_mask' : ''}
       from grouped${query.by === 'key' ? ' left join keys on keys.id = grouped.key_id' : ''}
       order by requests desc, attempts desc, ${columns.map((column) => `grouped.${column}`).join(', ')}`,
      params,
    ),
    database.query<ErrorRow & Record<string, unknown>>(
      `${scope} select ${groupBy}, outcome, count(*)::int as count from scope where ${FAILED}
       group by ${groupBy}, outcome`,
      params,
    ),
    database.query<ErrorRow & Record<string, unknown>>(
      `${scope} select outcome, count(*)::int as count from scope where ${FAILED} group by outcome`,
      params,
    ),
    database.query<{ provider: string; prompt_tokens: number; cached_tokens: number }>(
      `${scope} select provider, coalesce(sum(prompt_tokens), 0)::float8 as prompt_tokens,
         coalesce(sum(cached_tokens), 0)::float8 as cached_tokens
       from scope group by provider order by provider`,
      params,
    ),
  ]);

  const errorsOf = (rows: readonly ErrorRow[]): Record<string, number> => {
    const errors: Record<string, number> = {};
    for (const row of [...rows].sort((a, b) => b.count - a.count || a.outcome.localeCompare(b.outcome))) {
      errors[row.outcome] = row.count;
    }
    return errors;
  };
  const groupKey = (row: { provider?: string; model?: string; key_id?: number | string | null }) =>
    columns.map((column) => String(row[column as 'provider' | 'model' | 'key_id'] ?? '')).join('\u0000');
  const errorsByGroup = new Map<string, ErrorRow[]>();
  for (const row of errorRows) {
    const key = groupKey(row);
    errorsByGroup.set(key, [...(errorsByGroup.get(key) ?? []), row]);
  }

  const emptyTotals: FiguresRow = {
    requests: 0,
    attempts: 0,
    failed_attempts: 0,
    failed_requests: 0,
    fallbacks: 0,
    retried_requests: 0,
    client_aborts: 0,
    prompt_tokens: 0,
    completion_tokens: 0,
    cached_tokens: 0,
    p50: null,
    p95: null,
  };
  return {
    since: query.since,
    until,
    by: query.by,
    includeProbes,
    totals: figuresOf(totalRows[0] ?? emptyTotals, errorsOf(totalErrorRows)),
    groups: groupRows.map((row) => {
      const group: StatsGroup = {
        provider: row.provider,
        ...figuresOf(row, errorsOf(errorsByGroup.get(groupKey(row)) ?? [])),
      };
      if (query.by === 'model') group.model = row.model ?? '';
      if (query.by === 'key') {
        group.keyId = row.key_id === null || row.key_id === undefined ? null : Number(row.key_id);
        group.keyMask = row.key_mask ?? null;
      }
      return group;
    }),
    cachedShare: shareRows.map((row) => ({
      provider: row.provider,
      promptTokens: row.prompt_tokens,
      cachedTokens: row.cached_tokens,
      share: row.prompt_tokens > 0 ? row.cached_tokens / row.prompt_tokens : null,
    })),
  };
}

function figuresOf(row: FiguresRow, errors: Record<string, number>): AttemptFigures {
  return {
    requests: row.requests,
    attempts: row.attempts,
    failedAttempts: row.failed_attempts,
    errorRate: ratio(row.failed_attempts, row.attempts),
    failedRequests: row.failed_requests,
    requestErrorRate: ratio(row.failed_requests, row.requests),
    fallbacks: row.fallbacks,
    retriedRequests: row.retried_requests,
    clientAborts: row.client_aborts,
    errors,
    tokens: { prompt: row.prompt_tokens, completion: row.completion_tokens, cached: row.cached_tokens },
    latencyMs: { p50: row.p50, p95: row.p95 },
  };
}

function ratio(part: number, whole: number): number {
  return whole > 0 ? part / whole : 0;
}
