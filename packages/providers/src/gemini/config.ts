import type { ProviderSettings } from '../types.js';

export const geminiDefaults = {
  baseUrl: 'https://generativelanguage.googleapis.com/v1beta',
  auth: 'x-goog-api-key',
  headers: {},
  probeMethod: 'chat',
} as const satisfies Partial<ProviderSettings>;

/** `gemini-2.0-flash` → `models/gemini-2.0-flash`; already-qualified names (`tunedModels/…`) stay. */
export function modelResource(model: string): string {
  return model.includes('/') ? model : `models/${model}`;
}

/** Gemini daily quotas reset at midnight Pacific time. */
export const QUOTA_TIME_ZONE = 'America/Los_Angeles';
