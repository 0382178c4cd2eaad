import { LlmgwError, type ProviderType } from '@llmgw/core';
import { anthropicAdapter } from './anthropic/index.js';
import { geminiAdapter } from './gemini/index.js';
import { gigachatAdapter } from './gigachat/index.js';
import { openAiLikeAdapter } from './openai-like/index.js';
import type { ProviderAdapter } from './types.js';

const ADAPTERS: Record<ProviderType, ProviderAdapter> = {
  openai_like: openAiLikeAdapter,
  gemini: geminiAdapter,
  gigachat: gigachatAdapter,
  anthropic: anthropicAdapter,
};

/** Takes a plain string because the type comes from a config file; an unknown one is a typed error. */
export function adapterFor(type: ProviderType | string): ProviderAdapter {
  if (!Object.hasOwn(ADAPTERS, type)) throw new LlmgwError(`unknown provider type "${type}"`);
  return ADAPTERS[type as ProviderType];
}
