/**
 * What the test upstream does for a key. A behaviour is data, so tests can build, store and swap them
 * at run time; composite kinds (`rpm`, `flaky`, `sequence`, `per_model`) wrap others and resolve to
 * one leaf action per request.
 */

/** Serve a normal answer. Every field is optional; the defaults answer at once. */
export interface OkBehavior {
  kind: 'ok';
  /** Reply text; default `ok: <last user text>`, so tests can see the request reached the upstream. */
  reply?: string;
  /** Nothing at all (not even the status line) is written for this long: a slow first byte. */
  firstByteDelayMs?: number;
  /** Non-stream: extra wait before the answer. Stream: wait after the headers, before the first chunk. */
  delayMs?: number;
  /** Stream: pause between chunks. */
  chunkDelayMs?: number;
  /** Override the token counts the answer reports (default: computed from text length, ~4 chars/token). */
  usage?: { promptTokens?: number; completionTokens?: number };
  /** Extra response headers (e.g. rate-limit headers to seed the gateway's limiter). */
  headers?: Record<string, string>;
  /**
   * Keep-alive filler sent right after the headers, before `delayMs` passes: `: keep-alive` SSE
   * comments in a stream, blank lines before a JSON body (DeepSeek does both while under load).
   */
  keepAlives?: number;
}

export type FailureStatus = 400 | 401 | 402 | 403 | 404 | 429 | 500 | 502 | 503 | 504 | 529;

/**
 * Wording of a failure where a provider has more than one. Unknown variants fall back to the default
 * wording of the status.
 */
export type ErrorVariant =
  /** OpenAI 429 `insufficient_quota` (no retry-after); elsewhere the provider's own quota signal. */
  | 'insufficient_quota'
  /** OpenAI 429 `credit_balance_exhausted` (newer quota wording). */
  | 'credit_balance_exhausted'
  /** Gemini 429 with a per-minute `quotaId` (the default 429 for Gemini). */
  | 'per_minute'
  /** Gemini 429 with a per-day `quotaId`: retrying soon is pointless. */
  | 'per_day'
  /** OpenAI 429 on tokens per minute instead of requests per minute. */
  | 'tokens'
  /** OpenRouter-style 429: numeric `code`, message "… will reset at <ISO time>", reset in metadata. */
  | 'will_reset_at'
  /** OpenRouter-shaped error body (numeric `code` + `metadata`). */
  | 'openrouter'
  /** Mistral's flat 401 body `{message, request_id}`. */
  | 'mistral'
  /** 400 because the prompt is longer than the context window. */
  | 'context_length';

/** Answer with a provider-shaped error for `status`, before any body byte. */
export interface StatusBehavior {
  kind: 'status';
  status: FailureStatus;
  /** Sent as `retry-after` (and Gemini `RetryInfo.retryDelay`); omitted when unset. */
  retryAfterSec?: number;
  variant?: ErrorVariant;
  /** Absolute reset time (epoch ms) for variants and headers that state one; default now + retry-after. */
  resetAt?: number;
}

/** Accept the request and never answer; only the client (or `close()`) ends it. */
export interface HangBehavior {
  kind: 'hang';
}

/** Stream: send headers and `afterChunks` content chunks, then destroy the socket (no terminator). */
export interface CutStreamBehavior {
  kind: 'cut_stream';
  afterChunks: number;
  reply?: string;
  chunkDelayMs?: number;
}

/** Stream: send `afterChunks` content chunks, then stay silent with the socket open (idle timeout). */
export interface StallBehavior {
  kind: 'stall';
  afterChunks: number;
  reply?: string;
}

/**
 * Stream: send `afterChunks` content chunks, then the provider's in-stream error event and end the
 * stream. A non-stream request gets the same failure as an HTTP status.
 */
export interface StreamErrorBehavior {
  kind: 'stream_error';
  afterChunks: number;
  /** Which failure the event describes; default 500 (Anthropic: 529 → `overloaded_error`). */
  status?: FailureStatus;
  reply?: string;
}

/**
 * Enforce a requests-per-window limit per key (sliding window). A request over the limit is a
 * violation: it is counted and answered with the provider's 429 (retry-after = when a slot frees).
 */
export interface RpmBehavior {
  kind: 'rpm';
  limit: number;
  /** Default 60 000 (a minute). */
  windowMs?: number;
  /** What requests within the limit get; default ok. */
  inner?: Behavior;
}

/** Every `failEvery`-th request of the key fails with `failure` (default 500); the rest get `inner`. */
export interface FlakyBehavior {
  kind: 'flaky';
  failEvery: number;
  inner?: Behavior;
  failure?: Behavior;
}

/**
 * The n-th request of the key gets `steps[n]`; after the last step, `rest` (default: the last step).
 * (Not `then`: an object with a `then` field is mistaken for a promise by `await`.)
 */
