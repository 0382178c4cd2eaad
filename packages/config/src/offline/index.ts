export {
  checkOfflinePackages,
  checkOfflinePackageTexts,
  loadOfflinePackages,
  normalizeOfflineText,
  type OfflineAnswer,
  type OfflineEmbedding,
  type OfflinePackages,
  type OfflinePackagesReport,
  type OfflineSource,
  offlinePackagesDir,
} from './load-offline-packages.js';
