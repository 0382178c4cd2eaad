import { type LlmgwConfig, providerModels, providerNames } from '@llmgw/config';
import { LlmgwError } from '@llmgw/core';
import type { SmokeItem } from './types.js';

export interface SmokePlan {
  items: SmokeItem[];
  skipped: { provider: string; why: string }[];
}

/**
 * What to test: by default each enabled provider's first configured model (does the provider answer
 * at all?), with `full` every configured model. `provider` narrows it to one, enabled or not.
 */
export function planSmoke(config: LlmgwConfig, options: { provider?: string; full: boolean }): SmokePlan {
  const all = providerNames(config, { includeDisabled: true });
  let names = providerNames(config);
  if (options.provider !== undefined) {
    if (!all.includes(options.provider)) {
      throw new LlmgwError(
        `--provider ${options.provider}: no such provider in the config (known: ${all.join(', ') || 'none'})`,
      );
    }
    names = [options.provider];
  }
  const plan: SmokePlan = { items: [], skipped: [] };
  for (const provider of names) {
    const models = providerModels(config, provider);
    if (models.length === 0) {
      plan.skipped.push({
        provider,
        why: 'no models configured (models discovered from the API are not smoke-tested)',
      });
      continue;
    }
    for (const model of options.full ? models : models.slice(0, 1)) plan.items.push({ provider, model });
  }
  return plan;
}
