import { sql } from 'drizzle-orm';
import { at, type Executor, queryCount } from './db-exec.js';

export interface TripleScope {
  provider: string;
  /** Models the provider serves now. */
  models: readonly string[];
  /** Remove triples of models outside `models` (false while the provider's API may add models). */
  prune: boolean;
  now: Date;
  actor: string;
}

/**
 * Marks `removed` every triple whose key left the files or whose model left the config, with one audit
 * row each. The rows stay: their history (attempts, audit) still points at them.
 */
export async function removeStaleTriples(executor: Executor, scope: TripleScope): Promise<number> {
  const { provider, models, now, actor } = scope;
  const modelGone = scope.prune ? sql`or not (t.model = any(${sql.param(models)}::text[]))` : sql``;
  return queryCount(
    executor,
    sql`
    with gone as (
      select t.id, t.key_id, t.model, t.state, k.removed_at is not null as key_gone
      from triples t join keys k on k.id = t.key_id
      where t.provider = ${provider} and t.state <> 'removed'
        and (k.removed_at is not null ${modelGone})
      for update of t
    ), changed as (
      update triples t
      set state = 'removed', half_open = false, next_probe_at = null, updated_at = ${at(now)}
      from gone where t.id = gone.id
    ), audit as (
      insert into state_changes (scope, subject, triple_id, key_id, from_state, to_state, reason, evidence, actor, created_at)
      select case when key_gone then 'key' else 'triple' end,
             ${provider}::text || '/' || key_id || '/' || model, id, key_id, state, 'removed',
             case when key_gone then 'key_removed' else 'model_removed' end,
             jsonb_build_object('source', 'sync'), ${actor}, ${at(now)}
      from gone
      returning 1
    )
    select count(*)::int as n from audit`,
  );
}

/**
 * Brings back `removed` triples whose key and model are present again, as `untested` so they are probed
 * before they are leased; a key that returns starts with a clean slate.
 */
export async function restoreTriples(
  executor: Executor,
  scope: TripleScope,
  restoredKeyIds: readonly number[],
): Promise<number> {
  const { provider, models, now, actor } = scope;
  return queryCount(
    executor,
    sql`
    with back as (
      select t.id, t.key_id, t.model, t.key_id = any(${sql.param(restoredKeyIds)}::bigint[]) as key_back
      from triples t join keys k on k.id = t.key_id
      where t.provider = ${provider} and t.state = 'removed' and k.removed_at is null
        and t.model = any(${sql.param(models)}::text[])
      for update of t
    ), changed as (
      update triples t
      set state = 'untested', reason = null, cooldown_until = null, consecutive_failures = 0,
          breaker_level = 0, half_open = false, next_probe_at = ${at(now)}, updated_at = ${at(now)}
      from back where t.id = back.id
    ), audit as (
      insert into state_changes (scope, subject, triple_id, key_id, from_state, to_state, reason, evidence, actor, created_at)
      select case when key_back then 'key' else 'triple' end,
             ${provider}::text || '/' || key_id || '/' || model, id, key_id, 'removed', 'untested',
             case when key_back then 'key_restored' else 'model_restored' end,
             jsonb_build_object('source', 'sync'), ${actor}, ${at(now)}
      from back
      returning 1
    )
    select count(*)::int as n from audit`,
  );
}

/** Creates the missing live key × model triples as `untested`, due for a probe at once. */
export async function addMissingTriples(executor: Executor, scope: TripleScope): Promise<number> {
  const { provider, models, now } = scope;
  if (models.length === 0) return 0;
  return queryCount(
    executor,
    sql`
    with added as (
      insert into triples (key_id, provider, model, state, next_probe_at, updated_at)
      select k.id, k.provider, m.model, 'untested', ${at(now)}, ${at(now)}
      from keys k cross join unnest(${sql.param(models)}::text[]) as m(model)
      where k.provider = ${provider} and k.removed_at is null
        and not exists (select 1 from triples t where t.key_id = k.id and t.model = m.model)
      on conflict (key_id, model) do nothing
      returning 1
    )
    select count(*)::int as n from added`,
  );
}
