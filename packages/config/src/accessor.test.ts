import { LlmgwError } from '@llmgw/core';
import { describe, expect, it } from 'vitest';
import {
  databaseSettings,
  gatewaySettings,
  healthPolicy,
  limitsFor,
  modelGroup,
  modelGroupNames,
  providerModels,
  providerNames,
  providerSettings,
  resolveModel,
  timeoutsFor,
} from './accessor.js';
import { buildConfig } from './loader.js';

const config = buildConfig(
  {
    providers: {
      groq: { models: { 'llama-3.1-8b-instant': { aliases: ['small'], limits: { rpm: null } } } },
      openrouter: { timeouts: { first_byte: '5s' } },
      ollama: { enabled: false },
    },
    models: { fast: ['groq/small', 'openrouter/meta-llama/llama-3.3-70b-instruct:free'] },
  },
  { DATABASE_URL: 'postgres://h/db' },
);

describe('accessor', () => {
  it('lists enabled providers in file order, disabled ones on request', () => {
    expect(providerNames(config)).toEqual(['groq', 'openrouter']);
    expect(providerNames(config, { includeDisabled: true })).toEqual(['groq', 'openrouter', 'ollama']);
  });

  it('names the known providers when asked for an unknown one', () => {
    expect(() => providerSettings(config, 'nope')).toThrow(LlmgwError);
    expect(() => providerSettings(config, 'nope')).toThrow(/known: groq, openrouter, ollama/);
  });

  it('layers model limit overrides over provider limits, by name or alias', () => {
    expect(limitsFor(config, 'groq', 'llama-3.1-8b-instant')).toEqual({
      rpm: null,
      rpd: 14400,
      tpm: 6000,
      concurrency: null,
    });
    expect(limitsFor(config, 'groq', 'small')).toEqual(limitsFor(config, 'groq', 'llama-3.1-8b-instant'));
    expect(limitsFor(config, 'groq', 'unlisted')).toEqual({
      rpm: 30,
      rpd: 1000,
      tpm: 6000,
      concurrency: null,
    });
    expect(resolveModel(config, 'groq', 'small')).toBe('llama-3.1-8b-instant');
    expect(providerModels(config, 'groq')).toEqual(['llama-3.1-8b-instant', 'llama-3.3-70b-versatile']);
  });

  it('takes provider timeouts over the http section', () => {
    expect(timeoutsFor(config, 'openrouter')).toEqual({ connect: 10_000, firstByte: 5_000, idle: 60_000 });
  });

  it('splits group entries at the first slash only', () => {
    expect(modelGroupNames(config)).toEqual(['fast']);
    expect(modelGroup(config, 'fast')).toEqual([
      { provider: 'groq', model: 'small' },
      { provider: 'openrouter', model: 'meta-llama/llama-3.3-70b-instruct:free' },
    ]);
    expect(modelGroup(config, 'slow')).toBeUndefined();
  });

  it('exposes sections with environment overrides applied', () => {
    expect(healthPolicy(config, 'groq').interval_active).toBe(900_000);
    expect(gatewaySettings(config).port).toBe(8080);
    expect(databaseSettings(config)).toEqual({ url: 'postgres://h/db', data_dir: 'data' });
  });
});

describe('names that collide with Object.prototype', () => {
  it('are unknown providers, models and groups, not crashes', async () => {
    const { buildConfig } = await import('./loader.js');
    const { modelGroup, providerSettings, resolveModel } = await import('./accessor.js');
    const config = buildConfig({ providers: { groq: {} } });
    expect(() => providerSettings(config, 'toString')).toThrow(/unknown provider/);
    expect(resolveModel(config, 'groq', 'toString')).toBeUndefined();
    expect(modelGroup(config, 'constructor')).toBeUndefined();
  });
});
