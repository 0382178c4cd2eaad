import type { FailureReason } from '../reasons.js';

/** A recent failure as the correlation rule sees it. */
export interface RecentFailure {
  keyId: string;
  provider: string;
  proxyId: string | null;
  reason: FailureReason;
  at: number;
}

export interface CorrelationPolicy {
  windowMs: number;
  /** At least this many distinct keys must fail together. */
  minKeys: number;
  /** …and they must be at least this share of the live keys behind the provider or proxy. */
  fraction: number;
}

export interface CorrelatedVerdict {
  scope: 'provider' | 'proxy';
  subject: string;
  reason: FailureReason;
  failingKeys: number;
  liveKeys: number;
}

// Only failures the network or the provider itself can cause together; a wave of 401s is many dead
// keys, not an outage, and must still be blamed on each key.
const CORRELATABLE: ReadonlySet<string> = new Set([
  'server_error',
  'timeout',
  'network_error',
  'proxy_error',
]);

/** Whether an outcome is one a whole provider or proxy can cause at once (the correlation rule's input). */
export function isCorrelatable(outcome: string): boolean {
  return CORRELATABLE.has(outcome);
}

/**
 * SPEC §5 correlation rule: when many keys of one provider, or all keys behind one proxy, fail at
 * once, the outage is the provider's or the proxy's, and the pool must not empty itself.
 * Proxy verdicts win over provider verdicts: a dead proxy explains a provider's failures through it.
 */
export function detectCorrelatedFailure(
  failures: readonly RecentFailure[],
  liveKeys: { byProvider: ReadonlyMap<string, number>; byProxy: ReadonlyMap<string, number> },
  policy: CorrelationPolicy,
  now: number,
): CorrelatedVerdict[] {
  const recent = failures.filter(
    (failure) => isCorrelatable(failure.reason) && now - failure.at <= policy.windowMs,
  );
  const verdicts: CorrelatedVerdict[] = [];
  const blamedProxies = new Set<string>();

  for (const [proxyId, keys] of groupKeys(recent, (failure) => failure.proxyId)) {
    const live = liveKeys.byProxy.get(proxyId) ?? keys.size;
    // Behind a proxy "all keys failing" is the signal; with one key that is indistinguishable from a bad key.
    if (
      keys.size >= Math.min(policy.minKeys, Math.max(2, live)) &&
      keys.size / live >= Math.max(policy.fraction, 0.999)
    ) {
      blamedProxies.add(proxyId);
      verdicts.push({
        scope: 'proxy',
        subject: proxyId,
        reason: 'proxy_error',
        failingKeys: keys.size,
        liveKeys: live,
      });
    }
  }

  const unexplained = recent.filter(
    (failure) => failure.proxyId === null || !blamedProxies.has(failure.proxyId),
  );
  for (const [provider, keys] of groupKeys(unexplained, (failure) => failure.provider)) {
    const live = liveKeys.byProvider.get(provider) ?? keys.size;
    if (keys.size >= policy.minKeys && keys.size / live >= policy.fraction) {
      const reason = mostCommonReason(unexplained.filter((failure) => failure.provider === provider));
      verdicts.push({ scope: 'provider', subject: provider, reason, failingKeys: keys.size, liveKeys: live });
    }
  }
  return verdicts;
}

function groupKeys(
  failures: readonly RecentFailure[],
  subjectOf: (failure: RecentFailure) => string | null,
): Map<string, Set<string>> {
  const groups = new Map<string, Set<string>>();
  for (const failure of failures) {
    const subject = subjectOf(failure);
    if (subject === null) continue;
    const keys = groups.get(subject) ?? new Set<string>();
    keys.add(failure.keyId);
    groups.set(subject, keys);
  }
  return groups;
}

function mostCommonReason(failures: readonly RecentFailure[]): FailureReason {
  const counts = new Map<FailureReason, number>();
  let best: FailureReason = 'server_error';
  let bestCount = 0;
  for (const failure of failures) {
    const count = (counts.get(failure.reason) ?? 0) + 1;
    counts.set(failure.reason, count);
    if (count > bestCount) {
      best = failure.reason;
      bestCount = count;
    }
  }
  return best;
}
