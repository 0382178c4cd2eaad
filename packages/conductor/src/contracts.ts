/*
 * The contracts between the conductor's three parts, fixed first so they can be built side by side:
 *   http/   the Hono app (routes, auth, errors, headers) — calls a Relay;
 *   relay/  one request's journey (failover across leases, streaming, attempt records) — uses a Pool;
 *   pool/   which triple serves next (the lease, limits, queue, outcome write-back).
 * See docs/design/conductor.md.
 */
import type { AbortCell, AbortWatch, FailureReason, RateLimitHints, TripleOutcome } from '@llmgw/core';
import type { AttemptRow } from '@llmgw/db';

/** A provider and one of its models, as a client can ask for it (`provider/model`). */
export interface Candidate {
  provider: string;
  model: string;
}

/**
 * What a request may use, in order: each tier is one model-group entry (or, for a bare model name,
 * every provider serving it as one tier); the relay moves to the next tier after `max_attempts`.
 */
export type CandidateTiers = Candidate[][];

export interface LeaseRequest {
  /** Equivalent candidates: the pool picks the healthiest triple among all of them. */
  candidates: Candidate[];
  /** Triples already tried by this request: never leased again for it. */
  excludeTriples: ReadonlySet<number>;
  /** Keys that said 429 (or worse) to this request: none of their triples is leased again for it. */
  excludeKeys: ReadonlySet<number>;
  /** Prompt + completion token estimate, reserved against TPM before the call. */
  estimatedTokens: number;
  /** How long to wait in the queue when every candidate is saturated (0 = do not wait). */
  maxWaitMs: number;
  requestId: string;
  signal: AbortWatch;
  /**
   * Prompt-cache affinity: the key that served this conversation recently. Chosen when its triple is
   * leasable and under its limits; otherwise ignored (affinity never overrides health or limits).
   */
  preferKey?: PreferredKey | null;
}

/** A key (of the candidate's provider) preferred for one model. */
export interface PreferredKey {
  keyId: number;
  model: string;
}

/** A triple held by this request until `release`. Carries the secret: never log or serialise it. */
export interface Lease {
  tripleId: number;
  keyId: number;
  keyMask: string;
  provider: string;
  model: string;
  secret: string;
  /** The key's pinned proxy (pool providers); null = the provider's own route. */
  pinnedProxyUrl: string | null;
  proxyId: number | null;
  /** Gives the capacity back and records the outcome through the one state machine. Call exactly once. */
  release(result: LeaseResult): void;
}

export interface LeaseResult {
  outcome: TripleOutcome;
  latencyMs: number;
  /** Actual tokens used (reconciles the TPM reservation). */
  tokens?: number;
  /** Limits the upstream volunteered (`x-ratelimit-remaining-*`), to seed the shared windows. */
  hints?: RateLimitHints;
}

/** Why no lease was given. */
export type LeaseRefusal =
  /** Every candidate is at its limits: wait was exhausted. → 429 + Retry-After */
  | { kind: 'saturated'; retryAfterMs: number }
  /** No usable triple at all (dead, cooling down, unknown…): counts per state/reason. → 503 */
  | { kind: 'unavailable'; counts: Record<string, number> };

export interface Pool {
  /** A value when memory decides (the common case: no promise on the hot path), else a promise. */
  lease(request: LeaseRequest): Lease | LeaseRefusal | Promise<Lease | LeaseRefusal>;
  /** Models with at least one usable triple, per provider (GET /v1/models). */
  usableModels(): Promise<Candidate[]>;
  /** Releases everything held, flushes pending writes; called on shutdown after the relays drained. */
  close(): Promise<void>;
}

/**
 * One attempt of a request, for the attempt trail header and the attempts table: the table's row
 * as the db package writes it, so the two cannot drift apart.
 */
export type AttemptRecord = AttemptRow;

/** OpenAI-shaped error the client receives: `{"error": {message, type, code}}`. */
export interface ClientError {
  status: number;
  message: string;
  type: string;
  code: string;
  /** Seconds, for 429 (`Retry-After`). */
  retryAfterSec?: number;
}

export interface RelayInput {
  operation: 'chat' | 'embeddings';
  /** The parsed OpenAI request body (model already resolved into `tiers`). */
  body: Record<string, unknown>;
  tiers: CandidateTiers;
  stream: boolean;
  requestId: string;
  /** Aborts when the client disconnects (or the request times out). */
  signal: AbortWatch;
  /**
   * `signal` itself, when the caller made it for this request alone: the relay then aborts it on its
   * time budget rather than making and linking a second one.
   */
  controller?: AbortCell;
  /**
   * The client's request in a provider's own API, sent instead of `body` by an attempt whose leased
   * provider serves that API natively (`responses_api: true`); every other attempt uses `body`.
   */
  native?: NativeRequest;
  /**
   * The caller writes a non-stream answer to its socket as soon as `relay()` returns. The relay's
   * bookkeeping for it (metrics, the final attempt record, `inflight`) then runs right after that
   * write (`setImmediate`), off the answer's path; the lease is released before the relay returns
   * either way.
   */
  answersOnSocket?: boolean;
}

/** A `/v1/responses` body as the client sent it; the relay only replaces `model` per attempt. */
export interface NativeRequest {
  kind: 'responses';
  body: Record<string, unknown>;
}

/** Response headers the SPEC names: `x-llm-actual-provider`, `x-llm-attempts`, `x-llm-attempt-trail`… */
export type RelayHeaders = Record<string, string>;

/**
 * `format` says the answer is in the native API of `RelayInput.native` (`responses`: a Response, or
 * its event stream) and goes to the client as it is; absent, it is OpenAI chat (or embeddings).
 */
export type RelayResult =
  | { kind: 'json'; status: number; body: unknown; headers: RelayHeaders; format?: NativeRequest['kind'] }
  /** SSE bytes, already framed (`data: …\n\n`, ending with `data: [DONE]`; native: the upstream's events). */
  | {
      kind: 'stream';
      body: ReadableStream<Uint8Array>;
      headers: RelayHeaders;
      format?: NativeRequest['kind'];
      /** The same SSE as text to pull, for a writer that skips the web stream (the gateway's own socket). */
      feed?: SseFeed;
    }
  | { kind: 'error'; error: ClientError; headers: RelayHeaders };

/** One read of an SSE feed: text for the client (maybe empty) and whether it is the last. */
export interface SseRead {
  text: string;
  last: boolean;
}

/**
 * A chat stream's SSE text, pulled one piece at a time by exactly one consumer. `read` resolves
 * `undefined` once the stream ended another way (aborted); `onAbort` gives the closing text of an abort
 * that came between reads (empty when the client left); `cancel` is the consumer leaving.
 */
export interface SseFeed {
  /** True for the first consumer only: a feed read twice would lose pieces. */
  claim(): boolean;
  read(): Promise<SseRead | undefined>;
  onAbort(close: (text: string) => void): void;
  cancel(): void;
}

export interface Relay {
  relay(input: RelayInput): Promise<RelayResult>;
  /** Requests and streams in flight (for drain on SIGTERM and `llm_gateway_inflight`). */
  inflight(): number;
}
