export {
  databaseSettings,
  type GroupEntry,
  gatewaySettings,
  healthPolicy,
  httpSettings,
  keeperSettings,
  limitsFor,
  loggingSettings,
  modelGroup,
  modelGroupNames,
  parseGroupEntry,
  providerModels,
  providerNames,
  providerSettings,
  resolveModel,
  type Timeouts,
  timeoutsFor,
} from './accessor.js';
export {
  addProvider,
  CONFIG_FILE_HEADER,
  type CreateResult,
  createProvider,
  knownKinds,
  type ProviderFragment,
  type ProviderSpec,
  parseProviderSpec,
  providerFragment,
} from './create.js';
export { type DerivedCache, derivedCache } from './derived.js';
export { databaseUrl, type Environment, readEnvironment } from './env.js';
export {
  buildConfig,
  type ConfigReport,
  checkConfig,
  checkConfigText,
  type LoadOptions,
  loadConfig,
} from './loader.js';
export { maskSecrets, maskUrlCredentials } from './mask.js';
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
} from './offline/index.js';
export { correlationPolicy, triplePolicy } from './policy.js';
export { AUTH_STYLES, PROBE_METHODS, QUOTA_BUCKET_MODES } from './provider-schema.js';
export {
  type AuthStyle,
  CACHE_ROUTES,
  type CacheRoute,
  type ConfigPatch,
  configSchema,
  type DatabaseSettings,
  type DeepReadonly,
  type GatewayMode,
  type GatewaySettings,
  type HealthPolicy,
  type HttpSettings,
  type KeeperSettings,
  type Limits,
  type LlmgwConfig,
  type LoggingSettings,
  type LogLevel,
  type ModelSettings,
  type ProbeMethod,
  type ProviderConfig,
  type ProviderPatch,
} from './schema.js';
export { GATEWAY_MODES, LIMIT_KINDS, LOG_LEVELS } from './schema-primitives.js';
export { renderConfig } from './show.js';
export {
  isTemplateName,
  type ProviderTemplate,
  TEMPLATE_NAMES,
  type TemplateName,
  templateFor,
} from './templates.js';
