import { FAILURE_REASONS, type FailureReason, PROVIDER_TYPES, type ProviderType } from '@llmgw/core';
import { boolean, check, index, integer, pgTable, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { at, bigintId, bigintRef, createdAt, oneOf, updatedAt } from './columns.js';

/** One row per configured provider; the cooldown is the correlation rule's "the provider is down". */
export const providers = pgTable(
  'providers',
  {
    name: text('name').primaryKey(),
    type: text('type').$type<ProviderType>().notNull(),
    enabled: boolean('enabled').notNull().default(true),
    cooldownUntil: at('cooldown_until'),
    cooldownReason: text('cooldown_reason').$type<FailureReason>(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (table) => [
    check('providers_type_check', oneOf(table.type, PROVIDER_TYPES)),
    check('providers_cooldown_reason_check', oneOf(table.cooldownReason, FAILURE_REASONS)),
  ],
);

/**
 * Proxies from `proxies/<pool>.txt`. The url carries the proxy's credentials, so like a key secret it is
 * stored for the HTTP client and shown to operators only as `mask`.
 */
export const proxies = pgTable(
  'proxies',
  {
    id: bigintId(),
    pool: text('pool').notNull(),
    url: text('url').notNull(),
    mask: text('mask').notNull(),
    sourceFile: text('source_file'),
    sourceLine: integer('source_line'),
    healthy: boolean('healthy').notNull().default(true),
    consecutiveFailures: integer('consecutive_failures').notNull().default(0),
    lastCheckedAt: at('last_checked_at'),
    lastOkAt: at('last_ok_at'),
    cooldownUntil: at('cooldown_until'),
    cooldownReason: text('cooldown_reason').$type<FailureReason>(),
    removedAt: at('removed_at'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (table) => [
    uniqueIndex('proxies_pool_url_unique').on(table.pool, table.url),
    check('proxies_cooldown_reason_check', oneOf(table.cooldownReason, FAILURE_REASONS)),
  ],
);

/**
 * Keys sharing one upstream quota (a Gemini project, an OpenAI organisation; by default one key file):
 * a shared-quota verdict cools the bucket, not each key in turn.
 */
export const quotaBuckets = pgTable(
  'quota_buckets',
  {
    id: bigintId(),
    provider: text('provider')
      .notNull()
      .references(() => providers.name, { onUpdate: 'cascade' }),
    name: text('name').notNull(),
    cooldownUntil: at('cooldown_until'),
    cooldownReason: text('cooldown_reason').$type<FailureReason>(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (table) => [
    uniqueIndex('quota_buckets_provider_name_unique').on(table.provider, table.name),
    check('quota_buckets_cooldown_reason_check', oneOf(table.cooldownReason, FAILURE_REASONS)),
  ],
);

/**
 * API keys. `secret` is stored because the conductor must send it upstream; admin code selects
 * `mask` and `id`, never `secret`. Rows are soft-deleted (`removed_at`) so their history stays.
 */
export const keys = pgTable(
  'keys',
  {
    id: bigintId(),
    provider: text('provider')
      .notNull()
      .references(() => providers.name, { onUpdate: 'cascade' }),
    fingerprint: text('fingerprint').notNull(),
    secret: text('secret').notNull(),
    mask: text('mask').notNull(),
    sourceFile: text('source_file').notNull(),
    sourceLine: integer('source_line').notNull(),
    bucketId: bigintRef('bucket_id').references(() => quotaBuckets.id, { onDelete: 'set null' }),
    /** The proxy this key is pinned to (stable hash); null means direct or the provider's fixed proxy. */
    proxyId: bigintRef('proxy_id').references(() => proxies.id, { onDelete: 'set null' }),
    disabled: boolean('disabled').notNull().default(false),
    removedAt: at('removed_at'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (table) => [
    uniqueIndex('keys_provider_fingerprint_unique').on(table.provider, table.fingerprint),
    index('keys_bucket_idx').on(table.bucketId),
    index('keys_proxy_idx').on(table.proxyId),
  ],
);

/**
 * Short-lived upstream credentials derived from a key (GigaChat OAuth access tokens), shared by every
 * replica so one refresh serves all; refreshed single-flight under an advisory lock on the key id.
 */
export const accessTokens = pgTable('access_tokens', {
  keyId: bigintRef('key_id')
    .primaryKey()
    .references(() => keys.id, { onDelete: 'cascade' }),
  token: text('token').notNull(),
  expiresAt: at('expires_at').notNull(),
  refreshedAt: at('refreshed_at').notNull().defaultNow(),
});
