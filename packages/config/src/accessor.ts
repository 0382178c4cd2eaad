import { LlmgwError } from '@llmgw/core';
import type {
  DatabaseSettings,
  GatewaySettings,
  HealthPolicy,
  HttpSettings,
  KeeperSettings,
  Limits,
  LlmgwConfig,
  LoggingSettings,
  ProviderConfig,
} from './schema.js';
import { LIMIT_KINDS } from './schema-primitives.js';

/*
 * The questions the rest of llmgw asks of the configuration. Callers use these instead of walking
 * the structure, so the YAML layout can change in one place. Durations are milliseconds.
 */

/** Providers in file order; disabled ones only when asked for (`config show`, key sync). */
export function providerNames(config: LlmgwConfig, options: { includeDisabled?: boolean } = {}): string[] {
  return Object.entries(config.providers)
    .filter(([, provider]) => options.includeDisabled || provider.enabled)
    .map(([name]) => name);
}

export function providerSettings(config: LlmgwConfig, provider: string): ProviderConfig {
  // Own properties only: names like `toString` or `constructor` must not find Object.prototype.
  const settings = Object.hasOwn(config.providers, provider) ? config.providers[provider] : undefined;
  if (!settings) {
    const known = Object.keys(config.providers).join(', ') || 'none configured';
    throw new LlmgwError(`unknown provider "${provider}" (known: ${known})`);
  }
  return settings;
}

export function healthPolicy(config: LlmgwConfig, provider: string): HealthPolicy {
  return providerSettings(config, provider).health;
}

/** Model names a provider serves from the config (not counting `models_from_api` discoveries). */
export function providerModels(config: LlmgwConfig, provider: string): string[] {
  return Object.keys(providerSettings(config, provider).models);
}

/** The configured model a name or alias refers to at this provider, if any. */
export function resolveModel(config: LlmgwConfig, provider: string, nameOrAlias: string): string | undefined {
  const { models } = providerSettings(config, provider);
  if (Object.hasOwn(models, nameOrAlias)) return nameOrAlias;
  return Object.entries(models).find(([, settings]) => settings.aliases.includes(nameOrAlias))?.[0];
}

/** Per key-model limits: the provider's, with this model's overrides on top; null = unlimited. */
export function limitsFor(config: LlmgwConfig, provider: string, model: string): Limits {
  const settings = providerSettings(config, provider);
  const canonical = resolveModel(config, provider, model);
  const override = canonical === undefined ? undefined : settings.models[canonical]?.limits;
  const limits = { ...settings.limits };
  for (const kind of LIMIT_KINDS) {
    const value = override?.[kind];
    if (value !== undefined) limits[kind] = value;
  }
  return limits;
}

export interface Timeouts {
  readonly connect: number;
  readonly firstByte: number;
  readonly idle: number;
}

/** Upstream timeouts for a provider: its overrides, else the http section. */
export function timeoutsFor(config: LlmgwConfig, provider: string): Timeouts {
  const { timeouts } = providerSettings(config, provider);
  return {
    connect: timeouts.connect ?? config.http.connect_timeout,
    firstByte: timeouts.first_byte ?? config.http.first_byte_timeout,
    idle: timeouts.idle ?? config.http.idle_timeout,
  };
}

export interface GroupEntry {
  readonly provider: string;
  readonly model: string;
}

/** A model group's ordered fallback list, or undefined when no group has that name. */
export function modelGroup(config: LlmgwConfig, name: string): GroupEntry[] | undefined {
  const entries = Object.hasOwn(config.models, name) ? config.models[name] : undefined;
  return entries?.map(parseGroupEntry);
}

export function modelGroupNames(config: LlmgwConfig): string[] {
  return Object.keys(config.models);
}

/** "openrouter/meta-llama/llama-3.3-70b-instruct:free" → provider "openrouter", the rest is the model. */
export function parseGroupEntry(entry: string): GroupEntry {
  const slash = entry.indexOf('/');
  return slash < 0
    ? { provider: '', model: entry }
    : { provider: entry.slice(0, slash), model: entry.slice(slash + 1) };
}

/** Gateway settings with LLMGW_* environment overrides already applied by the loader. */
export function gatewaySettings(config: LlmgwConfig): GatewaySettings {
  return config.gateway;
}

/** `url` is DATABASE_URL when set, else the file's; undefined means the embedded database under `data_dir`. */
export function databaseSettings(config: LlmgwConfig): DatabaseSettings {
  return config.database;
}

export function httpSettings(config: LlmgwConfig): HttpSettings {
  return config.http;
}

export function keeperSettings(config: LlmgwConfig): KeeperSettings {
  return config.keeper;
}

export function loggingSettings(config: LlmgwConfig): LoggingSettings {
  return config.logging;
}
