import { describe, expect, it } from 'vitest';
import type { FailureReason } from '../reasons.js';
import type { TripleState } from '../states.js';
import type { Classification } from '../upstream.js';
import { DEFAULT_HEALTH_POLICY, type HealthPolicy } from './policy.js';
import { isLeasable, type TripleSnapshot, UNTESTED_TRIPLE } from './snapshot.js';
import { isAmnestyState, resetTriple, type TripleOutcome, transition } from './transition.js';

const NOW = Date.parse('2026-11-23T12:00:00Z');
const SEC = 1000;
const MIN = 60 * SEC;
const HOUR = 60 * MIN;
const policy = DEFAULT_HEALTH_POLICY;
const manual: HealthPolicy = { ...policy, breaker: { ...policy.breaker, strategy: 'manual_reset' } };

function snap(overrides: Partial<TripleSnapshot> = {}): TripleSnapshot {
  return { ...UNTESTED_TRIPLE, state: 'active', ...overrides };
}
function failure(reason: FailureReason, extra: Partial<Classification> = {}): TripleOutcome {
  return {
    kind: 'failure',
    classification: { reason, scope: 'triple', message: `${reason} happened`, ...extra },
  };
}

interface Row {
  name: string;
  from: TripleSnapshot;
  outcome: TripleOutcome;
  policy?: HealthPolicy;
  state: TripleState;
  reason: FailureReason | null;
  until: number | null;
  failures: number;
  level: number;
  audited: boolean;
}

