/**
 * The SPEC §5 failure reasons: every failed attempt, real or probe, is classified into exactly one.
 * `client_abort` is not a failure of the triple and never changes its state.
 */
export const FAILURE_REASONS = [
  'invalid_key',
  'no_quota',
  'rate_limited',
  'model_unavailable',
  'server_error',
  'timeout',
  'network_error',
  'proxy_error',
  'bad_request',
] as const;

export type FailureReason = (typeof FAILURE_REASONS)[number];

/** What an attempt can end with: success, one of the failure reasons, or the client walking away. */
export type AttemptOutcome = 'ok' | 'client_abort' | FailureReason;

/** Reasons after which the request moves on to another triple (everything but the caller's own fault). */
export function isFailoverReason(reason: FailureReason): boolean {
  return reason !== 'bad_request';
}

/** Reasons that count as a breaker failure of the triple (transient upstream trouble). */
export function isBreakerReason(reason: FailureReason): boolean {
  return reason === 'server_error' || reason === 'timeout' || reason === 'network_error';
}

export function isFailureReason(value: string): value is FailureReason {
  return (FAILURE_REASONS as readonly string[]).includes(value);
}
