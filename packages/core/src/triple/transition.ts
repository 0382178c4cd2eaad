import { escalatingDelay } from '../backoff.js';
import type { FailureReason } from '../reasons.js';
import type { TripleState } from '../states.js';
import type { Classification, VerdictScope } from '../upstream.js';
import type { HealthPolicy } from './policy.js';
import { isFrozen, type TripleSnapshot } from './snapshot.js';

/** What happened to one attempt on a triple, from a probe or real traffic alike. */
export type TripleOutcome =
  | { kind: 'ok'; latencyMs?: number }
  | { kind: 'client_abort' }
  | { kind: 'failure'; classification: Classification; status?: number };

/** One line of the audit log: every state change, with the evidence that caused it. */
export interface AuditEntry {
  scope: VerdictScope;
  from: TripleState;
  to: TripleState;
  reason: FailureReason | null;
  until: number | null;
  evidence: { message: string; status?: number };
  at: number;
}

/**
 * A verdict about something larger than the triple (a shared quota bucket, the provider, the proxy):
 * the caller cools that down instead, and the triple keeps its own state.
 */
export interface ScopeEffect {
  scope: 'bucket' | 'provider' | 'proxy' | 'key';
  reason: FailureReason;
  until: number | null;
}

export interface Transition {
  next: TripleSnapshot;
  /** Present only when the state (or its reason or cooldown end) changed. */
  audit: AuditEntry | null;
  effect: ScopeEffect | null;
}

/**
 * The state machine of a triple (SPEC §5): the one place that decides what an outcome does.
 * The keeper's probes and the conductor's real requests both go through it.
 */
export function transition(
  current: TripleSnapshot,
  outcome: TripleOutcome,
  policy: HealthPolicy,
  now: number,
  where: TripleWhere = IN_A_BUCKET,
): Transition {
  if (isFrozen(current) || outcome.kind === 'client_abort') return unchanged(current);
  if (outcome.kind === 'ok') return succeed(current, now);
  return fail(current, quotaScope(outcome.classification, policy, where), outcome.status, policy, now);
}

/** What the state machine needs to know of the triple's surroundings. */
export interface TripleWhere {
  /** The key belongs to a quota bucket (keys of one `keys/<provider>/<bucket>.txt` or `# bucket=`). */
  bucketed: boolean;
}

const IN_A_BUCKET: TripleWhere = { bucketed: true };

/**
 * Who a rate-limit or quota verdict is about. The operator's `shared_quota` makes every such verdict the
 * bucket's; a shared-quota verdict on a key that shares with nobody is about the key itself (every model
 * of it), since the quota it ran out of is at least key-wide.
 */
function quotaScope(verdict: Classification, policy: HealthPolicy, where: TripleWhere): Classification {
  if (verdict.reason !== 'rate_limited' && verdict.reason !== 'no_quota') return verdict;
  let scope = verdict.scope;
  if (policy.sharedQuota && (scope === 'triple' || scope === 'key')) scope = 'bucket';
  if (scope === 'bucket' && !where.bucketed) scope = 'key';
  return scope === verdict.scope ? verdict : { ...verdict, scope };
}

function unchanged(current: TripleSnapshot): Transition {
  return { next: current, audit: null, effect: null };
}

function succeed(current: TripleSnapshot, now: number): Transition {
  const next: TripleSnapshot = {
    state: 'active',
    reason: null,
    cooldownUntil: null,
    consecutiveFailures: 0,
    breakerLevel: 0,
  };
  const audit =
    current.state === 'active'
      ? null
      : entry('triple', current, next, { message: 'succeeded' }, undefined, now);
  return { next, audit, effect: null };
}

function fail(
  current: TripleSnapshot,
  verdict: Classification,
  status: number | undefined,
  policy: HealthPolicy,
  now: number,
): Transition {
  const { reason } = verdict;
  if (reason === 'bad_request') return unchanged(current);

  // Shared or outside causes: a bucket quota, a provider outage, a bad proxy. Blaming the key would
  // empty the pool when the network failed, so the caller cools the larger thing down instead.
  if (verdict.scope === 'bucket') {
    // A bucket has no failure count of its own: the reporting triple's stands in for the escalation.
    const until = stated(verdict, policy, now) ?? now + restMs(reason, current, policy);
    return { next: current, audit: null, effect: { scope: 'bucket', reason, until } };
  }
  if (verdict.scope === 'provider' || verdict.scope === 'proxy') {
    return {
      next: current,
      audit: null,
      effect: { scope: verdict.scope, reason, until: stated(verdict, policy, now) },
    };
  }
  if (reason === 'proxy_error') {
    return { next: current, audit: null, effect: { scope: 'proxy', reason, until: null } };
  }

  const failures = current.consecutiveFailures + 1;
  const evidence = { message: verdict.message, ...(status === undefined ? {} : { status }) };
  const keyWide: ScopeEffect | null =
    verdict.scope === 'key' ? { scope: 'key', reason, until: stated(verdict, policy, now) } : null;

  switch (reason) {
    case 'invalid_key':
      return settle(
        current,
        { state: 'dead', reason, cooldownUntil: null, failures },
        evidence,
        status,
        now,
        keyWide,
      );
    case 'model_unavailable':
      return settle(
        current,
        { state: 'unsupported', reason, cooldownUntil: null, failures },
        evidence,
        status,
        now,
        keyWide,
      );
    case 'no_quota': {
      const until = stated(verdict, policy, now) ?? now + restMs(reason, current, policy);
      return settle(
        current,
        { state: 'no_quota', reason, cooldownUntil: until, failures },
        evidence,
        status,
        now,
        keyWide,
      );
    }
    case 'rate_limited': {
      // SPEC §5: a stated reset is honoured to the second (also when shorter than the escalation);
      // only without one does the escalating minimum apply.
      const until = stated(verdict, policy, now) ?? now + restMs(reason, current, policy);
      return settle(
        current,
        { state: 'cooldown', reason, cooldownUntil: until, failures },
        evidence,
        status,
        now,
        keyWide,
      );
    }
    default:
      return breakerFailure(current, reason, failures, evidence, status, policy, now);
  }
}