const rows: Row[] = [
  // success
  {
    name: 'untested + ok → active',
    from: UNTESTED_TRIPLE,
    outcome: { kind: 'ok' },
    state: 'active',
    reason: null,
    until: null,
    failures: 0,
    level: 0,
    audited: true,
  },
  {
    name: 'active + ok → active, no audit',
    from: snap(),
    outcome: { kind: 'ok' },
    state: 'active',
    reason: null,
    until: null,
    failures: 0,
    level: 0,
    audited: false,
  },
  {
    name: 'ok resets the consecutive-failure count',
    from: snap({ consecutiveFailures: 2 }),
    outcome: { kind: 'ok' },
    state: 'active',
    reason: null,
    until: null,
    failures: 0,
    level: 0,
    audited: false,
  },
  {
    name: 'successful half-open trial closes the breaker',
    from: snap({
      state: 'cooldown',
      reason: 'server_error',
      cooldownUntil: NOW - 1,
      consecutiveFailures: 3,
      breakerLevel: 2,
    }),
    outcome: { kind: 'ok' },
    state: 'active',
    reason: null,
    until: null,
    failures: 0,
    level: 0,
    audited: true,
  },
  // no change
  {
    name: 'client abort changes nothing',
    from: snap({ consecutiveFailures: 1 }),
    outcome: { kind: 'client_abort' },
    state: 'active',
    reason: null,
    until: null,
    failures: 1,
    level: 0,
    audited: false,
  },
  {
    name: 'bad_request is the caller’s fault: nothing changes',
    from: snap(),
    outcome: failure('bad_request'),
    state: 'active',
    reason: null,
    until: null,
    failures: 0,
    level: 0,
    audited: false,
  },
  {
    name: 'disabled ignores outcomes',
    from: snap({ state: 'disabled' }),
    outcome: failure('invalid_key'),
    state: 'disabled',
    reason: null,
    until: null,
    failures: 0,
    level: 0,
    audited: false,
  },
  {
    name: 'removed ignores success',
    from: snap({ state: 'removed' }),
    outcome: { kind: 'ok' },
    state: 'removed',
    reason: null,
    until: null,
    failures: 0,
    level: 0,
    audited: false,
  },
  // verdicts
  {
    name: 'invalid_key → dead',
    from: snap(),
    outcome: failure('invalid_key'),
    state: 'dead',
    reason: 'invalid_key',
    until: null,
    failures: 1,
    level: 0,
    audited: true,
  },
  {
    name: 'model_unavailable → unsupported',
    from: UNTESTED_TRIPLE,
    outcome: failure('model_unavailable'),
    state: 'unsupported',
    reason: 'model_unavailable',
    until: null,
    failures: 1,
    level: 0,
    audited: true,
  },
  {
    name: 'no_quota without hint → 6 h',
    from: snap(),
    outcome: failure('no_quota'),
    state: 'no_quota',
    reason: 'no_quota',
    until: NOW + 6 * HOUR,
    failures: 1,
    level: 0,
    audited: true,
  },
  {
    name: 'no_quota with a stated reset honours it to the second',
    from: snap(),
    outcome: failure('no_quota', { until: NOW + 90 * SEC }),
    state: 'no_quota',
    reason: 'no_quota',
    until: NOW + 90 * SEC,
    failures: 1,
    level: 0,
    audited: true,
  },
  {
    name: 'a stated reset beyond the cap is capped at 8 days',
    from: snap(),
    outcome: failure('no_quota', { until: NOW + 400 * 24 * HOUR }),
    state: 'no_quota',
    reason: 'no_quota',
    until: NOW + 8 * 24 * HOUR,
    failures: 1,
    level: 0,
    audited: true,
  },
  {
    name: 'rate_limited with Retry-After → cooldown until then',
    from: snap(),
    outcome: failure('rate_limited', { retryAfterMs: 7 * SEC }),
    state: 'cooldown',
    reason: 'rate_limited',
    until: NOW + 7 * SEC,
    failures: 1,
    level: 0,
    audited: true,
  },
  {
    name: 'rate_limited without hint → 30 s minimum',
    from: snap(),
    outcome: failure('rate_limited'),
    state: 'cooldown',
    reason: 'rate_limited',
    until: NOW + 30 * SEC,
    failures: 1,
    level: 0,
    audited: true,
  },
  {
    name: 'repeated rate_limited escalates the minimum',
    from: snap({ consecutiveFailures: 2 }),
    outcome: failure('rate_limited'),
    state: 'cooldown',
    reason: 'rate_limited',
    until: NOW + 120 * SEC,
    failures: 3,
    level: 0,
    audited: true,
  },
  {
    name: 'escalation is capped at the maximum',
    from: snap({ consecutiveFailures: 20 }),
    outcome: failure('rate_limited'),
    state: 'cooldown',
    reason: 'rate_limited',
    until: NOW + HOUR,
    failures: 21,
    level: 0,
    audited: true,
  },
  // breaker
  {
    name: 'a 5xx below the threshold keeps the triple active',
    from: snap(),
    outcome: failure('server_error'),
    state: 'active',
    reason: null,
    until: null,
    failures: 1,
    level: 0,
    audited: false,
  },
  {
    name: 'the third consecutive failure opens the breaker',
    from: snap({ consecutiveFailures: 2 }),
    outcome: failure('timeout'),
    state: 'cooldown',
    reason: 'timeout',
    until: NOW + 30 * SEC,
    failures: 3,
    level: 1,
    audited: true,
  },
  {
    name: 'a failed half-open trial reopens for twice as long',
    from: snap({
      state: 'cooldown',
      reason: 'timeout',
      cooldownUntil: NOW - 1,
      consecutiveFailures: 3,
      breakerLevel: 1,
    }),
    outcome: failure('network_error'),
    state: 'cooldown',
    reason: 'network_error',
    until: NOW + 60 * SEC,
    failures: 4,
    level: 2,
    audited: true,
  },
  {
    name: 'breaker open time is capped',
    from: snap({ state: 'cooldown', cooldownUntil: NOW - 1, consecutiveFailures: 30, breakerLevel: 20 }),
    outcome: failure('server_error'),
    state: 'cooldown',
    reason: 'server_error',
    until: NOW + 30 * MIN,
    failures: 31,
    level: 21,
    audited: true,
  },
  {
    name: 'manual_reset opens until reset',
    from: snap({ consecutiveFailures: 2 }),
    outcome: failure('server_error'),
    policy: manual,
    state: 'cooldown',
    reason: 'server_error',
    until: null,
    failures: 3,
    level: 1,
    audited: true,
  },
  // larger scopes
  {
    name: 'a shared-quota verdict leaves the triple alone',
    from: snap(),
    outcome: failure('rate_limited', { scope: 'bucket', retryAfterMs: 60 * SEC }),
    state: 'active',
    reason: null,
    until: null,
    failures: 0,
    level: 0,
    audited: false,
  },
  {
    name: 'a proxy_error is the proxy’s fault, not the key’s',
    from: snap(),
    outcome: failure('proxy_error'),
    state: 'active',
    reason: null,
    until: null,
    failures: 0,
    level: 0,
    audited: false,
  },
];

