import type { CacheRoute, LlmgwConfig } from '@llmgw/config';
import {
  type CachedResponse,
  type CachedResponseEntry,
  type Database,
  putCachedResponse,
  takeCachedResponse,
} from '@llmgw/db';

/** The exact-match response cache in Postgres (SPEC §8); the gateway builds none when it is off. */
export interface ResponseCache {
  /** Routes configured to use it (`gateway.cache.routes`). */
  serves(operation: CacheRoute): boolean;
  take(hash: string): Promise<CachedResponse | undefined>;
  /** Stores an answer for `gateway.cache.ttl`. */
  put(entry: Omit<CachedResponseEntry, 'expiresAt'>): Promise<void>;
}

export function createResponseCache(deps: {
  config: LlmgwConfig;
  database: Database;
  now?: () => number;
}): ResponseCache | undefined {
  const settings = deps.config.gateway.cache;
  if (!settings.enabled || settings.routes.length === 0) return undefined;
  const now = deps.now ?? Date.now;
  const routes = new Set<string>(settings.routes);
  return {
    serves: (operation) => routes.has(operation),
    take: (hash) => takeCachedResponse(deps.database, hash, new Date(now())),
    put: (entry) => {
      const at = now();
      return putCachedResponse(
        deps.database,
        { ...entry, expiresAt: new Date(at + settings.ttl) },
        new Date(at),
      );
    },
  };
}
