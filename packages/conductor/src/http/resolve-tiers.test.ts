import { describe, expect, it } from 'vitest';
import type { Candidate } from '../contracts.js';
import { type ResolveInput, resolveConfigured, resolveTiers } from './resolve-tiers.js';
import { testConfig } from './test-support.js';

const auto = testConfig();
const online = testConfig({ gateway: { mode: 'online' } });
const offline = testConfig({ gateway: { mode: 'offline' } });

function tiers(input: Partial<ResolveInput> & { model: string }): Candidate[][] | string {
  const result = resolveTiers({ config: auto, operation: 'chat', ...input });
  return result.ok ? result.tiers : `${result.error.status} ${result.error.code}`;
}

describe('resolveTiers', () => {
  it.each<[string, Partial<ResolveInput> & { model: string }, Candidate[][] | string]>([
    [
      'pins a provider with provider/model',
      { model: 'groq/llama-3.1-8b-instant' },
      [[{ provider: 'groq', model: 'llama-3.1-8b-instant' }]],
    ],
    [
      'resolves an alias behind a pin',
      { model: 'openai/mini' },
      [[{ provider: 'openai', model: 'gpt-4o-mini' }]],
    ],
    [
      'keeps slashes of the model part when pinning (OpenRouter ids)',
      { model: 'openrouter/meta-llama/llama-3.3-70b-instruct:free' },
      [[{ provider: 'openrouter', model: 'meta-llama/llama-3.3-70b-instruct:free' }]],
    ],
    [
      'treats a slash name whose prefix is no provider as a bare name',
      { model: 'meta-llama/llama-3.3-70b-instruct:free' },
      [[{ provider: 'openrouter', model: 'meta-llama/llama-3.3-70b-instruct:free' }]],
    ],
    [
      'puts every remote provider serving a bare name in one tier, local ones in a last tier (auto)',
      { model: 'gpt-4o-mini' },
      [[{ provider: 'openai', model: 'gpt-4o-mini' }], [{ provider: 'ollama', model: 'gpt-4o-mini' }]],
    ],
    [
      'resolves a bare alias to its model',
      { model: 'mini' },
      [[{ provider: 'openai', model: 'gpt-4o-mini' }]],
    ],
    [
      'makes one tier per group entry, in order, local entries last',
      { model: 'fast' },
      [
        [{ provider: 'groq', model: 'llama-3.3-70b-versatile' }],
        [{ provider: 'openai', model: 'gpt-4o-mini' }],
        [{ provider: 'ollama', model: 'llama3.2' }],
      ],
    ],
    [
      'restricts to the X-LLM-Provider provider',
      { model: 'gpt-4o-mini', onlyProvider: 'ollama' },
      [[{ provider: 'ollama', model: 'gpt-4o-mini' }]],
    ],
    [
      'restricts a group to the X-LLM-Provider provider',
      { model: 'fast', onlyProvider: 'groq' },
      [[{ provider: 'groq', model: 'llama-3.3-70b-versatile' }]],
    ],
    [
      'refuses a pin the X-LLM-Provider header contradicts',
      { model: 'openai/gpt-4o', onlyProvider: 'groq' },
      '404 model_not_found',
    ],
    [
      'refuses an X-LLM-Provider that is not enabled',
      { model: 'gpt-4o', onlyProvider: 'mistral' },
      '400 unknown_provider',
    ],
    ['refuses a model nobody serves', { model: 'gpt-17' }, '404 model_not_found'],
    ['refuses a pinned model the provider does not serve', { model: 'groq/gpt-4o' }, '404 model_not_found'],
    ['refuses a disabled provider', { model: 'mistral/mistral-small-latest' }, '404 model_not_found'],
    [
      'never finds Object.prototype members as models or groups',
      { model: 'constructor' },
      '404 model_not_found',
    ],
    [
      'passes any name through to a pinned provider that lists its own models',
      { model: 'ollama/qwen2.5:7b' },
      [[{ provider: 'ollama', model: 'qwen2.5:7b' }]],
    ],
    [
      'finds a bare name the pool discovered',
      { model: 'qwen2.5:7b', discovered: [{ provider: 'ollama', model: 'qwen2.5:7b' }] },
      [[{ provider: 'ollama', model: 'qwen2.5:7b' }]],
    ],
    [
      'uses embedding_models for embeddings',
      { model: 'text-embedding-3-small', operation: 'embeddings' },
      [[{ provider: 'openai', model: 'text-embedding-3-small' }]],
    ],
    [
      'does not offer chat models for embeddings',
      { model: 'gpt-4o', operation: 'embeddings' },
      '404 model_not_found',
    ],
  ])('%s', (_name, input, expected) => {
    expect(tiers(input)).toEqual(expected);
  });

  it('drops local providers in online mode', () => {
    const result = resolveTiers({ config: online, operation: 'chat', model: 'fast' });
    expect(result.ok && result.tiers.flat().map((c) => c.provider)).toEqual(['groq', 'openai']);
  });

  it('keeps only local providers in offline mode', () => {
    const result = resolveTiers({ config: offline, operation: 'chat', model: 'gpt-4o-mini' });
    expect(result.ok && result.tiers).toEqual([[{ provider: 'ollama', model: 'gpt-4o-mini' }]]);
  });

  it('explains a model the mode rules out', () => {
    const result = resolveTiers({ config: offline, operation: 'chat', model: 'gpt-4o' });
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error).toMatchObject({ status: 404, code: 'model_not_found' });
      expect(result.error.message).toContain('offline mode');
    }
  });

  it('tells how to list the available models', () => {
    const result = resolveTiers({ config: auto, operation: 'chat', model: 'gpt-17' });
    expect(!result.ok && result.error.message).toContain('GET /v1/models');
  });
});

describe('resolveConfigured', () => {
  it('answers a repeated model from memory, frozen, and equal to resolveTiers', () => {
    const input = { config: auto, operation: 'chat', model: 'gpt-4o-mini' } as const;
    const first = resolveConfigured(input);
    const again = resolveConfigured({ ...input });
    expect(again).toBe(first);
    expect(first).toEqual(resolveTiers(input));
    expect(first.ok && Object.isFrozen(first.tiers) && Object.isFrozen(first.tiers[0]?.[0])).toBe(true);
  });

  it('keys on the provider header and the operation, and does not keep refusals', () => {
    const chat = resolveConfigured({ config: auto, operation: 'chat', model: 'gpt-4o-mini' });
    const pinned = resolveConfigured({
      config: auto,
      operation: 'chat',
      model: 'gpt-4o-mini',
      onlyProvider: 'openai',
    });
    expect(pinned).not.toBe(chat);
    expect(pinned.ok && pinned.tiers).toEqual([[{ provider: 'openai', model: 'gpt-4o-mini' }]]);
    const unknown = resolveConfigured({ config: auto, operation: 'chat', model: 'no-such-model' });
    expect(unknown.ok).toBe(false);
    expect(resolveConfigured({ config: auto, operation: 'chat', model: 'no-such-model' })).not.toBe(unknown);
  });
});
