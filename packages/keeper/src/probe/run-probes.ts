import { healthPolicy, keeperSettings, limitsFor, triplePolicy } from '@llmgw/config';
import { type AttemptOutcome, isCorrelatable, type TripleOutcome } from '@llmgw/core';
import { describeDbError, recordTripleOutcome, windowEnd } from '@llmgw/db';
import { attempts, triples } from '@llmgw/db/schema';
import { type ProbeResult, probeTriple, type UpstreamTarget, upstreamTarget } from '@llmgw/upstream';
import { eq } from 'drizzle-orm';
import pLimit, { type LimitFunction } from 'p-limit';
import type { KeeperDeps } from '../deps.js';
import { type Blame, judgeCorrelatedFailures } from './correlation.js';
import type { DueTriple } from './due-triples.js';
import { nextProbeAt } from './next-probe.js';
import { reserveProbeRequest } from './rate-budget.js';

/** How one due triple went in a batch; `outcome` counts per reason in the tick summary. */
export type ProbeDisposition =
  | { kind: 'probed'; outcome: AttemptOutcome; spared: boolean }
  | { kind: 'rate_limited' }
  | { kind: 'skipped' };

export interface BatchReport {
  dispositions: ProbeDisposition[];
  blame: Blame;
}

export interface BatchOptions {
  /** Aborts jitter waits and in-flight probes: the keeper is stopping. */
  stop: AbortSignal;
  random?: () => number;
  /** Called after each finished probe (progress of a long first pass). */
  onProbed?: () => void;
}

interface Probed {
  due: DueTriple;
  model: string;
  result: ProbeResult;
  at: number;
}

/**
 * Runs one batch of due probes, then writes the results back in an order that protects the pool:
 *
 *   1. probe everything (bounded per provider and overall, jittered, each under the probe timeout);
 *   2. write every result to `attempts` in one insert;
 *   3. run the correlation rule over those and the other recent attempts, and apply its verdicts
 *      (provider cooldown, proxy marked bad) — *before* any triple is touched;
 *   4. record each outcome through `recordTripleOutcome`, except correlatable failures of a blamed
 *      provider or proxy: those stay attempts only, the triple keeps its state and stays due, so it is
 *      probed again when the provider or proxy is back (SPEC §5: "the keys keep their state").
 *
 * Recording triple by triple as probes finish would be simpler, but then the first keys of an outage
 * would already carry breaker failures (or be open) by the time the pattern became visible.
 */
export async function runProbeBatch(
  deps: KeeperDeps,
  batch: readonly DueTriple[],
  options: BatchOptions,
): Promise<BatchReport> {
  const settings = keeperSettings(deps.config).probe;
  const overall = pLimit(settings.concurrency);
  const perProvider = new Map<string, LimitFunction>();
  const slotFor = (provider: string): LimitFunction => {
    let limit = perProvider.get(provider);
    if (!limit) {
      limit = pLimit(settings.per_provider_concurrency);
      perProvider.set(provider, limit);
    }
    return limit;
  };
  const random = options.random ?? Math.random;

  const runs = batch.map(async (due): Promise<ProbeDisposition | Probed> => {
    await sleep(random() * settings.jitter, options.stop);
    // The provider slot is taken first so a provider at its bound never holds one of the overall slots.
    const done = await slotFor(due.provider)(() =>
      overall(() => probeOne(deps, due, settings.timeout, options.stop)),
    );
    if ('result' in done && done.result.outcome.kind !== 'client_abort') options.onProbed?.();
    return done;
  });
  const settled = await Promise.all(runs);
  const probed = settled.filter((entry): entry is Probed => 'result' in entry);

  await insertProbeAttempts(deps, probed);
  countProbes(deps, probed);
  const failingProviders = new Set(
    probed
      .filter((entry) => isCorrelatable(outcomeOf(entry.result.outcome)))
      .map((entry) => entry.due.provider),
  );
  const blame = await judgeCorrelatedFailures(deps, failingProviders, deps.now());

  const dispositions: ProbeDisposition[] = settled.filter(
    (entry): entry is ProbeDisposition => !('result' in entry),
  );
  for (const entry of probed) dispositions.push(await recordProbe(deps, entry, blame));
  return { dispositions, blame };
}

