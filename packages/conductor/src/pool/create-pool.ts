import { gatewaySettings, providerNames } from '@llmgw/config';
import { describeDbError, returnUnusedGrants, windowStart } from '@llmgw/db';
import type { Candidate, Lease, LeaseRefusal, LeaseRequest, Pool } from '../contracts.js';
import type { PoolGaugeSource } from '../metrics/contract.js';
import { type AttemptResult, attempt, isBusy, isLease } from './acquire.js';
import { createCapacityListener } from './capacity-listener.js';
import { newChoice } from './choose.js';
import { giveBackAll } from './concurrency.js';
import type { PoolContext } from './context.js';
import { rollWindows } from './grants.js';
import { startLoop } from './loop.js';
import { createOutcomes } from './outcomes.js';
import { createOverlays } from './overlays.js';
import { createLeaseQueue, saturated } from './queue.js';
import { heartbeatHeld, reclaimTick } from './reclaim.js';
import { queryView } from './refresh-query.js';
import type { PoolDeps } from './types.js';
import { buildView, emptyView, poolProviders } from './view.js';

const DEFAULT_REFRESH_MS = 1_000;
const FLUSH_MS = 1_000;
/** Waiters re-try at least this often: covers releases elsewhere when no NOTIFY arrives (PGlite). */
const QUEUE_TICK_MS = 250;
const SLOT_LINGER_MS = 150;
const WARN_EVERY_MS = 5_000;

/**
 * The lease (docs/design/conductor.md): an in-memory view of the pool refreshed from Postgres, limits
 * claimed in Postgres in blocks so they hold across replicas, a fair queue when everything is at its
 * limits, and outcomes written back through the one state machine.
 */
