export { coalesceKey } from './coalesce-key.js';
export { COALESCED_HEADER, type Coalescer, createCoalescer } from './create-coalescer.js';
export { type CoalescingDeps, relayOrJoin } from './relay-or-join.js';
