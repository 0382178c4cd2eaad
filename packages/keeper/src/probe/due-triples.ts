import type { TripleState } from '@llmgw/core';
import type { Db } from '@llmgw/db';
import { keys, providers, proxies, quotaBuckets, triples } from '@llmgw/db/schema';
import { and, asc, eq, gt, inArray, isNull, lte, notInArray, or, type SQL, sql } from 'drizzle-orm';

/** A triple the keeper should probe now, with what the call target needs (secret, pinned proxy). */
export interface DueTriple {
  tripleId: number;
  keyId: number;
  provider: string;
  model: string;
  state: TripleState;
  secret: string;
  /** The pool proxy the key is pinned to; null for direct or a provider-wide fixed proxy. */
  proxyId: number | null;
  pinnedProxyUrl: string | null;
}

export interface DueQuery {
  now: number;
  limit: number;
  /** Providers enabled in the config; the rest are not probed whatever the database says. */
  providers: readonly string[];
  /** Triples already handled in this tick. */
  exclude?: readonly number[];
}

/**
 * The due-time query (SPEC §6): live keys of enabled providers outside any provider or bucket cooldown,
 * behind a healthy proxy, in a state the schedule probes — untested, active, and cooldowns that have
 * ended (the breaker's half-open trial, a quota that should have reset) — whose `next_probe_at` has
 * come. Untested first, so a new pool becomes usable before old triples are rechecked.
 */
export async function selectDueTriples(db: Db, query: DueQuery): Promise<DueTriple[]> {
  if (query.providers.length === 0 || query.limit <= 0) return [];
  const at = new Date(query.now);
  const conditions: SQL[] = [
    inArray(triples.provider, [...query.providers]),
    isNull(keys.removedAt),
    eq(keys.disabled, false),
    eq(providers.enabled, true),
    orNull(providers.cooldownUntil, at),
    orNull(quotaBuckets.cooldownUntil, at),
    // A key pinned to a bad proxy waits for sync to move it or the proxy check to heal it.
    or(isNull(keys.proxyId), and(eq(proxies.healthy, true), isNull(proxies.removedAt))) ?? sql`true`,
    or(
      inArray(triples.state, ['untested', 'active']),
      and(inArray(triples.state, ['cooldown', 'no_quota']), lte(triples.cooldownUntil, at)),
    ) ?? sql`false`,
    or(isNull(triples.nextProbeAt), lte(triples.nextProbeAt, at), bucketTrialDue(at)) ?? sql`true`,
  ];
  if (query.exclude && query.exclude.length > 0) conditions.push(notInArray(triples.id, [...query.exclude]));
  const rows = await db
    .select({
      tripleId: triples.id,
      keyId: triples.keyId,
      provider: triples.provider,
      model: triples.model,
      state: triples.state,
      secret: keys.secret,
      proxyId: keys.proxyId,
      pinnedProxyUrl: proxies.url,
      bucketId: keys.bucketId,
      bucketUntil: quotaBuckets.cooldownUntil,
    })
    .from(triples)
    .innerJoin(keys, eq(keys.id, triples.keyId))
    .innerJoin(providers, eq(providers.name, triples.provider))
    .leftJoin(quotaBuckets, eq(quotaBuckets.id, keys.bucketId))
    .leftJoin(proxies, eq(proxies.id, keys.proxyId))
    .where(and(...conditions))
    .orderBy(
      sql`case when ${triples.state} = 'untested' then 0 else 1 end`,
      sql`${triples.nextProbeAt} asc nulls first`,
      asc(triples.id),
    )
    .limit(query.limit);
  return oneTrialPerBucket(rows);
}

/**
 * A bucket whose cooldown has ended but that no key of it has proved back yet (a success clears the
 * cooldown): its keys wait while one of them tries — were they probed together, a quota still out
 * would take a 429 from every key instead of one. The rest come in later batches.
 */
function oneTrialPerBucket(
  rows: readonly (DueTriple & { bucketId: number | null; bucketUntil: Date | null })[],
): DueTriple[] {
  const trying = new Set<number>();
  const due: DueTriple[] = [];
  for (const { bucketId, bucketUntil, ...row } of rows) {
    if (bucketId !== null && bucketUntil !== null) {
      if (trying.has(bucketId)) continue;
      trying.add(bucketId);
    }
    due.push(row);
  }
  return due;
}

/**
 * When a bucket's cooldown ends, one of its keys is probed at once whatever its own schedule says, so
 * the pool learns the quota is back (or not) from one call — unless a key of the bucket has already
 * been probed since the reset.
 */
function bucketTrialDue(at: Date): SQL {
  return sql`(${quotaBuckets.cooldownUntil} <= ${at} and not exists (
    select 1 from ${triples} tried join ${keys} mate on mate.id = tried.key_id
    where mate.bucket_id = ${quotaBuckets.id} and tried.last_probed_at >= ${quotaBuckets.cooldownUntil}))`;
}

/**
 * Real traffic is evidence (SPEC §5): an active triple that served successfully within its interval is
 * not probed; its next probe moves to `last_ok_at + interval`. Only due triples are touched, so a busy
 * pool does not rewrite every row each tick. Returns how many probes this saved.
 */
export async function deferTriplesWithEvidence(
  db: Db,
  now: number,
  intervals: ReadonlyMap<string, number>,
): Promise<number> {
  const at = new Date(now);
  let deferred = 0;
  for (const [provider, intervalMs] of intervals) {
    const since = new Date(now - intervalMs);
    const rows = await db
      .update(triples)
      .set({
        nextProbeAt: sql`${triples.lastOkAt} + ${intervalMs}::double precision * interval '1 millisecond'`,
      })
      .where(
        and(
          eq(triples.provider, provider),
          eq(triples.state, 'active'),
          gt(triples.lastOkAt, since),
          or(isNull(triples.nextProbeAt), lte(triples.nextProbeAt, at)),
        ),
      )
      .returning({ id: triples.id });
    deferred += rows.length;
  }
  return deferred;
}

function orNull(column: typeof providers.cooldownUntil | typeof quotaBuckets.cooldownUntil, at: Date): SQL {
  return or(isNull(column), lte(column, at)) ?? sql`true`;
}
