import type { Limits, LlmgwConfig } from '@llmgw/config';
import type { FailureReason, TripleState } from '@llmgw/core';
import type { Database } from '@llmgw/db';
import type { Logger } from 'pino';

export interface PoolDeps {
  config: LlmgwConfig;
  database: Database;
  /** This replica's id: the `holder` of its leases rows and the `actor` of its audit entries. */
  holder: string;
  log: Logger;
  now: () => number;
  /** How often the view is reloaded from Postgres (default 1 s). */
  refreshMs?: number;
}

/**
 * What this replica holds of one triple's shared limits. It lives across view refreshes (keyed by
 * triple id) because the refresh only brings Postgres' truth, not what this replica reserved.
 */
export interface LocalState {
  /** Leases of this replica on the triple right now (the first criterion of the choice). */
  inflight: number;
  /** When this replica last leased it: LRU among equals without waiting for the batch flush. */
  lastUsedAt: number;
  /** Requests and tokens claimed from the current minute window and not yet used. */
  minuteStart: number;
  minuteRequests: number;
  minuteTokens: number;
  dayStart: number;
  dayRequests: number;
  /** The shared minute/day window is full: no claim is tried before this time. */
  fullUntil: number;
  /** The smallest token claim the minute window at `tokenFloorStart` refused (0 = none). */
  tokenFloor: number;
  tokenFloorStart: number;
  /** The upstream said "0 remaining" until this time (`x-ratelimit-*`). */
  hintHoldUntil: number;
  /** Last time this replica wrote the upstream's remaining figures (at most one write a second). */
  hintWrittenAt: number;
  /** `leases` rows this replica holds for concurrency slots (each one slot). */
  slotRows: string[];
  /** How many of `slotRows` serve a request now; the rest linger idle for a moment. */
  slotsUsed: number;
  /** The `leases` row of this replica's half-open trial, if it runs one. */
  trialRow: string | null;
  /** A block claim in flight: others wait for it instead of claiming a second block. */
  claiming: Promise<unknown> | null;
  lingerTimer: NodeJS.Timeout | null;
}

/** One triple as this replica sees it: Postgres' row plus local observations. */
export interface TripleEntry {
  id: number;
  keyId: number;
  keyMask: string;
  provider: string;
  model: string;
  /** Null when the triple cannot be leased without a state change (then it is never needed). */
  secret: string | null;
  bucketId: number | null;
  proxyId: number | null;
  pinnedProxyUrl: string | null;
  state: TripleState;
  reason: FailureReason | null;
  cooldownUntil: number | null;
  consecutiveFailures: number;
  breakerLevel: number;
  providerUntil: number;
  bucketUntil: number;
  proxyUntil: number;
  proxyBad: boolean;
  keyDisabled: boolean;
  providerDisabled: boolean;
  /** The provider routes through a proxy pool: a key without a pinned proxy is not leased. */
  needsProxy: boolean;
  /** Another holder runs the half-open trial (Postgres `half_open`). */
  halfOpenElsewhere: boolean;
  ewmaSuccess: number;
  ewmaLatencyMs: number | null;
  lastUsedAt: number;
  limits: Limits;
  /** Any of rpm/rpd/tpm/concurrency set: leased through grants claimed in Postgres. */
  limited: boolean;
  // Derived by `deriveEntry` from the fields above.
  /** Why it cannot be leased whatever the time (a count key of `unavailable`); null = it can. */
  blocked: string | null;
  /** Not leased before this time (its own, provider, bucket or proxy cooldown); 0 = now. */
  until: number;
  untilReason: string;
  /** The state is a cooldown: once `until` has passed, the next lease is the half-open trial. */
  needsTrial: boolean;
  local: LocalState;
}

/** The whole view: triples by provider then model (no string building on the hot path). */
export interface PoolView {
  byProvider: Map<string, Map<string, TripleEntry[]>>;
  byId: Map<number, TripleEntry>;
  loaded: boolean;
}

/** What a limited or half-open lease took, to give back or reconcile on release. */
export interface Held {
  /** Tokens reserved against TPM, in the minute window starting at `minuteStart`. */
  tokens: number;
  minuteStart: number;
  dayStart: number;
  /** A concurrency slot taken from this replica's pooled `leases` rows. */
  pooledSlot: boolean;
  /** The `leases` row of a half-open trial (given back once the outcome is written). */
  trialRow: string | null;
}
