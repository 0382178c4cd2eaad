export type {
  Behavior,
  CutStreamBehavior,
  ErrorVariant,
  FailureStatus,
  FlakyBehavior,
  HangBehavior,
  OkBehavior,
  PerModelBehavior,
  RpmBehavior,
  SequenceBehavior,
  StallBehavior,
  StatusBehavior,
  StreamErrorBehavior,
} from './behaviors.js';
export type { CallRecord } from './call-log.js';
export {
  createForwardProxy,
  type ForwardProxy,
  type ForwardProxyOptions,
  isFromForwardProxy,
} from './forward-proxy.js';
export { behaviorFromKeyPrefix } from './key-prefixes.js';
export { createPrivatePostgres, type PrivatePostgres } from './private-postgres.js';
export { createTestUpstream, DEFAULT_MODELS, type TestUpstream, type TestUpstreamOptions } from './server.js';
export type { Operation, Provider } from './wire.js';
