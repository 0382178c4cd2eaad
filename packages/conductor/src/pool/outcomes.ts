import { type LlmgwConfig, triplePolicy } from '@llmgw/config';
import { type HealthPolicy, type TripleOutcome, type TripleSnapshot, transition } from '@llmgw/core';
import { type Database, describeDbError, recordTripleOutcome } from '@llmgw/db';
import type { Logger } from 'pino';
import type { Overlays } from './overlays.js';
import { createSuccessBatch, type SuccessBatch } from './success-batch.js';
import type { PoolView, TripleEntry } from './types.js';

/** Same weight as `recordTripleOutcome` gives the newest observation, so the local view moves alike. */
export const EWMA_ALPHA = 0.2;

export interface OutcomeDeps {
  config: LlmgwConfig;
  database: Database;
  holder: string;
  log: Logger;
  now: () => number;
  overlays: Overlays;
  view: () => PoolView;
  /** Number of the latest refresh started, to know when a write is visible in a refreshed view. */
  refreshNo: () => number;
}

export interface Outcomes {
  /**
   * Records one lease's outcome: the local view changes at once, the write happens in the background.
   * Resolves when the write is done (or failed and was logged); never rejects.
   */
  record(
    entry: TripleEntry,
    outcome: TripleOutcome,
    latencyMs: number,
    proxyId: number | null,
    trial: boolean,
  ): Promise<void>;
  /** Writes aggregated successes now. */
  flush(): Promise<void>;
  /** Waits for every write in flight. */
  settle(): Promise<void>;
  batch: SuccessBatch;
}

const DONE = Promise.resolve();

function snapshotOf(entry: TripleEntry): TripleSnapshot {
  return {
    state: entry.state,
    reason: entry.reason,
    cooldownUntil: entry.cooldownUntil,
    consecutiveFailures: entry.consecutiveFailures,
    breakerLevel: entry.breakerLevel,
  };
}

function setSnapshot(entry: TripleEntry, next: TripleSnapshot): void {
  entry.state = next.state;
  entry.reason = next.reason;
  entry.cooldownUntil = next.cooldownUntil;
  entry.consecutiveFailures = next.consecutiveFailures;
  entry.breakerLevel = next.breakerLevel;
}

export function createOutcomes(deps: OutcomeDeps): Outcomes {
  const pending = new Set<Promise<void>>();
  const policies = new Map<string, HealthPolicy>();
  const batch = createSuccessBatch(deps);
  const policyOf = (provider: string): HealthPolicy => {
    let policy = policies.get(provider);
    if (!policy) {
      policy = triplePolicy(deps.config, provider);
      policies.set(provider, policy);
    }
    return policy;
  };

  /** Mirrors the state machine locally so this replica's next lease already avoids what failed. */
  const observe = (entry: TripleEntry, outcome: TripleOutcome, proxyId: number | null, now: number) => {
    const { next, effect } = transition(snapshotOf(entry), outcome, policyOf(entry.provider), now, {
      bucketed: entry.bucketId !== null,
    });
    const view = deps.view();
    const overlays = [
      deps.overlays.add(
        view,
        (other) => other.id === entry.id,
        (other) => setSnapshot(other, next),
        now,
      ),
    ];
    if (effect?.scope === 'key') {
      const keyId = entry.keyId;
      overlays.push(
        deps.overlays.add(
          view,
          (other) => other.keyId === keyId && other.state !== 'disabled' && other.state !== 'removed',
          (other) => {
            other.state = next.state;
            other.reason = next.reason;
            other.cooldownUntil = next.cooldownUntil;
          },
          now,
        ),
      );
    } else if (effect && effect.until !== null) {
      const until = effect.until;
      if (effect.scope === 'bucket' && entry.bucketId !== null) {
        const bucketId = entry.bucketId;
        overlays.push(
          deps.overlays.add(
            view,
            (other) => other.bucketId === bucketId,
            (other) => {
              other.bucketUntil = Math.max(other.bucketUntil, until);
            },
            now,
          ),
        );
      } else if (effect.scope === 'provider') {
        const provider = entry.provider;
        overlays.push(
          deps.overlays.add(
            view,
            (other) => other.provider === provider,
            (other) => {
              other.providerUntil = Math.max(other.providerUntil, until);
            },
            now,
          ),
        );
      }
    }
    if (effect?.scope === 'proxy' && proxyId !== null) {
      overlays.push(
        deps.overlays.add(
          view,
          (other) => other.proxyId === proxyId,
          (other) => {
            other.proxyBad = true;
          },
          now,
        ),
      );
    }
    return overlays;
  };

  const write = (entry: TripleEntry, outcome: TripleOutcome, proxyId: number | null, now: number) => {
    const overlays = observe(entry, outcome, proxyId, now);
    const task = recordTripleOutcome(deps.database.db, {
      tripleId: entry.id,
      outcome,
      policy: policyOf(entry.provider),
      now,
      actor: deps.holder,
      proxyId,
    }).then(
      () => {
        for (const overlay of overlays) deps.overlays.settled(overlay, deps.refreshNo());
      },
      (error: unknown) => {
        for (const overlay of overlays) deps.overlays.failed(overlay, deps.now());
        deps.log.error(
          { error: describeDbError(error), tripleId: entry.id, keyId: entry.keyId, provider: entry.provider },
          'pool: could not record an outcome',
        );
      },
    );
    pending.add(task);
    void task.finally(() => pending.delete(task));
    return task;
  };

  return {
    batch,
    record(entry, given, latencyMs, proxyId, trial) {
      const now = deps.now();
      if (given.kind === 'client_abort') return DONE;
      // The relay may leave the latency to the lease result; the averages want it either way.
      const outcome: TripleOutcome =
        given.kind === 'ok' && given.latencyMs === undefined ? { kind: 'ok', latencyMs } : given;
      if (outcome.kind === 'ok') {
        entry.ewmaSuccess = entry.ewmaSuccess * (1 - EWMA_ALPHA) + EWMA_ALPHA;
        // Only a success that changes nothing of the state machine may skip it: a state change (untested →
        // active, a trial closing the breaker) or a failure count to reset needs its audit and its row.
        if (!trial && entry.state === 'active' && entry.consecutiveFailures === 0) {
          batch.add(entry.id, outcome.latencyMs, now);
          return DONE;
        }
        return write(entry, outcome, proxyId, now);
      }
      entry.ewmaSuccess *= 1 - EWMA_ALPHA;
      return write(entry, outcome, proxyId, now);
    },
    flush: () => batch.flush(),
    async settle() {
      while (pending.size > 0) await Promise.all(pending);
    },
  };
}
