export {
  type CorrelatedVerdict,
  type CorrelationPolicy,
  detectCorrelatedFailure,
  isCorrelatable,
  type RecentFailure,
} from './correlation.js';
export { DEFAULT_HEALTH_POLICY, type HealthPolicy } from './policy.js';
export { isFrozen, isLeasable, type TripleSnapshot, UNTESTED_TRIPLE } from './snapshot.js';
export {
  type AuditEntry,
  isAmnestyState,
  resetTriple,
  type ScopeEffect,
  type Transition,
  type TripleOutcome,
  type TripleWhere,
  transition,
} from './transition.js';
