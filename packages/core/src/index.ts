export { type AbortCell, type AbortWatch, createAbortCell } from './abort.js';
export { escalatingDelay, withJitter } from './backoff.js';
export {
  ConfigError,
  type ConfigIssue,
  formatConfigIssue,
  formatConfigIssues,
  isLlmgwError,
  LlmgwError,
} from './errors.js';
export {
  type AttemptOutcome,
  FAILURE_REASONS,
  type FailureReason,
  isBreakerReason,
  isFailoverReason,
  isFailureReason,
} from './reasons.js';
export { fingerprintKey, maskKey } from './secrets.js';
export {
  BREAKER_STRATEGIES,
  type BreakerStrategy,
  PROVIDER_TYPES,
  type ProviderType,
  TRIPLE_STATES,
  type TripleState,
} from './states.js';
export { withoutBom } from './text.js';
export * from './triple/index.js';
export type {
  Classification,
  RateLimitHints,
  TransportFailure,
  UpstreamFailure,
  UpstreamRequest,
  VerdictScope,
} from './upstream.js';
