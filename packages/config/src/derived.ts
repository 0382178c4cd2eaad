import type { LlmgwConfig } from './schema.js';

export interface DerivedCache<T> {
  get(config: LlmgwConfig, key: string): T | undefined;
  set(config: LlmgwConfig, key: string, value: T): T;
}

/**
 * Values derived from a loaded config and asked for on every request (a provider's call settings, a
 * model's tiers), kept per config object: a reloaded config starts empty and the old one's values go
 * with it. `limit` bounds one config's entries when the keys come from clients.
 */
export function derivedCache<T>(limit = Number.POSITIVE_INFINITY): DerivedCache<T> {
  const perConfig = new WeakMap<LlmgwConfig, Map<string, T>>();
  return {
    get: (config, key) => perConfig.get(config)?.get(key),
    set(config, key, value) {
      let values = perConfig.get(config);
      if (values === undefined) {
        values = new Map();
        perConfig.set(config, values);
      }
      if (values.size >= limit) values.clear();
      values.set(key, value);
      return value;
    },
  };
}