async function probeOne(
  deps: KeeperDeps,
  due: DueTriple,
  timeoutMs: number,
  stop: AbortSignal,
): Promise<ProbeDisposition | Probed> {
  if (stop.aborted) return { kind: 'skipped' };
  const health = healthPolicy(deps.config, due.provider);
  const model = health.probe_model ?? due.model;
  let target: UpstreamTarget;
  try {
    target = upstreamTarget(deps.config, due.provider, {
      id: due.keyId,
      secret: due.secret,
      pinnedProxyUrl: due.pinnedProxyUrl,
    });
  } catch (error) {
    // A pool provider whose key has no proxy yet: sync will pin one; probing direct would leak our IP.
    deps.log.warn(
      { event: 'keeper.probe_skipped', tripleId: due.tripleId, error: messageOf(error) },
      'probe skipped: no usable route',
    );
    await setNextProbe(deps, due.tripleId, deps.now() + health.interval_active);
    return { kind: 'skipped' };
  }
  try {
    const limits = limitsFor(deps.config, due.provider, model);
    const now = deps.now();
    const reservation = await reserveProbeRequest(deps.database.query, {
      tripleId: due.tripleId,
      now,
      rpm: limits.rpm,
      rpd: limits.rpd,
    });
    if (!reservation.ok) {
      await setNextProbe(deps, due.tripleId, windowEnd(reservation.window, now));
      return { kind: 'rate_limited' };
    }
    const timeout = AbortSignal.timeout(timeoutMs);
    const result = await probeTriple(deps.upstream, target, model, AbortSignal.any([stop, timeout]));
    return { due, model, result: timedOut(result, timeout, stop, timeoutMs), at: deps.now() };
  } catch (error) {
    // Not a verdict on the triple (a database hiccup, a bug): one bad probe must not sink the batch.
    deps.log.error(
      { event: 'keeper.probe_error', tripleId: due.tripleId, error: messageOf(error) },
      'probe failed unexpectedly',
    );
    return { kind: 'skipped' };
  }
}

/** Our own deadline firing is the upstream being too slow (a timeout), not the caller walking away. */
function timedOut(
  result: ProbeResult,
  timeout: AbortSignal,
  stop: AbortSignal,
  timeoutMs: number,
): ProbeResult {
  if (result.outcome.kind !== 'client_abort' || stop.aborted || !timeout.aborted) return result;
  return {
    ...result,
    outcome: {
      kind: 'failure',
      classification: {
        reason: 'timeout',
        scope: 'triple',
        message: `probe took longer than ${timeoutMs} ms`,
      },
    },
  };
}

async function recordProbe(deps: KeeperDeps, entry: Probed, blame: Blame): Promise<ProbeDisposition> {
  const { due, result } = entry;
  const outcome = outcomeOf(result.outcome);
  if (outcome === 'client_abort') return { kind: 'skipped' };
  const correlated =
    isCorrelatable(outcome) &&
    (blame.providers.has(due.provider) || (due.proxyId !== null && blame.proxies.has(due.proxyId)));
  // A stand-in probe model the key does not serve says nothing about the triple's own model.
  const foreignModel = outcome === 'model_unavailable' && entry.model !== due.model;
  if (correlated || foreignModel) {
    await setNextProbe(deps, due.tripleId, entry.at);
    return { kind: 'probed', outcome, spared: true };
  }
  const policy = triplePolicy(deps.config, due.provider);
  const recorded = await recordTripleOutcome(deps.database.db, {
    tripleId: due.tripleId,
    outcome: result.outcome,
    policy,
    now: entry.at,
    actor: deps.actor,
    proxyId: due.proxyId,
    probe: true,
  });
  if (recorded) {
    const next = nextProbeAt(recorded.after, entry.at, {
      intervalActiveMs: healthPolicy(deps.config, due.provider).interval_active,
      backoffBaseMs: policy.breaker.openBaseMs,
      backoffMaxMs: policy.breaker.openMaxMs,
    });
    await setNextProbe(deps, due.tripleId, next);
  }
  return { kind: 'probed', outcome, spared: false };
}

async function insertProbeAttempts(deps: KeeperDeps, probed: readonly Probed[]): Promise<void> {
  const rows = probed
    .filter((entry) => entry.result.outcome.kind !== 'client_abort')
    .map((entry) => ({
      requestId: `probe-${entry.due.tripleId}-${entry.at}`,
      final: true,
      provider: entry.due.provider,
      model: entry.model,
      keyId: entry.due.keyId,
      tripleId: entry.due.tripleId,
      proxyId: entry.due.proxyId,
      outcome: outcomeOf(entry.result.outcome),
      status: entry.result.status ?? null,
      latencyMs: Math.round(entry.result.latencyMs),
      probe: true,
      message: entry.result.outcome.kind === 'failure' ? entry.result.outcome.classification.message : null,
      createdAt: new Date(entry.at),
    }));
  if (rows.length > 0) await deps.database.db.insert(attempts).values(rows);
}

/** Every finished probe, spared or not (the keeper's own stop is not a probe result). */
function countProbes(deps: KeeperDeps, probed: readonly Probed[]): void {
  if (deps.metrics === undefined) return;
  for (const entry of probed) {
    const outcome = outcomeOf(entry.result.outcome);
    if (outcome !== 'client_abort') deps.metrics.probe(entry.due.provider, outcome);
  }
}

function outcomeOf(outcome: TripleOutcome): AttemptOutcome {
  return outcome.kind === 'failure' ? outcome.classification.reason : outcome.kind;
}

async function setNextProbe(deps: KeeperDeps, tripleId: number, at: number | null): Promise<void> {
  await deps.database.db
    .update(triples)
    .set({ nextProbeAt: at === null ? null : new Date(at) })
    .where(eq(triples.id, tripleId));
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

// Never the raw message: a query error's message lists its parameters.
function messageOf(error: unknown): string {
  return describeDbError(error).message;
}