export function createPool(deps: PoolDeps): Pool {
  const settings = gatewaySettings(deps.config);
  const providers = providerNames(deps.config);
  const pinned = poolProviders(deps.config);
  const overlays = createOverlays();
  const lastWarn = new Map<string, number>();
  let refreshNo = 0;
  let refreshFailing = false;

  const ctx: PoolContext = {
    deps,
    query: deps.database.query,
    view: emptyView(),
    outcomes: createOutcomes({
      config: deps.config,
      database: deps.database,
      holder: deps.holder,
      log: deps.log,
      now: deps.now,
      overlays,
      view: () => ctx.view,
      refreshNo: () => refreshNo,
    }),
    ttlMs: settings.lease_ttl,
    lingerMs: SLOT_LINGER_MS,
    claimBackoffUntil: 0,
    strayRows: [],
    unusedGrants: [],
    closed: false,
    lastStamp: 0,
    choice: newChoice(),
    wake: () => {
      if (queue.size() > 0) drainLoop.kick();
    },
    warn(kind, error, context = {}) {
      const now = Date.now();
      const last = lastWarn.get(kind) ?? 0;
      const level = now - last >= WARN_EVERY_MS ? 'warn' : 'debug';
      if (level === 'warn') lastWarn.set(kind, now);
      deps.log[level]({ error: describeDbError(error), ...context }, `pool: database problem (${kind})`);
    },
  };

  const queue = createLeaseQueue(settings.queue.max_depth, deps.now);
  const listener = createCapacityListener(deps.database, deps.holder, () => ctx.wake());

  const refresh = async () => {
    refreshNo += 1;
    const started = refreshNo;
    try {
      const rows = await queryView(ctx.query, providers);
      const view = buildView(rows, ctx.view, deps.config, pinned);
      overlays.reapply(view, started, deps.now());
      ctx.view = view;
      if (refreshFailing) deps.log.info('pool: database reachable again; view refreshed');
      refreshFailing = false;
    } catch (error) {
      refreshFailing = true;
      ctx.warn('refresh', error);
      return;
    }
    // Cooldowns may have ended and triples come back: waiters get another look.
    ctx.wake();
    await listener.ensure().catch((error: unknown) => ctx.warn('listen', error));
  };

  /** One pass over the waiters in arrival order; triples found busy are not re-claimed in the same pass. */
  const drain = async () => {
    const skip = new Set<number>();
    for (const waiter of queue.snapshot()) {
      if (waiter.done) continue;
      const result = await attempt(ctx, waiter.request, skip, false);
      if (waiter.done) {
        // It gave up while its claim was in flight: the capacity goes straight back, unpenalised.
        if (isLease(result)) result.release({ outcome: { kind: 'client_abort' }, latencyMs: 0 });
        continue;
      }
      if (isBusy(result)) waiter.retryAt = result.retryAt;
      else waiter.finish(result);
    }
  };

  const ready = refresh();
  const refreshLoop = startLoop(deps.refreshMs ?? DEFAULT_REFRESH_MS, refresh);
  const drainLoop = startLoop(QUEUE_TICK_MS, async () => {
    if (queue.size() > 0) await drain();
  });
  const heartbeatLoop = startLoop(Math.max(100, Math.floor(ctx.ttlMs / 3)), () =>
    heartbeatHeld(ctx).catch((error: unknown) => ctx.warn('heartbeat', error)),
  );
  const reclaimLoop = startLoop(Math.min(5_000, Math.max(250, Math.floor(ctx.ttlMs / 3))), async () => {
    await reclaimTick(ctx).catch((error: unknown) => ctx.warn('reclaim', error));
    await listener.check();
  });
  const flushLoop = startLoop(FLUSH_MS, async () => {
    await ctx.outcomes.flush();
    await giveBackUnusedGrants(ctx, deps.now());
  });

  const finish = (result: AttemptResult, now: number): Lease | LeaseRefusal =>
    isBusy(result) ? saturated(result.retryAt, now) : result;

  const afterAttempt = (request: LeaseRequest, waitMs: number, result: AttemptResult) => {
    const now = deps.now();
    if (!isBusy(result) || waitMs <= 0) return finish(result, now);
    const waiting = queue.enqueue(request, waitMs, result.retryAt, now);
    if (!waiting) return saturated(result.retryAt, now);
    drainLoop.kick();
    return waiting;
  };

  const leaseLoaded = (request: LeaseRequest): Lease | LeaseRefusal | Promise<Lease | LeaseRefusal> => {
    const waitMs = Math.min(request.maxWaitMs, settings.queue.max_wait);
    // Waiters came first: a newcomer takes only what they cannot want (an unlimited triple).
    const result = attempt(ctx, request, null, queue.size() > 0 && waitMs > 0);
    return result instanceof Promise
      ? result.then((settled) => afterAttempt(request, waitMs, settled))
      : afterAttempt(request, waitMs, result);
  };

  const pool: Pool = {
    lease(request) {
      if (ctx.closed) return { kind: 'unavailable', counts: { pool_closed: 1 } };
      if (!ctx.view.loaded) return ready.then(() => leaseLoaded(request));
      return leaseLoaded(request);
    },

    async usableModels(): Promise<Candidate[]> {
      if (!ctx.view.loaded) await ready;
      const now = deps.now();
      const usable: Candidate[] = [];
      for (const provider of providers) {
        const models = ctx.view.byProvider.get(provider);
        if (!models) continue;
        for (const [model, entries] of models) {
          if (entries.some((entry) => entry.blocked === null && entry.until <= now)) {
            usable.push({ provider, model });
          }
        }
      }
      return usable;
    },

    async close(): Promise<void> {
      if (ctx.closed) return;
      ctx.closed = true;
      for (const loop of [refreshLoop, drainLoop, heartbeatLoop, reclaimLoop, flushLoop]) loop.stop();
      queue.clear(deps.now());
      for (const entry of ctx.view.byId.values()) {
        if (entry.local.lingerTimer) clearTimeout(entry.local.lingerTimer);
        entry.local.lingerTimer = null;
      }
      await listener.stop();
      await ready;
      await ctx.outcomes.settle();
      await ctx.outcomes.flush();
      // Closing ends every slice this replica holds grants in.
      await giveBackUnusedGrants(ctx, Number.MAX_SAFE_INTEGER);
      try {
        await giveBackAll(ctx.query, deps.holder);
      } catch (error) {
        deps.log.error(
          { error: describeDbError(error) },
          'pool: could not give leases back on close; they expire by themselves',
        );
      }
    },
  };
  halts.set(pool, () => {
    ctx.closed = true;
    for (const loop of [refreshLoop, drainLoop, heartbeatLoop, reclaimLoop, flushLoop]) loop.stop();
    void listener.stop();
  });
  gauges.set(pool, {
    queueDepth: () => queue.size(),
    forEachTriple(visit) {
      const now = deps.now();
      for (const entry of ctx.view.byId.values()) {
        visit(entry.provider, entry.state, entry.blocked === null && entry.until <= now);
      }
    },
  });
  return pool;
}

/**
 * Gives back what is left of ended minute slices, including those of triples nobody leased since (a
 * cheap walk of the view, once a second). Under-use at worst if the write fails: the slices age out
 * of the sliding minute within 60 s anyway.
 */
async function giveBackUnusedGrants(ctx: PoolContext, now: number): Promise<void> {
  const slice = windowStart('minute', now);
  for (const entry of ctx.view.byId.values()) {
    const local = entry.local;
    if (local.minuteStart !== slice && (local.minuteRequests > 0 || local.minuteTokens > 0)) {
      rollWindows(entry, now, ctx.unusedGrants);
    }
  }
  if (ctx.unusedGrants.length === 0) return;
  const grants = ctx.unusedGrants.splice(0);
  try {
    await returnUnusedGrants(ctx.query, grants);
  } catch (error) {
    ctx.warn('unused-grants', error, { grants: grants.length });
  }
}

const halts = new WeakMap<Pool, () => void>();
const gauges = new WeakMap<Pool, PoolGaugeSource>();

/** What `/metrics` reads of a pool at scrape time (queue depth, triples by state); undefined for other Pools. */
export function poolGaugeSource(pool: Pool): PoolGaugeSource | undefined {
  return gauges.get(pool);
}

/**
 * Stops a pool dead without giving anything back, as `kill -9` would: tests use it to prove that
 * another replica reclaims what a dead one held.
 */
export function haltPool(pool: Pool): void {
  halts.get(pool)?.();
}