/** server_error, timeout, network_error: count toward the breaker; open it at the threshold. */
function breakerFailure(
  current: TripleSnapshot,
  reason: FailureReason,
  failures: number,
  evidence: AuditEntry['evidence'],
  status: number | undefined,
  policy: HealthPolicy,
  now: number,
): Transition {
  // A failed half-open trial (the breaker's cooldown had passed) reopens at once, one level higher.
  const trial =
    current.state === 'cooldown' && current.cooldownUntil !== null && current.cooldownUntil <= now;
  if (!trial && failures < policy.breaker.failureThreshold) {
    return { next: { ...current, consecutiveFailures: failures }, audit: null, effect: null };
  }
  const { strategy, openBaseMs, openMaxMs } = policy.breaker;
  const until =
    strategy === 'manual_reset' ? null : now + escalatingDelay(openBaseMs, openMaxMs, current.breakerLevel);
  const next: TripleSnapshot = {
    state: 'cooldown',
    reason,
    cooldownUntil: until,
    consecutiveFailures: failures,
    breakerLevel: current.breakerLevel + 1,
  };
  return { next, audit: entry('triple', current, next, evidence, status, now), effect: null };
}

function settle(
  current: TripleSnapshot,
  target: { state: TripleState; reason: FailureReason; cooldownUntil: number | null; failures: number },
  evidence: AuditEntry['evidence'],
  status: number | undefined,
  now: number,
  effect: ScopeEffect | null,
): Transition {
  const next: TripleSnapshot = {
    state: target.state,
    reason: target.reason,
    cooldownUntil: target.cooldownUntil,
    consecutiveFailures: target.failures,
    breakerLevel: current.breakerLevel,
  };
  const changed =
    next.state !== current.state ||
    next.reason !== current.reason ||
    next.cooldownUntil !== current.cooldownUntil;
  return { next, audit: changed ? entry('triple', current, next, evidence, status, now) : null, effect };
}

/** How long a limit rests when the provider states no reset: quota long, rate limits escalating. */
function restMs(reason: FailureReason, current: TripleSnapshot, policy: HealthPolicy): number {
  if (reason === 'no_quota') return policy.cooldown.noQuotaMs;
  const { rateLimitedMinMs, rateLimitedMaxMs } = policy.cooldown;
  return escalatingDelay(rateLimitedMinMs, rateLimitedMaxMs, current.consecutiveFailures);
}

/** The provider's own reset time, absolute, capped so a bogus far-future date cannot bury a key. */
function stated(verdict: Classification, policy: HealthPolicy, now: number): number | null {
  const cap = now + policy.cooldown.maxStatedResetMs;
  if (verdict.until !== undefined) return Math.min(Math.max(verdict.until, now), cap);
  if (verdict.retryAfterMs !== undefined) return Math.min(now + Math.max(0, verdict.retryAfterMs), cap);
  return null;
}

function entry(
  scope: VerdictScope,
  from: TripleSnapshot,
  to: TripleSnapshot,
  evidence: AuditEntry['evidence'],
  status: number | undefined,
  now: number,
): AuditEntry {
  return {
    scope,
    from: from.state,
    to: to.state,
    reason: to.reason,
    until: to.cooldownUntil,
    evidence: status === undefined || evidence.status !== undefined ? evidence : { ...evidence, status },
    at: now,
  };
}

/** Manual reset (`llmgw keys reset`, admin API) and the daily amnesty both start the triple over. */
export function resetTriple(current: TripleSnapshot, now: number, why: string): Transition {
  const next: TripleSnapshot = {
    state: 'untested',
    reason: null,
    cooldownUntil: null,
    consecutiveFailures: 0,
    breakerLevel: 0,
  };
  if (current.state === 'removed') return unchanged(current);
  return { next, audit: entry('triple', current, next, { message: why }, undefined, now), effect: null };
}

/** States the daily amnesty gives another chance: verdicts that may have changed upstream since. */
export function isAmnestyState(state: TripleState): boolean {
  return state === 'dead' || state === 'unsupported' || state === 'no_quota';
}
