import type { ProviderSettings } from '../types.js';

/**
 * What every OpenAI-compatible provider shares before its template (openai, deepseek, groq, ollama…)
 * adds a base URL and limits. Templates live with the config; nothing here depends on one.
 */
export const openAiLikeDefaults = {
  auth: 'bearer',
  headers: {},
  probeMethod: 'chat',
} as const satisfies Partial<ProviderSettings>;

export const JSON_HEADERS = { 'content-type': 'application/json', accept: 'application/json' } as const;
export const SSE_HEADERS = { 'content-type': 'application/json', accept: 'text/event-stream' } as const;

/** The probe prompt: one token of output is enough to prove key, model and quota. */
export const PROBE_PROMPT = 'ping';
