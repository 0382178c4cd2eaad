import type { ProviderSettings } from '../types.js';

/** GigaChat's hosts chain to the Russian Trusted Root CA; the http layer adds `caFile` for them only. */
export interface GigachatSettings extends ProviderSettings {
  caFile?: string;
}

export const gigachatDefaults = {
  baseUrl: 'https://gigachat.devices.sberbank.ru/api/v1',
  auth: 'oauth',
  headers: {},
  oauth: { url: 'https://ngw.devices.sberbank.ru:9443/api/v2/oauth', scope: 'GIGACHAT_API_PERS' },
  probeMethod: 'chat',
} as const satisfies Partial<GigachatSettings>;

/** Tokens live 30 minutes; the official SDK renews when less than a minute is left. */
export const TOKEN_REFRESH_AHEAD_MS = 60_000;
