import { providerNames, providerSettings } from '@llmgw/config';
import { escalatingDelay, type FailureReason } from '@llmgw/core';
import { proxies, stateChanges } from '@llmgw/db/schema';
import { and, eq, isNull, lte, or, sql } from 'drizzle-orm';
import type { KeeperDeps } from '../deps.js';

/** A bad proxy rests this long before its first re-check, doubling on each failed check. */
export const PROXY_COOLDOWN_BASE_MS = 30_000;
export const PROXY_COOLDOWN_MAX_MS = 30 * 60_000;
/** Re-checks per tick: a pool full of dead proxies must not turn the keeper into a port scanner. */
const CHECKS_PER_TICK = 8;
const CHECK_TIMEOUT_MS = 5_000;

/**
 * Marks a proxy bad with a cooldown before it is re-checked, auditing the change once (a proxy already
 * marked bad only has its cooldown extended).
 */
export async function markProxyBad(
  deps: KeeperDeps,
  proxyId: number,
  now: number,
  why: { reason: FailureReason; message: string },
): Promise<void> {
  const at = new Date(now);
  await deps.database.db.transaction(async (tx) => {
    const [proxy] = await tx
      .select({ healthy: proxies.healthy, failures: proxies.consecutiveFailures, pool: proxies.pool })
      .from(proxies)
      .where(and(eq(proxies.id, proxyId), isNull(proxies.removedAt)))
      .for('update');
    if (!proxy) return;
    const until = now + escalatingDelay(PROXY_COOLDOWN_BASE_MS, PROXY_COOLDOWN_MAX_MS, proxy.failures);
    await tx
      .update(proxies)
      .set({
        healthy: false,
        consecutiveFailures: proxy.failures + 1,
        cooldownUntil: new Date(until),
        cooldownReason: why.reason,
        lastCheckedAt: at,
        updatedAt: at,
      })
      .where(eq(proxies.id, proxyId));
    if (!proxy.healthy) return;
    await tx.insert(stateChanges).values({
      scope: 'proxy',
      subject: `pool:${proxy.pool}/${proxyId}`,
      fromState: 'healthy',
      toState: 'bad',
      reason: why.reason,
      evidence: { message: why.message, until },
      actor: deps.actor,
      createdAt: at,
    });
  });
  deps.log.warn({ event: 'keeper.proxy_bad', proxyId, reason: why.reason }, 'proxy marked bad');
}

export interface ProxyCheckReport {
  checked: number;
  recovered: number;
}

/**
 * Re-checks proxies marked bad once their cooldown is over, by a cheap GET of the base URL of a provider
 * that uses the proxy's pool, through that proxy. Any HTTP answer — even a 401 or 404 — proves the
 * tunnel works; only a transport failure keeps the proxy bad. Proxies no configured provider uses are
 * left alone: there is nothing worth reaching through them.
 */
export async function checkBadProxies(
  deps: KeeperDeps,
  now: number,
  signal: AbortSignal,
): Promise<ProxyCheckReport> {
  const targets = poolTargets(deps);
  if (targets.size === 0) return { checked: 0, recovered: 0 };
  const at = new Date(now);
  const due = await deps.database.db
    .select({ id: proxies.id, pool: proxies.pool, url: proxies.url })
    .from(proxies)
    .where(
      and(
        eq(proxies.healthy, false),
        isNull(proxies.removedAt),
        // Marked bad by a real request (no cooldown set): wait the base period after the last check.
        or(
          lte(proxies.cooldownUntil, at),
          and(
            isNull(proxies.cooldownUntil),
            or(
              isNull(proxies.lastCheckedAt),
              lte(proxies.lastCheckedAt, new Date(now - PROXY_COOLDOWN_BASE_MS)),
            ),
          ),
        ),
      ),
    )
    .orderBy(sql`${proxies.lastCheckedAt} asc nulls first`)
    .limit(CHECKS_PER_TICK);
  const checks = due
    .filter((proxy) => targets.has(proxy.pool))
    .map(async (proxy) => {
      const works = await proxyWorks(deps, proxy.url, targets.get(proxy.pool) ?? '', signal);
      if (signal.aborted) return false;
      if (works) await markProxyHealthy(deps, proxy.id, proxy.pool, deps.now());
      else await markProxyBad(deps, proxy.id, deps.now(), { reason: 'proxy_error', message: 'check failed' });
      return works;
    });
  const results = await Promise.all(checks);
  return { checked: results.length, recovered: results.filter(Boolean).length };
}

/** Pool name → a base URL to reach through it (the first enabled provider using that pool). */
function poolTargets(deps: KeeperDeps): Map<string, string> {
  const targets = new Map<string, string>();
  for (const name of providerNames(deps.config)) {
    const settings = providerSettings(deps.config, name);
    if (!settings.proxy.startsWith('pool:')) continue;
    const pool = settings.proxy.slice('pool:'.length);
    if (!targets.has(pool)) targets.set(pool, settings.base_url);
  }
  return targets;
}

async function proxyWorks(
  deps: KeeperDeps,
  url: string,
  target: string,
  stop: AbortSignal,
): Promise<boolean> {
  try {
    const response = await deps.upstream.http.send(
      { method: 'GET', url: target, headers: {} },
      {
        route: { kind: 'proxy', url },
        signal: AbortSignal.any([stop, AbortSignal.timeout(CHECK_TIMEOUT_MS)]),
        timeouts: { firstByteTimeoutMs: CHECK_TIMEOUT_MS, idleTimeoutMs: CHECK_TIMEOUT_MS },
      },
    );
    await response.dump();
    return true;
  } catch {
    // Whatever went wrong (refused, 407, timeout), the proxy stays bad; the reason is not needed here.
    return false;
  }
}

async function markProxyHealthy(deps: KeeperDeps, proxyId: number, pool: string, now: number): Promise<void> {
  const at = new Date(now);
  await deps.database.db.transaction(async (tx) => {
    await tx
      .update(proxies)
      .set({
        healthy: true,
        consecutiveFailures: 0,
        cooldownUntil: null,
        cooldownReason: null,
        lastCheckedAt: at,
        lastOkAt: at,
        updatedAt: at,
      })
      .where(eq(proxies.id, proxyId));
    await tx.insert(stateChanges).values({
      scope: 'proxy',
      subject: `pool:${pool}/${proxyId}`,
      fromState: 'bad',
      toState: 'healthy',
      reason: 'proxy_check',
      evidence: { message: 'the proxy answered a check request' },
      actor: deps.actor,
      createdAt: at,
    });
  });
  deps.log.info({ event: 'keeper.proxy_recovered', proxyId }, 'proxy healthy again');
}
