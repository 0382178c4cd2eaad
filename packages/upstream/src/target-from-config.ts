import { derivedCache, type LlmgwConfig, providerSettings, timeoutsFor } from '@llmgw/config';
import { LlmgwError } from '@llmgw/core';
import type { HttpSettings, Route } from '@llmgw/http';
import { adapterFor, type ProviderSettings } from '@llmgw/providers';
import type { UpstreamTarget } from './target.js';

/** What the adapter of a configured provider needs: the config's view mapped to the adapter's. */
export function adapterSettings(config: LlmgwConfig, provider: string): ProviderSettings {
  const settings = providerSettings(config, provider);
  return {
    type: settings.type,
    name: provider,
    baseUrl: settings.base_url,
    auth: settings.auth,
    headers: { ...settings.headers },
    probeMethod: settings.health.probe_method,
    ...(settings.api_version ? { apiVersion: settings.api_version } : {}),
    ...(settings.max_tokens_default ? { maxTokensDefault: settings.max_tokens_default } : {}),
    ...(settings.oauth ? { oauth: { url: settings.oauth.url, scope: settings.oauth.scope } } : {}),
    ...(settings.drop_unsupported ? { dropUnsupported: true } : {}),
  };
}

/** A key as the caller knows it: its id, its secret, and the proxy it is pinned to (pool providers). */
export interface TargetKey {
  id: number;
  secret: string;
  pinnedProxyUrl: string | null;
}

/** What every key of one provider shares: built once per loaded config, not once per call. */
interface ProviderTarget {
  adapter: UpstreamTarget['adapter'];
  settings: ProviderSettings;
  proxy: string;
  caFile: string | undefined;
  timeouts: NonNullable<UpstreamTarget['timeouts']>;
}

const DIRECT: Route = Object.freeze({ kind: 'direct' });
const providerTargets = derivedCache<ProviderTarget>();

function providerTarget(config: LlmgwConfig, provider: string): ProviderTarget {
  const known = providerTargets.get(config, provider);
  if (known !== undefined) return known;
  const settings = providerSettings(config, provider);
  const timeouts = timeoutsFor(config, provider);
  // Frozen: every call of the provider shares these, so an adapter must not change them.
  return providerTargets.set(config, provider, {
    adapter: adapterFor(settings.type),
    settings: Object.freeze(adapterSettings(config, provider)),
    proxy: settings.proxy,
    caFile: settings.ca_file || undefined,
    timeouts: Object.freeze({ firstByteTimeoutMs: timeouts.firstByte, idleTimeoutMs: timeouts.idle }),
  });
}

/**
 * Builds the call target for one key of a configured provider: adapter, settings, route (direct, the
 * provider's fixed proxy, or the key's pinned pool proxy), CA file and timeouts.
 */
export function upstreamTarget(config: LlmgwConfig, provider: string, key: TargetKey): UpstreamTarget {
  const shared = providerTarget(config, provider);
  return {
    adapter: shared.adapter,
    settings: shared.settings,
    keyId: String(key.id),
    secret: key.secret,
    route: routeFor(shared.proxy, key.pinnedProxyUrl, provider),
    ...(shared.caFile ? { caFile: shared.caFile } : {}),
    timeouts: shared.timeouts,
  };
}

function routeFor(proxy: string, pinnedProxyUrl: string | null, provider: string): Route {
  if (proxy === 'direct') return DIRECT;
  if (!proxy.startsWith('pool:')) return { kind: 'proxy', url: proxy };
  // Falling back to a direct call would expose the host's own address, which the pool exists to hide.
  if (pinnedProxyUrl === null) {
    throw new LlmgwError(`provider ${provider}: no healthy proxy in ${proxy} for this key`, {
      reason: 'proxy_error',
    });
  }
  return { kind: 'proxy', url: pinnedProxyUrl };
}

/** The http client factory's settings from the config's `http` section. */
export function httpClientSettings(config: LlmgwConfig): HttpSettings {
  const { http } = config;
  return {
    connectTimeoutMs: http.connect_timeout,
    firstByteTimeoutMs: http.first_byte_timeout,
    idleTimeoutMs: http.idle_timeout,
    connectionsPerOrigin: http.connections_per_origin,
    keepAliveTimeoutMs: http.keepalive_timeout,
  };
}
