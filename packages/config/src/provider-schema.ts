import { BREAKER_STRATEGIES, PROVIDER_TYPES } from '@llmgw/core';
import { z } from 'zod';
import {
  cronExpression,
  duration,
  httpUrl,
  isHttpUrl,
  limitValue,
  nonEmptyString,
  positiveInt,
} from './schema-primitives.js';
import { TEMPLATE_NAMES } from './templates.js';

/*
 * Every provider setting, its type, default and the sentence `config create --full` writes above it.
 * Defaults that depend on the provider (base URL, models, limits) come from templates.ts.
 */

export const AUTH_STYLES = ['bearer', 'x-api-key', 'x-goog-api-key', 'oauth', 'none'] as const;
export const PROBE_METHODS = ['chat', 'models'] as const;
export const QUOTA_BUCKET_MODES = ['per_file', 'per_key'] as const;

const list = (values: readonly string[]) => values.join(', ');

export const limitsSchema = z
  .strictObject({
    rpm: limitValue.default(null).describe('requests per minute per key-model; null = unlimited'),
    rpd: limitValue.default(null).describe('requests per day per key-model; null = unlimited'),
    tpm: limitValue.default(null).describe('tokens per minute per key-model; null = unlimited'),
    concurrency: limitValue.default(null).describe('requests in flight per key-model; null = unlimited'),
  })
  .prefault({});

/** A per-model override: only the limits it names replace the provider's. */
export const limitsOverrideSchema = z
  .strictObject({
    rpm: limitValue.optional(),
    rpd: limitValue.optional(),
    tpm: limitValue.optional(),
    concurrency: limitValue.optional(),
  })
  .prefault({});

export const modelSettingsSchema = z
  .strictObject({
    limits: limitsOverrideSchema.describe('overrides of the provider limits for this model'),
    aliases: z
      .array(nonEmptyString('an alias name'))
      .default([])
      .describe('other names clients may use for this model'),
  })
  .prefault({});

const breakerSchema = z
  .strictObject({
    strategy: z
      .enum(BREAKER_STRATEGIES, { error: `expected one of: ${list(BREAKER_STRATEGIES)}` })
      .default('auto_recovery')
      .describe(
        'auto_recovery: reopen for a half-open trial after a backoff; manual_reset: stay open until `llmgw keys reset`',
      ),
    failure_threshold: positiveInt()
      .default(3)
      .describe('consecutive failures that open the breaker of a triple'),
    open_base: duration().prefault('30s').describe('first open period; doubles on every reopening'),
    open_max: duration().prefault('30m').describe('longest open period'),
  })
  .prefault({});

const cooldownSchema = z
  .strictObject({
    rate_limited_min: duration()
      .prefault('30s')
      .describe('cooldown after a 429 with no reset hint; escalates on repeated hits'),
    rate_limited_max: duration().prefault('1h').describe('ceiling of the escalating rate-limit cooldown'),
    no_quota: duration()
      .prefault('6h')
      .describe('cooldown when the quota is exhausted and no reset time is stated'),
    max_stated_reset: duration()
      .prefault('8d')
      .describe('longest reset time believed from a provider hint; longer hints are capped to this'),
    amnesty_schedule: cronExpression()
      .default('0 4 * * *')
      .describe('cron: when dead and unsupported triples get another probe'),
  })
  .prefault({});

const correlationSchema = z
  .strictObject({
    window: duration().prefault('60s').describe('failures closer together than this count as one event'),
    min_keys: positiveInt()
      .default(3)
      .describe('at least this many keys must fail together to blame the provider or proxy'),
    fraction: z
      .number({ error: 'expected a fraction between 0 and 1' })
      .gt(0, { error: 'expected a fraction above 0 and at most 1' })
      .lte(1, { error: 'expected a fraction above 0 and at most 1' })
      .default(0.5)
      .describe('share of recently used keys failing together that means an outage, not bad keys'),
  })
  .prefault({});

export const healthSchema = z
  .strictObject({
    interval_active: duration()
      .prefault('15m')
      .describe('how often a healthy triple is probed (real traffic counts too)'),
    probe_method: z
      .enum(PROBE_METHODS, { error: `expected one of: ${list(PROBE_METHODS)}` })
      .default('chat')
      .describe('chat: a 1-token completion (proves quota); models: list models (free, proves only the key)'),
    probe_model: nonEmptyString('a model name')
      .nullable()
      .default(null)
      .describe(
        'null = probe each triple with its own model; a name = probe every key with that one cheap model',
      ),
    breaker: breakerSchema.describe('circuit breaker per provider-key-model triple'),
    cooldown: cooldownSchema.describe('how long a triple rests after rate-limit and quota failures'),
    correlation: correlationSchema.describe(
      'when many keys fail at once, cool down the provider or proxy instead',
    ),
  })
  .prefault({});

const affinitySchema = z
  .strictObject({
    enabled: z.boolean().default(true).describe('prefer the key that served a conversation last'),
    ttl: duration()
      .prefault('5m')
      .describe('how long that preference lasts (about the provider prompt-cache lifetime)'),
  })
  .prefault({});

const timeoutOverridesSchema = z
  .strictObject({
    connect: duration().nullable().default(null).describe('null = http.connect_timeout'),
    first_byte: duration().nullable().default(null).describe('null = http.first_byte_timeout'),
    idle: duration().nullable().default(null).describe('null = http.idle_timeout'),
  })
  .prefault({});

