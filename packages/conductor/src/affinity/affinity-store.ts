import type { LlmgwConfig } from '@llmgw/config';
import {
  type AffinityUse,
  type Database,
  describeDbError,
  readAffinityPins,
  readChangedAffinityPins,
  upsertAffinityPins,
} from '@llmgw/db';
import type { Logger } from 'pino';
import type { Candidate, PreferredKey } from '../contracts.js';
import { type GatewayMetrics, noopGatewayMetrics } from '../metrics/contract.js';
import type { ConversationKey } from './conversation-key.js';
import { createRequestAffinity, type RequestAffinity } from './request-affinity.js';

export interface AffinityStoreDeps {
  config: LlmgwConfig;
  database: Database;
  log: Logger;
  now: () => number;
  /** How often pins moved by other replicas are pulled (default 1 s, the pool view's own pace). */
  syncMs?: number;
  /** How often TTL refreshes are written (default 1 s); a new or moved pin is written at once. */
  flushMs?: number;
  /** Conversations remembered here at most (least recently used go first). */
  maxConversations?: number;
  /** `llm_gateway_affinity_total{result}`; default: counts nothing. */
  metrics?: GatewayMetrics;
}

/**
 * Prompt-cache affinity (docs/design/pool-intelligence.md): conversation → the key that served it,
 * per provider/model. Postgres holds the truth for every replica; each replica answers from memory.
 */
export interface AffinityStore {
  /** The request's affinity, or null when it has none (not chat, no provider with affinity on). */
  forRequest(input: {
    operation: string;
    body: Record<string, unknown>;
    tiers: Candidate[][];
  }): RequestAffinity | null;
  /**
   * The pin among `candidates` made or moved last. From memory when this replica knows the
   * conversation; else from Postgres only when `readThrough` (a later turn, or a caller-named
   * conversation), so a first turn costs no round trip.
   */
  pin(
    key: ConversationKey,
    candidates: readonly Candidate[],
  ): PreferredKey | null | Promise<PreferredKey | null>;
  /** `keyId` served the conversation on provider/model: pin it there for `ttlMs` (written off the hot path). */
  served(hash: string, provider: string, model: string, keyId: number, ttlMs: number): void;
  /** Writes what is pending and stops the timers. */
  close(): Promise<void>;
}

interface StoredPin {
  provider: string;
  model: string;
  keyId: number;
  changedAt: number;
  expiresAt: number;
  /** The expiry Postgres has (or will have once the pending write lands). */
  writtenExpiresAt: number;
}

const DEFAULT_SYNC_MS = 1_000;
const DEFAULT_FLUSH_MS = 1_000;
const DEFAULT_MAX_CONVERSATIONS = 100_000;
/** Pins pulled again from a little before the last pull: another replica's batch may commit late. */
const SYNC_OVERLAP_MS = 5_000;
/** A TTL refresh is written once the stored expiry lags the local one by this share of the TTL. */
const REFRESH_SHARE = 0.1;
const SWEEP_EVERY_MS = 60_000;
const WARN_EVERY_MS = 5_000;

