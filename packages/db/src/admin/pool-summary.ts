import type { RawQuery } from '../database.js';
import { isoOf, msOf, nullableNumberOf, numberOf } from './sql-values.js';

export interface ProviderSummary {
  provider: string;
  enabled: boolean;
  /** The provider-wide cooldown of the correlation rule (an outage), if one is running. */
  cooldownUntil: string | null;
  cooldownReason: string | null;
  keys: { live: number; disabled: number; removed: number };
  /** Live triples per state (`removed` ones are history and not counted). */
  triples: Record<string, number>;
  /** Triples the lease could hand out now (same rule as the pool's view, proxies and cooldowns included). */
  usable: number;
  total: number;
}

export interface KeeperLeader {
  /** Whether some session holds the keeper's advisory lock right now; null when it cannot be told. */
  present: boolean | null;
  /** The leader's backend pid and when its session started, where the database shows them. */
  pid: number | null;
  sessionStartedAt: string | null;
  /** The keeper runs inside the process that owns an embedded database and leads without a lock. */
  embedded: boolean;
}

export interface PoolSummary {
  providers: ProviderSummary[];
  totals: { triples: number; usable: number; keys: number };
  keeper: KeeperLeader;
}

/*
 * "Usable" mirrors the conductor's leasable rule (docs/design/conductor.md, pool view): state
 * active/untested, or a cooldown/no_quota whose end has passed; key live and enabled; provider enabled
 * and not cooling; bucket and pinned proxy fine. A manual_reset breaker (no end) is not usable.
 */
const USABLE = `
  k.removed_at is null and not k.disabled and p.enabled
  and (p.cooldown_until is null or p.cooldown_until <= now())
  and (b.cooldown_until is null or b.cooldown_until <= now())
  and (k.proxy_id is null or (px.id is not null and px.healthy and px.removed_at is null
       and (px.cooldown_until is null or px.cooldown_until <= now())))
  and (t.state in ('active', 'untested')
       or (t.state in ('cooldown', 'no_quota') and t.cooldown_until is not null and t.cooldown_until <= now()))`;

/**
 * The pool at a glance (`GET /admin/status`): per provider, triples per state and how many are usable.
 * `keeperLockId` is the advisory lock the keepers elect their leader with (`keeper.leader_lock_id`).
 */
export async function poolSummary(query: RawQuery, keeperLockId: number): Promise<PoolSummary> {
  const [providerRows, tripleRows, keyRows, keeper] = await Promise.all([
    query(
      `select name, enabled, ${msOf('cooldown_until')} as cooldown_until, cooldown_reason
       from providers order by name`,
    ),
    query(
      `select t.provider, t.state, count(*)::int as n, count(*) filter (where ${USABLE})::int as usable
       from triples t
       join keys k on k.id = t.key_id
       join providers p on p.name = t.provider
       left join quota_buckets b on b.id = k.bucket_id
       left join proxies px on px.id = k.proxy_id
       where t.state <> 'removed' and k.removed_at is null
       group by t.provider, t.state`,
    ),
    query(
      `select provider,
         count(*) filter (where removed_at is null)::int as live,
         count(*) filter (where removed_at is null and disabled)::int as disabled,
         count(*) filter (where removed_at is not null)::int as removed
       from keys group by provider`,
    ),
    keeperLeader(query, keeperLockId),
  ]);

  const byName = new Map<string, ProviderSummary>();
  const summaryOf = (name: string): ProviderSummary => {
    let found = byName.get(name);
    if (!found) {
      found = {
        provider: name,
        enabled: true,
        cooldownUntil: null,
        cooldownReason: null,
        keys: { live: 0, disabled: 0, removed: 0 },
        triples: {},
        usable: 0,
        total: 0,
      };
      byName.set(name, found);
    }
    return found;
  };
  const now = Date.now();
  for (const row of providerRows) {
    const summary = summaryOf(String(row.name));
    summary.enabled = row.enabled === true;
    const until = nullableNumberOf(row.cooldown_until);
    // A cooldown that has ended is no longer news for the operator.
    if (until !== null && until > now) {
      summary.cooldownUntil = isoOf(until);
      summary.cooldownReason = row.cooldown_reason === null ? null : String(row.cooldown_reason);
    }
  }
  for (const row of tripleRows) {
    const summary = summaryOf(String(row.provider));
    const count = numberOf(row.n);
    summary.triples[String(row.state)] = count;
    summary.total += count;
    summary.usable += numberOf(row.usable);
  }
  for (const row of keyRows) {
    const summary = summaryOf(String(row.provider));
    summary.keys = {
      live: numberOf(row.live),
      disabled: numberOf(row.disabled),
      removed: numberOf(row.removed),
    };
  }
  const providers = [...byName.values()].sort((a, b) => a.provider.localeCompare(b.provider));
  return {
    providers,
    totals: {
      triples: providers.reduce((sum, p) => sum + p.total, 0),
      usable: providers.reduce((sum, p) => sum + p.usable, 0),
      keys: providers.reduce((sum, p) => sum + p.keys.live, 0),
    },
    keeper,
  };
}

/**
 * The advisory lock is the truth about keeper leadership (SPEC §6); `pg_locks` shows who holds it, in
 * this database only (a server may host several pools). A bigint lock key is split into classid (high
 * 32 bits) and objid (low 32 bits).
 */
async function keeperLeader(query: RawQuery, lockId: number): Promise<KeeperLeader> {
  const high = Math.floor(lockId / 2 ** 32) >>> 0;
  const low = lockId >>> 0;
  try {
    const rows = await query(
      `select l.pid, ${msOf('a.backend_start')} as started
       from pg_locks l left join pg_stat_activity a on a.pid = l.pid
       where l.locktype = 'advisory' and l.granted and l.objsubid = 1
         and l.classid::text::bigint = $1::bigint and l.objid::text::bigint = $2::bigint
         and l.database = (select oid from pg_database where datname = current_database())
       limit 1`,
      [high, low],
    );
    const row = rows[0];
    if (!row) return { present: false, pid: null, sessionStartedAt: null, embedded: false };
    return {
      present: true,
      pid: nullableNumberOf(row.pid),
      sessionStartedAt: isoOf(row.started),
      embedded: false,
    };
  } catch {
    return { present: null, pid: null, sessionStartedAt: null, embedded: false };
  }
}