const oauthSchema = z.strictObject({
  url: httpUrl('OAuth URL')
    .default('https://ngw.devices.sberbank.ru:9443/api/v2/oauth')
    .describe('token endpoint'),
  scope: nonEmptyString('an OAuth scope')
    .default('GIGACHAT_API_PERS')
    .describe('GIGACHAT_API_PERS (personal) | GIGACHAT_API_B2B | GIGACHAT_API_CORP'),
});

export const proxySchema = z.string().refine((value) => isProxySetting(value), {
  error: (issue) =>
    `invalid proxy ${JSON.stringify(issue.input)}: expected "direct", "pool:<name>" or a URL like http://user:pass@host:port`,
});

function isProxySetting(value: string): boolean {
  if (value === 'direct') return true;
  if (value.startsWith('pool:')) return /^[A-Za-z0-9][\w.-]*$/.test(value.slice('pool:'.length));
  return isHttpUrl(value);
}

/** Model list as written: a list of names, or a map name → settings; downstream sees only the map. */
export const modelsSchema = z
  .union(
    [z.array(nonEmptyString('a model name')), z.record(nonEmptyString('a model name'), modelSettingsSchema)],
    { error: 'expected a list of model names or a map of model name → {limits, aliases}' },
  )
  .transform((models) =>
    Array.isArray(models)
      ? Object.fromEntries(models.map((name) => [name, modelSettingsSchema.parse({})]))
      : models,
  );

export const providerSchema = z.strictObject({
  type: z
    .enum(PROVIDER_TYPES, {
      error: (issue) =>
        issue.input === undefined
          ? `no type: set type (${list(PROVIDER_TYPES)}) or template (${list(TEMPLATE_NAMES)})`
          : `unknown provider type ${JSON.stringify(issue.input)}; known: ${list(PROVIDER_TYPES)}`,
    })
    .describe('adapter: openai_like | gemini | gigachat | anthropic'),
  template: z.string().optional().describe('built-in template this provider starts from (default: its name)'),
  enabled: z
    .boolean()
    .default(true)
    .describe('false keeps the provider out of every pool without deleting it'),
  base_url: httpUrl('base_url').describe('API root the endpoint paths are appended to'),
  auth: z
    .enum(AUTH_STYLES, { error: `expected one of: ${list(AUTH_STYLES)}` })
    .default('bearer')
    .describe('how a key is sent: bearer | x-api-key | x-goog-api-key | oauth | none'),
  headers: z
    .record(z.string(), z.string())
    .default({})
    .describe('extra HTTP headers sent with every request'),
  models: modelsSchema
    .prefault({})
    .describe('models served: a list of names, or a map name → {limits, aliases}'),
  models_from_api: z
    .boolean()
    .default(false)
    .describe('also serve whatever the provider lists at GET /models'),
  embedding_models: z
    .array(nonEmptyString('a model name'))
    .default([])
    .describe('models used for /v1/embeddings'),
  proxy: proxySchema
    .default('direct')
    .describe('direct | http://user:pass@host:port | pool:<name> (proxies/<name>.txt)'),
  local: z.boolean().default(false).describe('a local provider (Ollama): used offline and as last resort'),
  limits: limitsSchema.describe('free-tier or plan limits per key-model, enforced across all replicas'),
  health: healthSchema.describe('probing, breaker and cooldown policy'),
  quota_buckets: z
    .enum(QUOTA_BUCKET_MODES, { error: `expected one of: ${list(QUOTA_BUCKET_MODES)}` })
    .default('per_file')
    .describe('per_file: keys of one key file share a quota (one project/org); per_key: each key alone'),
  shared_quota: z
    .boolean()
    .default(false)
    .describe(
      "every 429/quota verdict cools the key's whole bucket, even when the provider's message does not say the quota is shared",
    ),
  affinity: affinitySchema.describe('conversation affinity to a key'),
  coalescing: z
    .boolean()
    .default(false)
    .describe('share one upstream call among identical deterministic requests'),
  drop_unsupported: z
    .boolean()
    .default(false)
    .describe('drop request parameters this provider does not support instead of refusing with 400'),
  responses_api: z
    .boolean()
    .default(false)
    .describe(
      'openai_like only: the provider serves POST /responses, so /v1/responses reaches it unchanged instead of translated to chat',
    ),
  timeouts: timeoutOverridesSchema.describe('per-provider overrides of the http timeouts'),
  oauth: oauthSchema.optional().describe('GigaChat OAuth token endpoint and scope'),
  ca_file: nonEmptyString('a file path')
    .nullable()
    .optional()
    .describe(
      'extra CA certificate (PEM) for this provider, e.g. the Russian Trusted Root CA; null = system store',
    ),
  api_version: nonEmptyString('an API version').optional().describe('anthropic-version header'),
  max_tokens_default: positiveInt()
    .optional()
    .describe('max_tokens sent when the client gives none (the Anthropic API requires it)'),
});

/** Settings that only one provider type understands; the validator rejects them elsewhere. */
export const TYPE_SPECIFIC_SETTINGS = {
  oauth: 'gigachat',
  api_version: 'anthropic',
  max_tokens_default: 'anthropic',
} as const;
