export {
  type AdminKey,
  type AdminKeyFilter,
  type AdminKeyPage,
  type AdminTriple,
  listAdminKeys,
} from './admin-keys.js';
export { type AuditEntry, type AuditFilter, type AuditPage, listAuditLog } from './audit-log.js';
export { findKeyRef, type KeyRef } from './key-ref.js';
export { type KeeperLeader, type PoolSummary, type ProviderSummary, poolSummary } from './pool-summary.js';
export { type KeyToggleResult, setKeyDisabled } from './set-key-disabled.js';
export { type ProviderTraffic, type TrafficRates, trafficRates } from './traffic-rates.js';
