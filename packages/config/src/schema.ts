import { z } from 'zod';
import { providerSchema } from './provider-schema.js';
import {
  byteSize,
  cronExpression,
  duration,
  GATEWAY_MODES,
  LOG_LEVELS,
  nonEmptyString,
  positiveInt,
} from './schema-primitives.js';

/*
 * The single source of truth for every llmgw setting: its YAML key, type, default and meaning.
 * Durations leave this schema as milliseconds and sizes as bytes.
 */

const list = (values: readonly string[]) => values.join(', ');

/** Routes the response cache can serve, by the operation they carry. */
export const CACHE_ROUTES = ['chat', 'embeddings'] as const;

const portSchema = z
  .number({ error: 'expected a port number 0-65535' })
  .int({ error: 'expected a port number 0-65535' })
  .min(0, { error: 'expected a port number 0-65535' })
  .max(65535, { error: 'expected a port number 0-65535' });

export const gatewaySchema = z
  .strictObject({
    host: nonEmptyString('a host')
      .default('127.0.0.1')
      .describe('address to bind; beyond loopback needs auth_tokens'),
    port: portSchema.default(8080).describe('port to listen on (0 = any free port)'),
    auth_tokens: z
      .array(nonEmptyString('a token'))
      .default([])
      .describe('client bearer tokens (env LLMGW_AUTH_TOKENS)'),
    admin_tokens: z
      .array(nonEmptyString('a token'))
      .default([])
      .describe('admin bearer tokens (env LLMGW_ADMIN_TOKENS)'),
    body_limit: byteSize().prefault('10mb').describe('largest accepted request body'),
    max_attempts: positiveInt()
      .default(3)
      .describe('upstream attempts per model before the next group entry'),
    first_byte_timeout: duration()
      .prefault('30s')
      .describe('no first byte within this → fail over to another triple'),
    request_timeout: duration().prefault('10m').describe('longest a whole request may take'),
    drain_timeout: duration().prefault('30s').describe('on SIGTERM, how long in-flight requests may finish'),
    lease_ttl: duration().prefault('2m').describe('a lease whose holder died expires after this'),
    queue: z
      .strictObject({
        max_wait: duration({ allowZero: true })
          .prefault('10s')
          .describe('how long a request waits for a free slot'),
        max_depth: positiveInt().default(1000).describe('requests waiting at most; more get 429 at once'),
      })
      .prefault({})
      .describe('fair queue used when every candidate is at its limits'),
    mode: z
      .enum(GATEWAY_MODES, { error: `expected one of: ${list(GATEWAY_MODES)}` })
      .default('auto')
      .describe('auto: remote, then local, then offline packages; online: never local; offline: local only'),
    cache: z
      .strictObject({
        enabled: z.boolean().default(false).describe('serve repeated deterministic requests from Postgres'),
        ttl: duration().prefault('1h').describe('how long a cached answer is served'),
        routes: z
          .array(z.enum(CACHE_ROUTES, { error: `expected one of: ${list(CACHE_ROUTES)}` }))
          .default([...CACHE_ROUTES])
          .describe('routes that use the cache: chat (/v1/chat/completions), embeddings (/v1/embeddings)'),
      })
      .prefault({})
      .describe('exact-match response cache'),
    coalescing: z
      .strictObject({
        enabled: z.boolean().default(false).describe('share one upstream call among identical requests'),
      })
      .prefault({})
      .describe('request coalescing (per provider: providers.<name>.coalescing)'),
    affinity_lookup_timeout: duration()
      .prefault('200ms')
      .describe(
        "longest a request waits to read another replica's conversation pin; then it goes on without",
      ),
  })
  .prefault({});

export const databaseSchema = z
  .strictObject({
    url: nonEmptyString('a postgres:// URL')
      .optional()
      .describe('PostgreSQL server (env DATABASE_URL); unset = embedded PGlite'),
    data_dir: nonEmptyString('a directory').default('data').describe('where embedded PGlite keeps its files'),
  })
  .prefault({});

export const httpSchema = z
  .strictObject({
    connect_timeout: duration().prefault('10s').describe('TCP + TLS (+ proxy CONNECT) setup'),
    first_byte_timeout: duration()
      .prefault('30s')
      .describe('upstream response headers must arrive within this'),
    idle_timeout: duration().prefault('60s').describe('longest silence inside a response body or stream'),
    connections_per_origin: positiveInt()
      .default(128)
      .describe('connection pool size per upstream origin and proxy'),
    keepalive_timeout: duration().prefault('30s').describe('idle keep-alive connections close after this'),
  })
  .prefault({});

