import {
  type AuditEntry,
  type HealthPolicy,
  type ScopeEffect,
  type TripleOutcome,
  type TripleSnapshot,
  transition,
} from '@llmgw/core';
import { and, eq, isNull, lte, notInArray, sql } from 'drizzle-orm';
import type { Db } from '../database.js';
import { keys, providers, proxies, quotaBuckets, stateChanges, triples } from '../schema.js';

/** Weight of the newest observation in the success and latency averages. */
const EWMA_ALPHA = 0.2;

export interface OutcomeInput {
  tripleId: number;
  outcome: TripleOutcome;
  policy: HealthPolicy;
  now: number;
  /** Who observed it: `keeper`, a conductor replica id, `operator`. */
  actor: string;
  /** The proxy the attempt went through, for a proxy verdict. */
  proxyId?: number | null;
  /** When the probe happened (a probe records `last_probed_at`). */
  probe?: boolean;
}

export interface OutcomeResult {
  before: TripleSnapshot;
  after: TripleSnapshot;
  audit: AuditEntry | null;
  effect: ScopeEffect | null;
}

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

/**
 * Writes one attempt's outcome back to the pool: the triple's next state from the one state machine
 * (`transition` in core), its averages, the audit entry, and any verdict about something larger than
 * the triple (the key, its quota bucket, the provider, the proxy). The keeper's probes and the
 * conductor's real traffic both come through here, so a failure means the same wherever it is seen.
 */
export async function recordTripleOutcome(db: Db, input: OutcomeInput): Promise<OutcomeResult | null> {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .select({
        state: triples.state,
        reason: triples.reason,
        cooldownUntil: triples.cooldownUntil,
        consecutiveFailures: triples.consecutiveFailures,
        breakerLevel: triples.breakerLevel,
        keyId: triples.keyId,
        provider: triples.provider,
        model: triples.model,
        bucketId: keys.bucketId,
      })
      .from(triples)
      .innerJoin(keys, eq(keys.id, triples.keyId))
      .where(eq(triples.id, input.tripleId))
      .for('update', { of: triples });
    if (!row) return null;
    const before: TripleSnapshot = {
      state: row.state,
      reason: row.reason,
      cooldownUntil: row.cooldownUntil?.getTime() ?? null,
      consecutiveFailures: row.consecutiveFailures,
      breakerLevel: row.breakerLevel,
    };
    const { next, audit, effect } = transition(before, input.outcome, input.policy, input.now, {
      bucketed: row.bucketId !== null,
    });
    const at = new Date(input.now);
    const observed = input.outcome.kind === 'ok' || input.outcome.kind === 'failure';
    const success = input.outcome.kind === 'ok' ? 1 : 0;
    const latency = input.outcome.kind === 'ok' ? input.outcome.latencyMs : undefined;

    await tx
      .update(triples)
      .set({
        state: next.state,
        reason: next.reason,
        cooldownUntil: next.cooldownUntil === null ? null : new Date(next.cooldownUntil),
        consecutiveFailures: next.consecutiveFailures,
        breakerLevel: next.breakerLevel,
        halfOpen: false,
        updatedAt: at,
        ...(observed
          ? { ewmaSuccess: sql`${triples.ewmaSuccess} * ${1 - EWMA_ALPHA} + ${success * EWMA_ALPHA}` }
          : {}),
        ...(latency === undefined
          ? {}
          : {
              ewmaLatencyMs: sql`coalesce(${triples.ewmaLatencyMs} * ${1 - EWMA_ALPHA} + ${latency * EWMA_ALPHA}, ${latency})`,
            }),
        ...(input.outcome.kind === 'ok' ? { lastOkAt: at } : {}),
        ...(input.probe ? { lastProbedAt: at } : { lastUsedAt: at }),
      })
      .where(eq(triples.id, input.tripleId));

    if (audit) {
      await tx.insert(stateChanges).values({
        scope: 'triple',
        subject: `${row.provider}/${row.keyId}/${row.model}`,
        tripleId: input.tripleId,
        keyId: row.keyId,
        fromState: audit.from,
        toState: audit.to,
        reason: audit.reason,
        evidence: { ...audit.evidence, until: audit.until },
        actor: input.actor,
        createdAt: at,
      });
    }
    if (effect) await applyEffect(tx, effect, { ...row, tripleId: input.tripleId, next, at, input });
    if (input.outcome.kind === 'ok' && row.bucketId !== null) {
      await reopenBucket(tx, { ...row, bucketId: row.bucketId, tripleId: input.tripleId, at, input });
    }
    return { before, after: next, audit, effect };
  });
}

/** Two reports of one bucket's reset closer than this are the same cooldown (see `applyEffect`). */
const SAME_RESET_MS = 1000;

/**
 * A key of a bucket whose cooldown has ended just served: the quota is back. Clearing the bucket's
 * cooldown (audited once) tells the keeper it need not try the bucket's reset with a probe.
 */
