import { type LlmgwConfig, limitsFor } from '@llmgw/config';
import type { ViewRow } from './refresh-query.js';
import type { LocalState, PoolView, TripleEntry } from './types.js';

export function emptyView(): PoolView {
  return { byProvider: new Map(), byId: new Map(), loaded: false };
}

export function newLocalState(): LocalState {
  return {
    inflight: 0,
    lastUsedAt: 0,
    minuteStart: 0,
    minuteRequests: 0,
    minuteTokens: 0,
    dayStart: 0,
    dayRequests: 0,
    fullUntil: 0,
    tokenFloor: 0,
    tokenFloorStart: 0,
    hintHoldUntil: 0,
    hintWrittenAt: 0,
    slotRows: [],
    slotsUsed: 0,
    trialRow: null,
    claiming: null,
    lingerTimer: null,
  };
}

/** Whether this replica still holds something of the triple, so its local state must survive a refresh. */
export function holdsSomething(local: LocalState): boolean {
  return (
    local.inflight > 0 || local.slotRows.length > 0 || local.trialRow !== null || local.claiming !== null
  );
}

/**
 * Recomputes what decides leasability from the raw fields, after a refresh or a local observation.
 * The rule is the design's: active/untested, or a cooldown whose end has passed (half-open); key live
 * and enabled; provider enabled and not cooling; bucket and proxy not cooling; pool providers pinned.
 */
export function deriveEntry(entry: TripleEntry): void {
  const cooling = entry.state === 'cooldown' || entry.state === 'no_quota';
  entry.needsTrial = cooling;
  entry.blocked = blockedReason(entry, cooling);
  let until = 0;
  let reason = '';
  if (cooling && entry.cooldownUntil !== null) {
    until = entry.cooldownUntil;
    reason = entry.reason === null ? entry.state : `${entry.state}:${entry.reason}`;
  }
  if (entry.providerUntil > until) {
    until = entry.providerUntil;
    reason = 'provider_cooldown';
  }
  if (entry.bucketUntil > until) {
    until = entry.bucketUntil;
    reason = 'bucket_cooldown';
  }
  if (entry.proxyUntil > until) {
    until = entry.proxyUntil;
    reason = 'proxy_cooldown';
  }
  entry.until = until;
  entry.untilReason = reason;
}

function blockedReason(entry: TripleEntry, cooling: boolean): string | null {
  if (entry.providerDisabled) return 'provider_disabled';
  if (entry.keyDisabled) return 'key_disabled';
  if (entry.state !== 'active' && entry.state !== 'untested' && !cooling) {
    return entry.reason === null ? entry.state : `${entry.state}:${entry.reason}`;
  }
  // A breaker of the manual_reset strategy stays open until an operator resets it.
  if (cooling && entry.cooldownUntil === null) return `${entry.state}:manual_reset`;
  if (entry.proxyBad) return 'proxy_bad';
  if (entry.needsProxy && entry.proxyId === null) return 'no_pinned_proxy';
  if (entry.secret === null) return entry.state;
  return null;
}

/** Providers that route keys through a proxy pool (`proxy: pool:<name>`). */
export function poolProviders(config: LlmgwConfig): Set<string> {
  const found = new Set<string>();
  for (const [name, settings] of Object.entries(config.providers)) {
    if (settings.proxy.startsWith('pool:')) found.add(name);
  }
  return found;
}

/**
 * Builds the next view from the query rows, keeping this replica's local state of every triple it
 * still knows or still holds something of.
 */
export function buildView(
  rows: readonly ViewRow[],
  previous: PoolView,
  config: LlmgwConfig,
  pinned: ReadonlySet<string>,
): PoolView {
  const next: PoolView = { byProvider: new Map(), byId: new Map(), loaded: true };
  const limitsCache = new Map<string, ReturnType<typeof limitsFor>>();
  for (const row of rows) {
    const limitKey = `${row.provider}\u0000${row.model}`;
    let limits = limitsCache.get(limitKey);
    if (!limits) {
      limits = limitsFor(config, row.provider, row.model);
      limitsCache.set(limitKey, limits);
    }
    const old = previous.byId.get(row.id);
    const local = old?.local ?? newLocalState();
    const entry: TripleEntry = {
      id: row.id,
      keyId: row.key_id,
      keyMask: row.mask,
      provider: row.provider,
      model: row.model,
      secret: row.secret,
      bucketId: row.bucket_id,
      proxyId: row.proxy_id,
      pinnedProxyUrl: row.proxy_id === null ? null : row.proxy_url,
      state: row.state,
      reason: row.reason,
      cooldownUntil: row.cooldown_until,
      consecutiveFailures: row.consecutive_failures,
      breakerLevel: row.breaker_level,
      providerUntil: row.provider_until ?? 0,
      bucketUntil: row.bucket_until ?? 0,
      proxyUntil: row.proxy_until ?? 0,
      proxyBad: row.proxy_bad,
      keyDisabled: row.key_disabled,
      providerDisabled: !row.provider_enabled,
      needsProxy: pinned.has(row.provider),
      // Our own trial shows as half_open too; only someone else's makes the triple busy for us.
      halfOpenElsewhere: row.half_open && local.trialRow === null,
      ewmaSuccess: row.ewma_success,
      ewmaLatencyMs: row.ewma_latency_ms,
      lastUsedAt: Math.max(row.last_used_at ?? 0, local.lastUsedAt),
      limits,
      limited:
        limits.rpm !== null || limits.rpd !== null || limits.tpm !== null || limits.concurrency !== null,
      blocked: null,
      until: 0,
      untilReason: '',
      needsTrial: false,
      local,
    };
    deriveEntry(entry);
    next.byId.set(entry.id, entry);
    let models = next.byProvider.get(entry.provider);
    if (!models) {
      models = new Map();
      next.byProvider.set(entry.provider, models);
    }
    const list = models.get(entry.model);
    if (list) list.push(entry);
    else models.set(entry.model, [entry]);
  }
  return next;
}

export function entriesFor(view: PoolView, provider: string, model: string): TripleEntry[] | undefined {
  return view.byProvider.get(provider)?.get(model);
}