export interface SequenceBehavior {
  kind: 'sequence';
  steps: Behavior[];
  rest?: Behavior;
}

/** Different behaviour per model for one key (a key may serve one model and 404 another). */
export interface PerModelBehavior {
  kind: 'per_model';
  models: Record<string, Behavior>;
  otherwise?: Behavior;
}

export type Behavior =
  | OkBehavior
  | StatusBehavior
  | HangBehavior
  | CutStreamBehavior
  | StallBehavior
  | StreamErrorBehavior
  | RpmBehavior
  | FlakyBehavior
  | SequenceBehavior
  | PerModelBehavior;

/** Behaviours a request can end in after composites are resolved. */
export type LeafBehavior =
  | OkBehavior
  | StatusBehavior
  | HangBehavior
  | CutStreamBehavior
  | StallBehavior
  | StreamErrorBehavior;

/** Rate-limit state to report in headers, known when an `rpm` behaviour decided the request. */
export interface RateLimitState {
  limit: number;
  remaining: number;
  resetMs: number;
}

export interface Resolution {
  leaf: LeafBehavior;
  rateLimit?: RateLimitState;
}

const OK: OkBehavior = { kind: 'ok' };
const SERVER_ERROR: StatusBehavior = { kind: 'status', status: 500 };

/**
 * Per-key memory of composite behaviours (call counters, rpm windows, violations). Keyed by the
 * behaviour object, so replacing a key's behaviour starts it afresh, while one default behaviour
 * shared by many keys still counts each key separately.
 */
export interface BehaviorState {
  counters: WeakMap<Behavior, Map<string, number>>;
  windows: WeakMap<Behavior, Map<string, number[]>>;
  violations: Map<string, number>;
}

export function createBehaviorState(): BehaviorState {
  return { counters: new WeakMap(), windows: new WeakMap(), violations: new Map() };
}

function nextCount(state: BehaviorState, behavior: Behavior, key: string): number {
  let perKey = state.counters.get(behavior);
  if (perKey === undefined) {
    perKey = new Map();
    state.counters.set(behavior, perKey);
  }
  const count = (perKey.get(key) ?? 0) + 1;
  perKey.set(key, count);
  return count;
}

function windowFor(state: BehaviorState, behavior: Behavior, key: string): number[] {
  let perKey = state.windows.get(behavior);
  if (perKey === undefined) {
    perKey = new Map();
    state.windows.set(behavior, perKey);
  }
  let stamps = perKey.get(key);
  if (stamps === undefined) {
    stamps = [];
    perKey.set(key, stamps);
  }
  return stamps;
}

/** Turns a behaviour into the one thing to do for this request, updating per-key state. */
export function resolveBehavior(
  behavior: Behavior,
  key: string,
  model: string,
  now: number,
  state: BehaviorState,
): Resolution {
  switch (behavior.kind) {
    case 'per_model':
      return resolveBehavior(behavior.models[model] ?? behavior.otherwise ?? OK, key, model, now, state);
    case 'sequence': {
      const index = nextCount(state, behavior, key) - 1;
      const step = behavior.steps[index] ?? behavior.rest ?? behavior.steps.at(-1) ?? OK;
      return resolveBehavior(step, key, model, now, state);
    }
    case 'flaky': {
      const failing = nextCount(state, behavior, key) % Math.max(1, behavior.failEvery) === 0;
      const chosen = failing ? (behavior.failure ?? SERVER_ERROR) : (behavior.inner ?? OK);
      return resolveBehavior(chosen, key, model, now, state);
    }
    case 'rpm':
      return resolveRpm(behavior, key, model, now, state);
    default:
      return { leaf: behavior };
  }
}

function resolveRpm(
  behavior: RpmBehavior,
  key: string,
  model: string,
  now: number,
  state: BehaviorState,
): Resolution {
  const windowMs = behavior.windowMs ?? 60_000;
  const stamps = windowFor(state, behavior, key);
  while (stamps.length > 0 && (stamps[0] ?? now) <= now - windowMs) stamps.shift();
  const oldest = stamps[0] ?? now;
  const resetMs = Math.max(0, oldest + windowMs - now);
  if (stamps.length >= behavior.limit) {
    state.violations.set(key, (state.violations.get(key) ?? 0) + 1);
    return {
      leaf: { kind: 'status', status: 429, retryAfterSec: Math.max(1, Math.ceil(resetMs / 1000)) },
      rateLimit: { limit: behavior.limit, remaining: 0, resetMs },
    };
  }
  stamps.push(now);
  const inner = resolveBehavior(behavior.inner ?? OK, key, model, now, state);
  return {
    leaf: inner.leaf,
    rateLimit: inner.rateLimit ?? {
      limit: behavior.limit,
      remaining: behavior.limit - stamps.length,
      resetMs: (stamps[0] ?? now) + windowMs - now,
    },
  };
}