describe('transition', () => {
  it.each(rows)('$name', (row) => {
    const result = transition(row.from, row.outcome, row.policy ?? policy, NOW);
    expect(result.next).toEqual({
      state: row.state,
      reason: row.reason,
      cooldownUntil: row.until,
      consecutiveFailures: row.failures,
      breakerLevel: row.level,
    });
    expect(result.audit !== null).toBe(row.audited);
    if (result.audit) {
      expect(result.audit).toMatchObject({
        from: row.from.state,
        to: row.state,
        reason: row.reason,
        at: NOW,
      });
    }
  });

  it('reports a bucket cooldown as an effect with the stated reset', () => {
    const result = transition(
      snap(),
      failure('no_quota', { scope: 'bucket', until: NOW + HOUR }),
      policy,
      NOW,
    );
    expect(result.effect).toEqual({ scope: 'bucket', reason: 'no_quota', until: NOW + HOUR });
    expect(result.next).toEqual(snap());
    expect(result.audit).toBeNull();
  });

  it('cools a bucket without a stated reset by the escalating minimum, or the quota rest', () => {
    const twice = snap({ consecutiveFailures: 2 });
    expect(transition(twice, failure('rate_limited', { scope: 'bucket' }), policy, NOW).effect).toEqual({
      scope: 'bucket',
      reason: 'rate_limited',
      until: NOW + 2 * MIN,
    });
    expect(transition(snap(), failure('no_quota', { scope: 'bucket' }), policy, NOW).effect?.until).toBe(
      NOW + 6 * HOUR,
    );
  });

  it('caps a stated bucket reset at the configured maximum', () => {
    const far = failure('no_quota', { scope: 'bucket', until: NOW + 30 * 24 * HOUR });
    expect(transition(snap(), far, policy, NOW).effect?.until).toBe(NOW + 8 * 24 * HOUR);
  });

  it('turns a shared-quota verdict on a key outside any bucket into a key-wide cooldown', () => {
    const result = transition(
      snap(),
      failure('rate_limited', { scope: 'bucket', retryAfterMs: 5 * SEC }),
      policy,
      NOW,
      { bucketed: false },
    );
    expect(result.next).toMatchObject({ state: 'cooldown', cooldownUntil: NOW + 5 * SEC });
    expect(result.effect).toEqual({ scope: 'key', reason: 'rate_limited', until: NOW + 5 * SEC });
  });

  it('makes every rate-limit and quota verdict the bucket’s under shared_quota', () => {
    const shared: HealthPolicy = { ...policy, sharedQuota: true };
    const limited = transition(snap(), failure('rate_limited', { retryAfterMs: SEC }), shared, NOW);
    expect(limited.effect).toEqual({ scope: 'bucket', reason: 'rate_limited', until: NOW + SEC });
    expect(limited.next).toEqual(snap());
    // Other reasons stay the triple's own.
    expect(transition(snap(), failure('server_error'), shared, NOW).effect).toBeNull();
  });

  it('honours a stated reset shorter than the escalation (SPEC §5: to the second)', () => {
    const escalated = snap({ state: 'cooldown', consecutiveFailures: 4, cooldownUntil: NOW - SEC });
    const result = transition(escalated, failure('rate_limited', { retryAfterMs: 2 * SEC }), policy, NOW);
    expect(result.next.cooldownUntil).toBe(NOW + 2 * SEC);
  });

  it('reports a proxy effect for proxy_error', () => {
    expect(transition(snap(), failure('proxy_error'), policy, NOW).effect).toEqual({
      scope: 'proxy',
      reason: 'proxy_error',
      until: null,
    });
  });

  it('asks the caller to apply a key-wide invalid_key to every model of the key', () => {
    const result = transition(snap(), failure('invalid_key', { scope: 'key' }), policy, NOW);
    expect(result.next.state).toBe('dead');
    expect(result.effect).toEqual({ scope: 'key', reason: 'invalid_key', until: null });
  });

  it('carries the HTTP status as evidence in the audit entry', () => {
    const outcome: TripleOutcome = {
      ...(failure('invalid_key') as Extract<TripleOutcome, { kind: 'failure' }>),
      status: 401,
    };
    expect(transition(snap(), outcome, policy, NOW).audit?.evidence).toEqual({
      message: 'invalid_key happened',
      status: 401,
    });
  });
});

describe('leasability', () => {
  it('leases active and untested triples, and cooldowns that have ended', () => {
    expect(isLeasable(snap(), NOW)).toBe(true);
    expect(isLeasable(UNTESTED_TRIPLE, NOW)).toBe(true);
    expect(isLeasable(snap({ state: 'cooldown', cooldownUntil: NOW - 1 }), NOW)).toBe(true);
    expect(isLeasable(snap({ state: 'cooldown', cooldownUntil: NOW + 1 }), NOW)).toBe(false);
    expect(isLeasable(snap({ state: 'cooldown', cooldownUntil: null }), NOW)).toBe(false);
    expect(isLeasable(snap({ state: 'no_quota', cooldownUntil: NOW - 1 }), NOW)).toBe(true);
    expect(isLeasable(snap({ state: 'no_quota', cooldownUntil: NOW + 1 }), NOW)).toBe(false);
    for (const state of ['dead', 'no_quota', 'unsupported', 'disabled', 'removed'] as const) {
      expect(isLeasable(snap({ state }), NOW)).toBe(false);
    }
  });
});

describe('resetTriple', () => {
  it('starts a dead triple over as untested and audits it', () => {
    const result = resetTriple(
      snap({ state: 'dead', reason: 'invalid_key', consecutiveFailures: 4, breakerLevel: 2 }),
      NOW,
      'manual reset',
    );
    expect(result.next).toEqual(UNTESTED_TRIPLE);
    expect(result.audit).toMatchObject({
      from: 'dead',
      to: 'untested',
      evidence: { message: 'manual reset' },
    });
  });
  it('never resurrects a removed key', () => {
    expect(resetTriple(snap({ state: 'removed' }), NOW, 'manual reset').next.state).toBe('removed');
  });
  it('gives amnesty to dead, unsupported and no_quota only', () => {
    expect(['dead', 'unsupported', 'no_quota'].every((state) => isAmnestyState(state as TripleState))).toBe(
      true,
    );
    expect(isAmnestyState('cooldown')).toBe(false);
    expect(isAmnestyState('disabled')).toBe(false);
  });
});