export function createAffinityStore(deps: AffinityStoreDeps): AffinityStore {
  const { database, log, now } = deps;
  const maxConversations = deps.maxConversations ?? DEFAULT_MAX_CONVERSATIONS;
  const lookupTimeoutMs = deps.config.gateway.affinity_lookup_timeout;
  // Insertion order is recency: a hit moves the conversation to the end, eviction takes the front.
  const conversations = new Map<string, StoredPin[]>();
  const loading = new Map<string, Promise<void>>();
  const pending = new Map<string, AffinityUse>();
  let flushing: Promise<void> | null = null;
  let flushAgain = false;
  let lastSync = now();
  let lastSweep = now();
  let lastWarn = 0;
  let closed = false;

  const warn = (what: string, error: unknown) => {
    const at = Date.now();
    const level = at - lastWarn >= WARN_EVERY_MS ? 'warn' : 'debug';
    if (level === 'warn') lastWarn = at;
    log[level](
      { error: describeDbError(error) },
      `affinity: database problem (${what}); pins kept in memory`,
    );
  };

  const remember = (hash: string, pins: StoredPin[]) => {
    conversations.delete(hash);
    conversations.set(hash, pins);
    if (conversations.size > maxConversations) {
      const oldest = conversations.keys().next();
      if (!oldest.done) conversations.delete(oldest.value);
    }
  };

  /** Takes a pin seen in Postgres unless this replica knows a newer one for the same provider/model. */
  const merge = (pins: StoredPin[], seen: StoredPin) => {
    const index = pins.findIndex((pin) => pin.provider === seen.provider && pin.model === seen.model);
    const known = index === -1 ? undefined : pins[index];
    if (known === undefined) pins.push(seen);
    else if (seen.changedAt > known.changedAt) pins[index] = seen;
    else if (seen.keyId === known.keyId && seen.expiresAt > known.expiresAt) {
      known.expiresAt = seen.expiresAt;
      known.writtenExpiresAt = seen.expiresAt;
    }
  };

  const load = (hash: string): Promise<void> => {
    const running = loading.get(hash);
    if (running) return running;
    const started = now();
    const read = readAffinityPins(database, hash, started)
      .then((rows) => {
        const pins = conversations.get(hash) ?? [];
        for (const row of rows) merge(pins, { ...row, writtenExpiresAt: row.expiresAt });
        remember(hash, pins);
      })
      .catch((error: unknown) => warn('read', error))
      .finally(() => loading.delete(hash));
    loading.set(hash, read);
    return read;
  };

  const pick = (pins: StoredPin[], candidates: readonly Candidate[], at: number): PreferredKey | null => {
    let best: StoredPin | null = null;
    for (const pin of pins) {
      if (pin.expiresAt <= at) continue;
      if (!candidates.some((c) => c.provider === pin.provider && c.model === pin.model)) continue;
      if (best === null || pin.changedAt > best.changedAt) best = pin;
    }
    return best === null ? null : { keyId: best.keyId, model: best.model };
  };

  const flush = async (): Promise<void> => {
    if (flushing) {
      flushAgain = true;
      return flushing;
    }
    if (pending.size === 0) return;
    const batch = [...pending.values()];
    pending.clear();
    flushing = upsertAffinityPins(database, batch)
      .catch((error: unknown) => warn('write', error))
      .finally(() => {
        flushing = null;
        if (flushAgain) {
          flushAgain = false;
          void flush();
        }
      });
    return flushing;
  };

  const sync = async () => {
    if (conversations.size === 0) return;
    const started = now();
    try {
      const rows = await readChangedAffinityPins(database, lastSync - SYNC_OVERLAP_MS, started);
      lastSync = started;
      for (const row of rows) {
        const pins = conversations.get(row.hash);
        // Conversations this replica has not seen are read when (and if) one of their turns comes.
        if (pins) merge(pins, { ...row, writtenExpiresAt: row.expiresAt });
      }
    } catch (error) {
      warn('sync', error);
    }
    if (started - lastSweep >= SWEEP_EVERY_MS) {
      lastSweep = started;
      for (const [hash, pins] of conversations) {
        if (pins.every((pin) => pin.expiresAt <= started)) conversations.delete(hash);
      }
    }
  };

  const syncTimer = setInterval(() => void sync(), deps.syncMs ?? DEFAULT_SYNC_MS);
  syncTimer.unref();
  const flushTimer = setInterval(() => void flush(), deps.flushMs ?? DEFAULT_FLUSH_MS);
  flushTimer.unref();

  const store: AffinityStore = {
    forRequest: (input) => requestAffinity(input),
    pin(key, candidates) {
      const at = now();
      const pins = conversations.get(key.hash);
      if (pins !== undefined) {
        remember(key.hash, pins);
        return pick(pins, candidates, at);
      }
      if (closed || !(key.continuation || key.explicit)) return null;
      return withinDeadline(load(key.hash), lookupTimeoutMs).then(() => {
        const loaded = conversations.get(key.hash);
        return loaded === undefined ? null : pick(loaded, candidates, now());
      });
    },
    served(hash, provider, model, keyId, ttlMs) {
      if (closed) return;
      const at = now();
      const expiresAt = at + ttlMs;
      const pins = conversations.get(hash) ?? [];
      const known = pins.find((pin) => pin.provider === provider && pin.model === model);
      const moved = known === undefined || known.keyId !== keyId || known.expiresAt <= at;
      if (known === undefined) {
        pins.push({ provider, model, keyId, changedAt: at, expiresAt, writtenExpiresAt: 0 });
      } else {
        if (moved) known.changedAt = at;
        known.keyId = keyId;
        known.expiresAt = expiresAt;
      }
      remember(hash, pins);
      const pin = known ?? pins[pins.length - 1];
      if (pin === undefined) return;
      if (!moved && expiresAt - pin.writtenExpiresAt < ttlMs * REFRESH_SHARE) return;
      pin.writtenExpiresAt = expiresAt;
      pending.set(`${hash}\n${provider}\n${model}`, { hash, provider, model, keyId, usedAt: at, expiresAt });
      // A new or moved pin goes out now, so the next turn finds it whichever replica it reaches.
      if (moved) void flush();
    },
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(syncTimer);
      clearInterval(flushTimer);
      await Promise.allSettled([...loading.values()]);
      await flush();
      if (flushing) await flushing;
    },
  };
  const requestAffinity = createRequestAffinity(deps.config, store, deps.metrics ?? noopGatewayMetrics);
  return store;
}

/**
 * A request waits for a pin read at most `gateway.affinity_lookup_timeout`: a slow or unreachable
 * database costs a cache miss, not the request's latency (the read still lands in memory for the
 * next turn).
 */
function withinDeadline(read: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
    timer.unref();
  });
  return Promise.race([read, deadline]).finally(() => clearTimeout(timer));
}
