import { type TripleSnapshot, UNTESTED_TRIPLE } from '@llmgw/core';
import { describe, expect, it } from 'vitest';
import { nextProbeAt, probeAfterEvidence } from './next-probe.js';

const NOW = Date.parse('2026-11-23T12:00:00Z');
const MIN = 60_000;
const rule = { intervalActiveMs: 15 * MIN, backoffBaseMs: 30_000, backoffMaxMs: 30 * MIN, random: () => 0.5 };

function snap(overrides: Partial<TripleSnapshot>): TripleSnapshot {
  return { ...UNTESTED_TRIPLE, ...overrides };
}

describe('nextProbeAt', () => {
  it('probes a healthy triple again after interval_active', () => {
    expect(nextProbeAt(snap({ state: 'active' }), NOW, rule)).toBe(NOW + 15 * MIN);
  });

  it('spreads the active interval by the jitter', () => {
    const early = nextProbeAt(snap({ state: 'active' }), NOW, { ...rule, random: () => 0 });
    const late = nextProbeAt(snap({ state: 'active' }), NOW, { ...rule, random: () => 1 });
    expect(early).toBe(NOW + 13.5 * MIN);
    expect(late).toBe(NOW + 16.5 * MIN);
  });

  it('backs off a triple failing below the breaker threshold, escalating with each failure', () => {
    expect(nextProbeAt(snap({ state: 'active', consecutiveFailures: 1 }), NOW, rule)).toBe(NOW + 30_000);
    expect(nextProbeAt(snap({ state: 'untested', consecutiveFailures: 2 }), NOW, rule)).toBe(NOW + 60_000);
    expect(nextProbeAt(snap({ state: 'active', consecutiveFailures: 20 }), NOW, rule)).toBe(NOW + 30 * MIN);
  });

  it('keeps an untested triple with nothing observed due', () => {
    expect(nextProbeAt(UNTESTED_TRIPLE, NOW, rule)).toBe(NOW);
  });

  it('probes cooldowns and exhausted quotas when they end', () => {
    const until = NOW + 2_000;
    expect(nextProbeAt(snap({ state: 'cooldown', cooldownUntil: until }), NOW, rule)).toBe(until);
    expect(nextProbeAt(snap({ state: 'no_quota', cooldownUntil: until }), NOW, rule)).toBe(until);
  });

  it('leaves a manual_reset breaker and verdicts to the operator and the amnesty', () => {
    expect(nextProbeAt(snap({ state: 'cooldown', cooldownUntil: null }), NOW, rule)).toBeNull();
    for (const state of ['dead', 'unsupported', 'disabled', 'removed'] as const) {
      expect(nextProbeAt(snap({ state }), NOW, rule)).toBeNull();
    }
  });
});

describe('probeAfterEvidence', () => {
  it('waits a full interval after the last real success', () => {
    expect(probeAfterEvidence(NOW - 5 * MIN, 15 * MIN)).toBe(NOW + 10 * MIN);
  });
});
