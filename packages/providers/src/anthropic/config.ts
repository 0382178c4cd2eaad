import type { ProviderSettings } from '../types.js';

export const anthropicDefaults = {
  baseUrl: 'https://api.anthropic.com/v1',
  auth: 'x-api-key',
  headers: {},
  apiVersion: '2023-06-01',
  maxTokensDefault: 4096,
  probeMethod: 'chat',
} as const satisfies Partial<ProviderSettings>;

export function anthropicHeaders(settings: ProviderSettings, stream: boolean): Record<string, string> {
  return {
    'content-type': 'application/json',
    accept: stream ? 'text/event-stream' : 'application/json',
    'anthropic-version': settings.apiVersion ?? anthropicDefaults.apiVersion,
  };
}
