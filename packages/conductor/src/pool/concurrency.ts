import type { RawQuery } from '@llmgw/db';

/** Replicas wake their queues on this channel when slots or leases come back. */
export const CAPACITY_CHANNEL = 'llmgw_capacity';

/** Marks the `leases` row of a half-open trial, so whoever reclaims it also ends the trial. */
const TRIAL_PREFIX = 'half-open:';

/*
 * A concurrency slot is `triples.inflight += 1` only while it stays within the limit, and a `leases`
 * row that remembers who holds it and until when — both in one statement, so two replicas can never
 * take the last slot together and a dead holder's slot comes back when its row expires.
 */
const CLAIM_SLOT_SQL = `
with t as (
  update triples set inflight = inflight + 1
  where id = $1 and ($2::int is null or inflight + 1 <= $2::int)
  returning id
)
insert into leases (triple_id, holder, request_id, slots, expires_at)
select id, $3, $4, 1, to_timestamp($5::float8 / 1000) from t
returning id::text as id`;

/**
 * The half-open trial: a cooldown that has ended lets exactly one request through (across replicas);
 * it also takes a concurrency slot so the row's expiry covers both when the holder dies.
 */
const CLAIM_TRIAL_SQL = `
with t as (
  update triples set inflight = inflight + 1, half_open = true
  where id = $1 and ($2::int is null or inflight + 1 <= $2::int)
    and not half_open and state in ('cooldown', 'no_quota')
    and cooldown_until <= to_timestamp($6::float8 / 1000)
  returning id
)
insert into leases (triple_id, holder, request_id, slots, expires_at)
select id, $3, $4, 1, to_timestamp($5::float8 / 1000) from t
returning id::text as id`;

/**
 * Deleting leases rows gives their slots back and ends their trials; the NOTIFY (sent at commit) wakes
 * the queues of every replica. One statement, whatever selected the rows; `$2` is the payload (the
 * sender's holder id, so it can ignore its own notice).
 */
function giveBackSql(where: string): string {
  return `
with gone as (delete from leases where ${where} returning triple_id, slots, request_id),
sums as (
  select triple_id, sum(slots)::int as slots, bool_or(request_id like '${TRIAL_PREFIX}%') as trial
  from gone group by triple_id
),
freed as (
  update triples t set inflight = greatest(t.inflight - sums.slots, 0),
    half_open = case when sums.trial then false else t.half_open end
  from sums where t.id = sums.triple_id
  returning t.id
)
select (select count(*) from gone)::int as rows,
  (select pg_notify('${CAPACITY_CHANNEL}', $2::text) where exists (select 1 from freed)) as notified`;
}

const GIVE_BACK_IDS_SQL = giveBackSql('id = any($1::uuid[]) and holder = $2');
const RECLAIM_EXPIRED_SQL = giveBackSql('expires_at < to_timestamp($1::float8 / 1000)');
const GIVE_BACK_HOLDER_SQL = giveBackSql('holder = $1');

const HEARTBEAT_SQL = `
update leases set expires_at = to_timestamp($2::float8 / 1000) where holder = $1
returning id::text as id`;

export interface SlotClaim {
  tripleId: number;
  concurrency: number | null;
  holder: string;
  requestId: string;
  expiresAt: number;
  now: number;
}

/** A slot's `leases` row id, or null when the triple is at its concurrency limit. */
export async function claimSlot(query: RawQuery, claim: SlotClaim): Promise<string | null> {
  const rows = await query<{ id: string }>(CLAIM_SLOT_SQL, [
    claim.tripleId,
    claim.concurrency,
    claim.holder,
    claim.requestId,
    claim.expiresAt,
  ]);
  return rows[0]?.id ?? null;
}

/** The trial's `leases` row id, or null when someone else runs it (or the triple moved on). */
export async function claimTrial(query: RawQuery, claim: SlotClaim): Promise<string | null> {
  const rows = await query<{ id: string }>(CLAIM_TRIAL_SQL, [
    claim.tripleId,
    claim.concurrency,
    claim.holder,
    `${TRIAL_PREFIX}${claim.requestId}`,
    claim.expiresAt,
    claim.now,
  ]);
  return rows[0]?.id ?? null;
}

/** Returns this holder's rows; resolves to how many existed. */
export async function giveBack(query: RawQuery, holder: string, ids: readonly string[]): Promise<number> {
  if (ids.length === 0) return 0;
  const rows = await query<{ rows: number }>(GIVE_BACK_IDS_SQL, [ids, holder]);
  return rows[0]?.rows ?? 0;
}

/** Frees rows whose holder stopped heartbeating (a replica killed with -9); run by every replica. */
export async function reclaimExpired(query: RawQuery, holder: string, now: number): Promise<number> {
  const rows = await query<{ rows: number }>(RECLAIM_EXPIRED_SQL, [now, holder]);
  return rows[0]?.rows ?? 0;
}

/** Shutdown: everything this replica holds goes back at once. */
export async function giveBackAll(query: RawQuery, holder: string): Promise<number> {
  const rows = await query<{ rows: number }>(GIVE_BACK_HOLDER_SQL, [holder, holder]);
  return rows[0]?.rows ?? 0;
}

/** Extends every row of this holder; returns the ids that still exist. */
export async function heartbeat(query: RawQuery, holder: string, expiresAt: number): Promise<Set<string>> {
  const rows = await query<{ id: string }>(HEARTBEAT_SQL, [holder, expiresAt]);
  return new Set(rows.map((row) => row.id));
}
