import type { ProviderPatch } from './schema.js';

/*
 * Built-in provider templates: what differs per provider from the schema defaults.
 * base_url always includes the API version path; adapters append endpoint paths to it
 * (`/chat/completions`, `/models/{m}:generateContent`, `/messages`).
 * Limits are the free tier (or lowest tier) as published by the provider at the time of writing,
 * per key-model; null where the provider publishes none or it depends on the account. Operators on
 * a higher tier override `limits` in config/providers.yaml; the conductor also learns the real
 * remaining budget from the upstream's `x-ratelimit-*` headers.
 */

export const TEMPLATE_NAMES = [
  'openai',
  'deepseek',
  'qwen',
  'kimi',
  'groq',
  'openrouter',
  'mistral',
  'together',
  'ollama',
  'gemini',
  'gigachat',
  'anthropic',
] as const;

export type TemplateName = (typeof TEMPLATE_NAMES)[number];

export interface ProviderTemplate {
  readonly name: TemplateName;
  /** One line for `config create --help` and the comment above a created provider. */
  readonly description: string;
  readonly settings: ProviderPatch & { type: NonNullable<ProviderPatch['type']>; base_url: string };
}

const TEMPLATES: { readonly [K in TemplateName]: Omit<ProviderTemplate, 'name'> } = {
  openai: {
    description: 'OpenAI (paid tiers; limits come from response headers)',
    settings: {
      type: 'openai_like',
      base_url: 'https://api.openai.com/v1',
      auth: 'bearer',
      models: ['gpt-4o-mini', 'gpt-4.1-mini', 'gpt-4.1-nano', 'gpt-4o'],
      embedding_models: ['text-embedding-3-small'],
      responses_api: true,
      health: { probe_method: 'chat' },
    },
  },
  deepseek: {
    description: 'DeepSeek (no published rate limit; 402 when the balance is empty)',
    settings: {
      type: 'openai_like',
      base_url: 'https://api.deepseek.com/v1',
      auth: 'bearer',
      models: ['deepseek-chat', 'deepseek-reasoner'],
      health: { probe_method: 'chat' },
    },
  },
  qwen: {
    description:
      'Qwen via Alibaba DashScope compatible mode (China region; international keys: dashscope-intl)',
    settings: {
      type: 'openai_like',
      base_url: 'https://dashscope.aliyuncs.com/compatible-mode/v1',
      auth: 'bearer',
      models: ['qwen-turbo', 'qwen-plus', 'qwen-max'],
      embedding_models: ['text-embedding-v3'],
      health: { probe_method: 'chat' },
    },
  },
  kimi: {
    description: 'Moonshot Kimi (global platform; tier-0 limits)',
    settings: {
      type: 'openai_like',
      base_url: 'https://api.moonshot.ai/v1',
      auth: 'bearer',
      models: ['moonshot-v1-8k', 'moonshot-v1-32k', 'moonshot-v1-128k', 'kimi-latest'],
      limits: { rpm: 3, tpm: 32000, concurrency: 1 },
      health: { probe_method: 'chat' },
    },
  },
  groq: {
    description: 'Groq (free tier limits)',
    settings: {
      type: 'openai_like',
      base_url: 'https://api.groq.com/openai/v1',
      auth: 'bearer',
      models: {
        'llama-3.1-8b-instant': { limits: { rpd: 14400, tpm: 6000 } },
        'llama-3.3-70b-versatile': { limits: { rpd: 1000, tpm: 12000 } },
      },
      limits: { rpm: 30, rpd: 1000, tpm: 6000 },
      health: { probe_method: 'chat' },
    },
  },
  openrouter: {
    description: 'OpenRouter (":free" models: 20 rpm, 50 rpd without credits)',
    settings: {
      type: 'openai_like',
      base_url: 'https://openrouter.ai/api/v1',
      auth: 'bearer',
      models: {
        'meta-llama/llama-3.3-70b-instruct:free': { limits: { rpm: 20, rpd: 50 } },
        'deepseek/deepseek-chat-v3-0324:free': { limits: { rpm: 20, rpd: 50 } },
        'openai/gpt-4o-mini': {},
      },
      health: { probe_method: 'chat' },
    },
  },
  mistral: {
    description: 'Mistral La Plateforme (free "Experiment" tier: 1 request/s, 500k tokens/min)',
    settings: {
      type: 'openai_like',
      base_url: 'https://api.mistral.ai/v1',
      auth: 'bearer',
      models: ['mistral-small-latest', 'open-mistral-nemo', 'mistral-large-latest'],
      embedding_models: ['mistral-embed'],
      limits: { rpm: 60, tpm: 500000 },
      // Mistral answers unknown request fields with 422, so dropping them is the useful default.
      drop_unsupported: true,
      health: { probe_method: 'chat' },
    },
  },
  together: {
    description: 'Together AI',
    settings: {
      type: 'openai_like',
      base_url: 'https://api.together.xyz/v1',
      auth: 'bearer',
      models: ['meta-llama/Llama-3.3-70B-Instruct-Turbo-Free', 'meta-llama/Llama-3.3-70B-Instruct-Turbo'],
      limits: { rpm: 60 },
      health: { probe_method: 'chat' },
    },
  },
  ollama: {
    description: 'Ollama on this machine (keyless, local: used offline and as last resort)',
    settings: {
      type: 'openai_like',
      base_url: 'http://localhost:11434/v1',
      auth: 'none',
      local: true,
      models_from_api: true,
      // A local model list proves the server is up without loading a model into memory.
      health: { probe_method: 'models' },
    },
  },
  gemini: {
    description: 'Google Gemini API, native (free tier limits; keys of one project share a quota)',
    settings: {
      type: 'gemini',
      base_url: 'https://generativelanguage.googleapis.com/v1beta',
      auth: 'x-goog-api-key',
      models: {
        'gemini-2.5-flash': { limits: { rpm: 10, rpd: 250, tpm: 250000 } },
        'gemini-2.5-flash-lite': { limits: { rpm: 15, rpd: 1000, tpm: 250000 } },
        'gemini-2.0-flash': { limits: { rpm: 15, rpd: 200, tpm: 1000000 } },
        'gemini-2.5-pro': { limits: { rpm: 5, rpd: 100, tpm: 250000 } },
      },
      embedding_models: ['gemini-embedding-001'],
      limits: { rpm: 10, rpd: 250, tpm: 250000 },
      quota_buckets: 'per_file',
      health: { probe_method: 'chat' },
    },
  },
  gigachat: {
    description: 'Sber GigaChat (key = authorization key; personal free tier: 1 request at a time)',
    settings: {
      type: 'gigachat',
      base_url: 'https://gigachat.devices.sberbank.ru/api/v1',
      auth: 'oauth',
      models: ['GigaChat', 'GigaChat-Pro', 'GigaChat-Max'],
      embedding_models: ['Embeddings'],
      limits: { concurrency: 1 },
      oauth: { url: 'https://ngw.devices.sberbank.ru:9443/api/v2/oauth', scope: 'GIGACHAT_API_PERS' },
      ca_file: null,
      health: { probe_method: 'chat' },
    },
  },
  anthropic: {
    description: 'Anthropic Messages API',
    settings: {
      type: 'anthropic',
      base_url: 'https://api.anthropic.com/v1',
      auth: 'x-api-key',
      models: ['claude-3-5-haiku-latest', 'claude-sonnet-4-0', 'claude-opus-4-0'],
      api_version: '2023-06-01',
      max_tokens_default: 4096,
      health: { probe_method: 'chat' },
    },
  },
};

export function isTemplateName(name: string): name is TemplateName {
  return (TEMPLATE_NAMES as readonly string[]).includes(name);
}

export function templateFor(name: string): ProviderTemplate | undefined {
  if (!isTemplateName(name)) return undefined;
  return { name, ...TEMPLATES[name] };
}
