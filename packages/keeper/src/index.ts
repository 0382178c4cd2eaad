export type { KeeperDeps } from './deps.js';
export { keeperDuties } from './duties.js';
export { type Keeper, type KeeperOptions, type LeaderDuty, startKeeper } from './keeper.js';
export type { LockSession } from './leadership/leadership.js';
export { openPgLockSession } from './leadership/pg-lock-session.js';
export {
  type Maintenance,
  type MaintenanceReport,
  runMaintenance,
  startMaintenance,
} from './maintenance/maintenance.js';
export {
  createKeeperMetrics,
  type KeeperMetrics,
  type MetricsServer,
  serveMetrics,
} from './metrics/index.js';
export { type AmnestyReport, type AmnestySchedule, runAmnesty, startAmnesty } from './probe/amnesty.js';
export { type DueTriple, deferTriplesWithEvidence, selectDueTriples } from './probe/due-triples.js';
export { type NextProbeRule, nextProbeAt, probeAfterEvidence } from './probe/next-probe.js';
export {
  type ProbeLoop,
  type ProbeLoopOptions,
  type ProbeTickReport,
  startProbeLoop,
} from './probe/probe-loop.js';
export { checkBadProxies, markProxyBad, type ProxyCheckReport } from './probe/proxy-health.js';
export { type BatchReport, runProbeBatch } from './probe/run-probes.js';
export { type SyncLoop, type SyncLoopOptions, startSyncLoop } from './sync/sync-loop.js';
export { type SyncOptions, syncPool } from './sync/sync-pool.js';
export type {
  MalformedReport,
  SyncReport,
  UnknownProviderReport,
  UnreadableReport,
} from './sync/sync-report.js';
export { type PoolWatcher, type WatchOptions, watchPoolFiles } from './sync/watch-files.js';