export const keeperSchema = z
  .strictObject({
    sync_schedule: cronExpression().default('*/5 * * * *').describe('cron: full sync of keys/ and proxies/'),
    watch: z.boolean().default(true).describe('also pick up key and proxy file changes within seconds'),
    probe: z
      .strictObject({
        schedule: cronExpression()
          .default('*/10 * * * * *')
          .describe('cron with seconds: look for due probes'),
        concurrency: positiveInt().default(16).describe('probes in flight overall'),
        per_provider_concurrency: positiveInt().default(4).describe('probes in flight per provider'),
        jitter: duration({ allowZero: true }).prefault('2s').describe('random delay spreading probes'),
        timeout: duration().prefault('20s').describe('a probe taking longer counts as a timeout'),
      })
      .prefault({}),
    maintenance: z
      .strictObject({
        schedule: cronExpression().default('0 * * * *').describe('cron: prune, expire leases, vacuum'),
        attempts_retention: duration().prefault('7d').describe('request records older than this are deleted'),
        vacuum: z.boolean().default(true).describe('VACUUM ANALYZE hot tables'),
      })
      .prefault({}),
    leader_lock_id: z
      .number({ error: 'expected an integer' })
      .int({ error: 'expected an integer' })
      .default(1819045223)
      .describe('Postgres advisory lock id that elects the one active keeper'),
    metrics_host: nonEmptyString('a host')
      .default('127.0.0.1')
      .describe('address `llmgw worker` serves /metrics on (`llmgw start` serves them with the gateway)'),
    metrics_port: portSchema.default(9464).describe("port of the worker's /metrics (0 = off)"),
  })
  .prefault({});

export const loggingSchema = z
  .strictObject({
    level: z
      .enum(LOG_LEVELS, { error: `expected one of: ${list(LOG_LEVELS)}` })
      .default('info')
      .describe('env LOG_LEVEL overrides'),
  })
  .prefault({});

/** A model group entry: "<provider>/<model>"; the model part may itself contain slashes (OpenRouter). */
const groupEntrySchema = z.string().regex(/^[^/\s]+\/\S+$/, { error: 'expected "<provider>/<model>"' });

export const configSchema = z.strictObject({
  gateway: gatewaySchema,
  database: databaseSchema,
  http: httpSchema,
  keeper: keeperSchema,
  logging: loggingSchema,
  providers: z
    .record(z.string(), providerSchema, { error: 'expected a map of provider name → settings' })
    .default({}),
  models: z
    .record(
      z.string(),
      z.array(groupEntrySchema).min(1, { error: 'a model group needs at least one entry' }),
      {
        error: 'expected a map of group name → ["provider/model", …]',
      },
    )
    .default({}),
});

/** Everything an operator can write: the schema's input side (durations still as strings). */
export type ConfigPatch = z.input<typeof configSchema>;
export type ProviderPatch = z.input<typeof providerSchema>;
type Parsed = z.output<typeof configSchema>;

/** Deeply read-only, because the loaded config is frozen and shared by the whole process. */
export type DeepReadonly<T> = T extends (infer E)[]
  ? readonly DeepReadonly<E>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

export type LlmgwConfig = DeepReadonly<Parsed>;
export type ProviderConfig = LlmgwConfig['providers'][string];
export type GatewaySettings = LlmgwConfig['gateway'];
export type DatabaseSettings = LlmgwConfig['database'];
export type HttpSettings = LlmgwConfig['http'];
export type KeeperSettings = LlmgwConfig['keeper'];
export type LoggingSettings = LlmgwConfig['logging'];
export type HealthPolicy = ProviderConfig['health'];
export type Limits = ProviderConfig['limits'];
export type ModelSettings = ProviderConfig['models'][string];
export type GatewayMode = GatewaySettings['mode'];
export type CacheRoute = (typeof CACHE_ROUTES)[number];
export type LogLevel = LoggingSettings['level'];
export type AuthStyle = ProviderConfig['auth'];
export type ProbeMethod = HealthPolicy['probe_method'];
