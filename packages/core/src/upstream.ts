import type { FailureReason } from './reasons.js';

/**
 * What a provider adapter builds and the HTTP client sends. Adapters are pure: they produce this and
 * parse what comes back; `@llmgw/http` does the I/O.
 */
export interface UpstreamRequest {
  method: 'GET' | 'POST';
  url: string;
  headers: Record<string, string>;
  body?: string;
}

/** Transport-level failure kinds the HTTP client reports, classified by undici error code. */
export type TransportFailure = 'timeout' | 'network_error' | 'proxy_error';

/** Everything known about a failed call, handed to the adapter's classifier. */
export interface UpstreamFailure {
  status?: number;
  /** Lower-cased header names. */
  headers?: Record<string, string>;
  body?: string;
  transport?: TransportFailure;
  /** undici / Node error code, e.g. `UND_ERR_CONNECT_TIMEOUT`, `ECONNREFUSED`. */
  code?: string;
}

/**
 * Which pool member a verdict is about: this key for this model, the key for every model, the quota
 * bucket the key shares with others, the whole provider, or the proxy it went through.
 */
export type VerdictScope = 'triple' | 'key' | 'bucket' | 'provider' | 'proxy';

/** The classifier's answer: exactly one reason, plus the provider's own hint of when to come back. */
export interface Classification {
  reason: FailureReason;
  scope: VerdictScope;
  /** Absolute time (epoch ms) the upstream said the limit resets; honoured to the second. */
  until?: number;
  /** Relative wait the upstream asked for (Retry-After and friends), when it gave no absolute time. */
  retryAfterMs?: number;
  /** Which window ran out, when the provider says so (per-minute vs per-day quotas cool down differently). */
  window?: 'minute' | 'hour' | 'day' | 'week' | 'month';
  /** Short, key-free description for logs, the audit log and the caller's error message. */
  message: string;
}

/** Rate-limit state the upstream volunteered on any response (success or failure). */
export interface RateLimitHints {
  limitRequests?: number;
  remainingRequests?: number;
  resetRequestsAt?: number;
  limitTokens?: number;
  remainingTokens?: number;
  resetTokensAt?: number;
}
