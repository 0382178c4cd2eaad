import type { RawQuery } from '../database.js';
import { nullableNumberOf, numberOf } from './sql-values.js';

export interface ProviderTraffic {
  provider: string;
  /** Requests answered (each request's final attempt), and those answered with an error. */
  requests: number;
  errors: number;
  /** Upstream attempts, failovers included, and the failed ones by reason. */
  attempts: number;
  failedAttempts: Record<string, number>;
  /** Mean latency of the successful final attempts, ms. */
  meanLatencyMs: number | null;
}

export interface TrafficRates {
  windowSeconds: number;
  providers: ProviderTraffic[];
}

/**
 * Real traffic of the last `windowMs` per provider, from the attempts table (probes excluded): the
 * dashboard's request and error rates. Uses the (provider, created_at) index through the time range.
 */
export async function trafficRates(query: RawQuery, windowMs: number): Promise<TrafficRates> {
  const seconds = Math.max(1, Math.round(windowMs / 1000));
  const since = `now() - make_interval(secs => $1)`;
  const [totals, reasons] = await Promise.all([
    query(
      `select provider,
         count(*) filter (where final)::int as requests,
         count(*) filter (where final and outcome not in ('ok', 'client_abort'))::int as errors,
         count(*)::int as attempts,
         avg(latency_ms) filter (where final and outcome = 'ok')::float8 as mean_latency
       from attempts where created_at >= ${since} and not probe
       group by provider order by provider`,
      [seconds],
    ),
    query(
      `select provider, outcome, count(*)::int as n
       from attempts where created_at >= ${since} and not probe and outcome not in ('ok', 'client_abort')
       group by provider, outcome`,
      [seconds],
    ),
  ]);
  const byProvider = new Map<string, ProviderTraffic>();
  for (const row of totals) {
    const provider = String(row.provider);
    byProvider.set(provider, {
      provider,
      requests: numberOf(row.requests),
      errors: numberOf(row.errors),
      attempts: numberOf(row.attempts),
      failedAttempts: {},
      meanLatencyMs: nullableNumberOf(row.mean_latency),
    });
  }
  for (const row of reasons) {
    const entry = byProvider.get(String(row.provider));
    if (entry) entry.failedAttempts[String(row.outcome)] = numberOf(row.n);
  }
  return { windowSeconds: seconds, providers: [...byProvider.values()] };
}
