import type { Database } from '@llmgw/db';
import { describeDbError } from '@llmgw/db';
import type { Logger } from 'pino';

/** Keep in step with `EWMA_ALPHA` of outcomes.ts and of `recordTripleOutcome`. */
const KEEP = 0.8;

/*
 * n successes in a row move an EWMA as (1-α)^n of the old value plus the rest of the new one; the
 * latency of the batch enters as its mean. One UPDATE for every triple of the batch. n is capped in
 * the exponent: 0.8^200 is already nothing, and 0.8^12750 underflows float8 (an error, not a zero).
 */
const FLUSH_SQL = `
update triples t set
  ewma_success = 1 - (1 - t.ewma_success) * power(${KEEP}::float8, b.n),
  ewma_latency_ms = case when b.latency is null then t.ewma_latency_ms
    else coalesce(t.ewma_latency_ms * power(${KEEP}::float8, b.n) + b.latency * (1 - power(${KEEP}::float8, b.n)),
      b.latency) end,
  last_used_at = greatest(t.last_used_at, to_timestamp(b.at / 1000)),
  last_ok_at = greatest(t.last_ok_at, to_timestamp(b.at / 1000))
from (select id, least(n, 200) as n, latency, at
  from unnest($1::float8[], $2::int[], $3::float8[], $4::float8[]) as u(id, n, latency, at)) as b
where t.id = b.id::bigint`;

interface Aggregate {
  n: number;
  latencySum: number;
  latencyCount: number;
  at: number;
}

export interface SuccessBatch {
  add(tripleId: number, latencyMs: number | undefined, now: number): void;
  /** Writes what is aggregated; on failure the batch is put back and retried by the next flush. */
  flush(): Promise<void>;
  size(): number;
}

export function createSuccessBatch(deps: { database: Database; log: Logger }): SuccessBatch {
  let pending = new Map<number, Aggregate>();
  let flushing: Promise<void> | null = null;

  const merge = (into: Map<number, Aggregate>, id: number, from: Aggregate) => {
    const found = into.get(id);
    if (!found) {
      into.set(id, from);
      return;
    }
    found.n += from.n;
    found.latencySum += from.latencySum;
    found.latencyCount += from.latencyCount;
    found.at = Math.max(found.at, from.at);
  };

  const run = async () => {
    const batch = pending;
    pending = new Map();
    const ids: number[] = [];
    const counts: number[] = [];
    const latencies: Array<number | null> = [];
    const times: number[] = [];
    for (const [id, aggregate] of batch) {
      ids.push(id);
      counts.push(aggregate.n);
      latencies.push(aggregate.latencyCount === 0 ? null : aggregate.latencySum / aggregate.latencyCount);
      times.push(aggregate.at);
    }
    try {
      await deps.database.query(FLUSH_SQL, [ids, counts, latencies, times]);
    } catch (error) {
      for (const [id, aggregate] of batch) merge(pending, id, aggregate);
      deps.log.warn(
        { error: describeDbError(error), triples: ids.length },
        'pool: could not flush successes; will retry',
      );
    }
  };

  return {
    add(tripleId, latencyMs, now) {
      const found = pending.get(tripleId);
      const measured = latencyMs === undefined ? 0 : 1;
      if (found) {
        found.n += 1;
        found.latencySum += latencyMs ?? 0;
        found.latencyCount += measured;
        found.at = now;
      } else {
        pending.set(tripleId, { n: 1, latencySum: latencyMs ?? 0, latencyCount: measured, at: now });
      }
    },
    async flush() {
      while (flushing) await flushing;
      if (pending.size === 0) return;
      flushing = run().finally(() => {
        flushing = null;
      });
      await flushing;
    },
    size: () => pending.size,
  };
}