async function reopenBucket(
  tx: Tx,
  context: {
    keyId: number;
    provider: string;
    bucketId: number;
    tripleId: number;
    at: Date;
    input: OutcomeInput;
  },
): Promise<void> {
  const reopened = await tx
    .update(quotaBuckets)
    .set({ cooldownUntil: null, cooldownReason: null, updatedAt: context.at })
    .where(and(eq(quotaBuckets.id, context.bucketId), lte(quotaBuckets.cooldownUntil, context.at)))
    .returning({ name: quotaBuckets.name });
  if (!reopened[0]) return;
  await tx.insert(stateChanges).values({
    scope: 'bucket',
    subject: `${context.provider}/${reopened[0].name}`,
    keyId: context.keyId,
    tripleId: context.tripleId,
    fromState: 'cooldown',
    toState: 'active',
    reason: null,
    evidence: { message: 'a key of the bucket succeeded after its reset' },
    actor: context.input.actor,
    createdAt: context.at,
  });
}

async function applyEffect(
  tx: Tx,
  effect: ScopeEffect,
  context: {
    keyId: number;
    provider: string;
    bucketId: number | null;
    tripleId: number;
    next: TripleSnapshot;
    at: Date;
    input: OutcomeInput;
  },
): Promise<void> {
  const until = effect.until === null ? null : new Date(effect.until);
  const audit = (
    scope: ScopeEffect['scope'],
    subject: string,
    toState: string,
    evidence: Record<string, unknown>,
  ) =>
    tx.insert(stateChanges).values({
      scope,
      subject,
      keyId: context.keyId,
      tripleId: context.tripleId,
      toState,
      reason: effect.reason,
      evidence: { ...evidence, until: effect.until },
      actor: context.input.actor,
      createdAt: context.at,
    });

  switch (effect.scope) {
    case 'key': {
      // The key itself is bad (revoked, out of credit): every model of it shares this triple's verdict.
      const moved = await tx
        .update(triples)
        .set({
          state: context.next.state,
          reason: context.next.reason,
          cooldownUntil: context.next.cooldownUntil === null ? null : new Date(context.next.cooldownUntil),
          updatedAt: context.at,
        })
        .where(
          and(
            eq(triples.keyId, context.keyId),
            notInArray(triples.state, ['disabled', 'removed', context.next.state]),
          ),
        )
        .returning({ id: triples.id });
      if (moved.length > 0)
        await audit('key', `${context.provider}/${context.keyId}`, context.next.state, {
          triples: moved.length,
        });
      return;
    }
    case 'bucket': {
      // `transition` never answers bucket for a key outside one; a key moved out meanwhile has no bucket.
      if (context.bucketId === null || until === null) return;
      // Only extend a bucket's cooldown, and audit it once however many keys report the same quota: the
      // other keys of the bucket, in flight when it ran out, answer the same 429 a moment later with a
      // reset a few ms apart — that is the same cooldown, not a new one.
      const cooled = await tx
        .update(quotaBuckets)
        .set({ cooldownUntil: until, cooldownReason: effect.reason, updatedAt: context.at })
        .where(
          and(
            eq(quotaBuckets.id, context.bucketId),
            sql`(${quotaBuckets.cooldownUntil} is null or ${quotaBuckets.cooldownUntil} <= ${context.at}
              or ${quotaBuckets.cooldownUntil} < ${new Date(until.getTime() - SAME_RESET_MS)})`,
          ),
        )
        .returning({ name: quotaBuckets.name });
      if (cooled[0]) {
        const outcome = context.input.outcome;
        const evidence =
          outcome.kind === 'failure'
            ? {
                message: outcome.classification.message,
                ...(outcome.status === undefined ? {} : { status: outcome.status }),
              }
            : {};
        await audit('bucket', `${context.provider}/${cooled[0].name}`, 'cooldown', evidence);
      }
      return;
    }
    case 'provider': {
      const cooled = await tx
        .update(providers)
        .set({ cooldownUntil: until, cooldownReason: effect.reason, updatedAt: context.at })
        .where(
          and(
            eq(providers.name, context.provider),
            sql`(${providers.cooldownUntil} is null or ${providers.cooldownUntil} < ${until ?? context.at})`,
          ),
        )
        .returning({ name: providers.name });
      if (cooled[0]) await audit('provider', context.provider, 'cooldown', {});
      return;
    }
    case 'proxy': {
      const proxyId = context.input.proxyId;
      if (!proxyId) return;
      const marked = await tx
        .update(proxies)
        .set({
          healthy: false,
          consecutiveFailures: sql`${proxies.consecutiveFailures} + 1`,
          cooldownReason: effect.reason,
          lastCheckedAt: context.at,
          updatedAt: context.at,
        })
        .where(and(eq(proxies.id, proxyId), eq(proxies.healthy, true), isNull(proxies.removedAt)))
        .returning({ pool: proxies.pool, mask: proxies.mask });
      if (marked[0])
        await audit('proxy', `pool:${marked[0].pool}/${proxyId}`, 'bad', { proxy: marked[0].mask });
      return;
    }
  }
}
