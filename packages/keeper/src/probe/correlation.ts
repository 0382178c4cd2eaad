import { correlationPolicy, triplePolicy } from '@llmgw/config';
import {
  type CorrelatedVerdict,
  detectCorrelatedFailure,
  escalatingDelay,
  isFailureReason,
  type RecentFailure,
} from '@llmgw/core';
import { stateChanges } from '@llmgw/db/schema';
import type { KeeperDeps } from '../deps.js';
import { markProxyBad } from './proxy-health.js';

/** What a batch's correlated failures were blamed on: these subjects, not the keys behind them. */
export interface Blame {
  providers: ReadonlySet<string>;
  proxies: ReadonlySet<number>;
  verdicts: CorrelatedVerdict[];
}

interface LatestAttempt extends Record<string, unknown> {
  key_id: string | number;
  proxy_id: string | number | null;
  outcome: string;
  at: Date | string;
}

/**
 * SPEC §5 correlation rule over the attempts table, for the providers where this batch saw a
 * correlatable failure. Each key counts once, by its latest attempt in the window (a blip followed by a
 * success is not an outage), and the denominator is the keys *recently used* — attempted in the window —
 * so a large pool probed in slices still sees "every key we tried just failed". Verdicts are applied
 * here (provider cooldown, proxy marked bad, with audit rows) before any triple is blamed.
 */
export async function judgeCorrelatedFailures(
  deps: KeeperDeps,
  providersWithFailures: ReadonlySet<string>,
  now: number,
): Promise<Blame> {
  const blamedProviders = new Set<string>();
  const blamedProxies = new Set<number>();
  const verdicts: CorrelatedVerdict[] = [];
  for (const provider of providersWithFailures) {
    const policy = correlationPolicy(deps.config, provider);
    const latest = await deps.database.query<LatestAttempt>(
      `select distinct on (key_id) key_id, proxy_id, outcome, created_at as at
         from attempts
        where provider = $1 and created_at >= $2 and key_id is not null
          and outcome not in ('client_abort', 'bad_request')
        order by key_id, created_at desc`,
      [provider, new Date(now - policy.windowMs).toISOString()],
    );
    const byProxy = new Map<string, number>();
    const failures: RecentFailure[] = [];
    for (const row of latest) {
      const proxyId = row.proxy_id === null ? null : String(row.proxy_id);
      if (proxyId !== null) byProxy.set(proxyId, (byProxy.get(proxyId) ?? 0) + 1);
      if (!isFailureReason(row.outcome)) continue;
      failures.push({
        keyId: String(row.key_id),
        provider,
        proxyId,
        reason: row.outcome,
        at: new Date(row.at).getTime(),
      });
    }
    const found = detectCorrelatedFailure(
      failures,
      { byProvider: new Map([[provider, latest.length]]), byProxy },
      policy,
      now,
    );
    for (const verdict of found) {
      verdicts.push(verdict);
      if (verdict.scope === 'provider') {
        await coolProvider(deps, verdict, now);
        blamedProviders.add(provider);
      } else {
        const proxyId = Number(verdict.subject);
        await markProxyBad(deps, proxyId, now, {
          reason: 'proxy_error',
          message: `${verdict.failingKeys} of ${verdict.liveKeys} recently used keys behind the proxy failed together`,
        });
        blamedProxies.add(proxyId);
      }
    }
  }
  return { providers: blamedProviders, proxies: blamedProxies, verdicts };
}

/**
 * Puts the provider in cooldown for the breaker's open time, escalated by how often it was cooled down
 * recently, so a long outage is probed less and less often instead of every base period.
 */
async function coolProvider(deps: KeeperDeps, verdict: CorrelatedVerdict, now: number): Promise<void> {
  const { breaker } = triplePolicy(deps.config, verdict.subject);
  const [recent] = await deps.database.query<{ count: string | number }>(
    `select count(*) as count from state_changes
      where scope = 'provider' and subject = $1 and created_at >= $2`,
    [verdict.subject, new Date(now - breaker.openMaxMs).toISOString()],
  );
  const level = Number(recent?.count ?? 0);
  const until = now + escalatingDelay(breaker.openBaseMs, breaker.openMaxMs, level);
  const cooled = await deps.database.query(
    `update providers set cooldown_until = $2, cooldown_reason = $3, updated_at = $4
      where name = $1 and (cooldown_until is null or cooldown_until < $2)
      returning name`,
    [verdict.subject, new Date(until).toISOString(), verdict.reason, new Date(now).toISOString()],
  );
  if (cooled.length === 0) return;
  await deps.database.db.insert(stateChanges).values({
    scope: 'provider',
    subject: verdict.subject,
    fromState: 'active',
    toState: 'cooldown',
    reason: verdict.reason,
    evidence: {
      message: `${verdict.failingKeys} of ${verdict.liveKeys} recently used keys failed together`,
      failingKeys: verdict.failingKeys,
      liveKeys: verdict.liveKeys,
      until,
    },
    actor: deps.actor,
    createdAt: new Date(now),
  });
  deps.log.warn(
    { event: 'keeper.provider_cooldown', provider: verdict.subject, reason: verdict.reason, until },
    'provider cooled down: many keys failed together',
  );
}
