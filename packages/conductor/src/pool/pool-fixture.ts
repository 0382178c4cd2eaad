// Test-only helper (imported by *.test.ts): a migrated database (real Postgres or PGlite in a temp
// dir), seeding of pool rows by plain inserts, pools that are closed (or dropped) at the end.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildConfig, type LlmgwConfig } from '@llmgw/config';
import type { TripleOutcome, TripleState } from '@llmgw/core';
import { createDatabase, type Database, migrateDatabase } from '@llmgw/db';
import { keys, providers, quotaBuckets, triples } from '@llmgw/db/schema';
import { createTestDatabase } from '@llmgw/db/testing';
import { eq } from 'drizzle-orm';
import pino from 'pino';
import type { Lease, LeaseRefusal, LeaseRequest, Pool } from '../contracts.js';
import { createPool } from './create-pool.js';

export type DatabaseKind = 'postgres' | 'pglite';
export const PROVIDER = 'openai';
export const MODEL = 'm1';

export interface SeedOptions {
  model?: string;
  state?: TripleState;
  cooldownUntil?: Date | null;
  ewmaSuccess?: number;
  ewmaLatencyMs?: number | null;
  lastUsedAt?: Date | null;
  disabled?: boolean;
  removed?: boolean;
  bucketId?: number | null;
}

export interface PoolFixture {
  database: Database;
  logs: string[];
  config(patch?: { limits?: Record<string, number | null>; gateway?: Record<string, unknown> }): LlmgwConfig;
  seedKey(options?: SeedOptions): Promise<{ keyId: number; tripleId: number }>;
  seedBucket(cooldownUntil: Date | null): Promise<number>;
  triple(id: number): Promise<typeof triples.$inferSelect>;
  pool(config: LlmgwConfig, holder?: string, refreshMs?: number): Pool;
  reset(): Promise<void>;
  dispose(): Promise<void>;
}

export async function createPoolFixture(kind: DatabaseKind): Promise<PoolFixture> {
  let cleanup: () => Promise<void>;
  let database: Database;
  if (kind === 'postgres') {
    const testDatabase = await createTestDatabase();
    database = await createDatabase({ url: testDatabase.url });
    cleanup = async () => {
      await database.close();
      await testDatabase.drop();
    };
  } else {
    const dir = await mkdtemp(join(tmpdir(), 'llmgw-pool-'));
    database = await createDatabase({ dataDir: dir });
    cleanup = async () => {
      await database.close();
      await rm(dir, { recursive: true, force: true });
    };
  }
  await migrateDatabase(database);
  const logs: string[] = [];
  const log = pino({ level: 'debug' }, { write: (line: string) => void logs.push(line) });
  const pools: Pool[] = [];
  let counter = 0;
  const seedProvider = () =>
    database.db.insert(providers).values({ name: PROVIDER, type: 'openai_like' }).onConflictDoNothing();
  await seedProvider();

  return {
    database,
    logs,
    config(patch = {}) {
      return buildConfig({
        providers: {
          [PROVIDER]: {
            base_url: 'http://127.0.0.1:9/v1',
            models: [MODEL, 'm2'],
            ...(patch.limits ? { limits: patch.limits } : {}),
          },
        },
        gateway: patch.gateway ?? {},
      });
    },
    async seedKey(options = {}) {
      counter += 1;
      const [key] = await database.db
        .insert(keys)
        .values({
          provider: PROVIDER,
          fingerprint: `fp-${counter}`,
          secret: `sk-test-secret-${counter}`,
          mask: `sk-…${counter}`,
          sourceFile: 'keys/openai.txt',
          sourceLine: counter,
          disabled: options.disabled ?? false,
          removedAt: options.removed ? new Date() : null,
          bucketId: options.bucketId ?? null,
        })
        .returning({ id: keys.id });
      if (!key) throw new Error('key insert returned nothing');
      const [triple] = await database.db
        .insert(triples)
        .values({
          keyId: key.id,
          provider: PROVIDER,
          model: options.model ?? MODEL,
          state: options.state ?? 'active',
          cooldownUntil: options.cooldownUntil ?? null,
          ewmaSuccess: options.ewmaSuccess ?? 1,
          ewmaLatencyMs: options.ewmaLatencyMs ?? null,
          lastUsedAt: options.lastUsedAt ?? null,
        })
        .returning({ id: triples.id });
      if (!triple) throw new Error('triple insert returned nothing');
      return { keyId: key.id, tripleId: triple.id };
    },
    async seedBucket(cooldownUntil) {
      counter += 1;
      const [bucket] = await database.db
        .insert(quotaBuckets)
        .values({ provider: PROVIDER, name: `bucket-${counter}`, cooldownUntil })
        .returning({ id: quotaBuckets.id });
      if (!bucket) throw new Error('bucket insert returned nothing');
      return bucket.id;
    },
    async triple(id) {
      const [row] = await database.db.select().from(triples).where(eq(triples.id, id));
      if (!row) throw new Error(`no triple ${id}`);
      return row;
    },
    pool(config, holder = 'replica-a', refreshMs = 100) {
      const pool = createPool({ config, database, holder, log, now: Date.now, refreshMs });
      pools.push(pool);
      return pool;
    },
    async reset() {
      await Promise.all(pools.splice(0).map((pool) => pool.close()));
      await database.query(
        'truncate state_changes, rate_windows, leases, triples, keys, proxies, quota_buckets, providers restart identity cascade',
      );
      await seedProvider();
      logs.length = 0;
    },
    async dispose() {
      await Promise.all(pools.splice(0).map((pool) => pool.close()));
      await cleanup();
    },
  };
}

export function leaseRequest(overrides: Partial<LeaseRequest> = {}): LeaseRequest {
  return {
    candidates: [{ provider: PROVIDER, model: MODEL }],
    excludeTriples: new Set(),
    excludeKeys: new Set(),
    estimatedTokens: 10,
    maxWaitMs: 0,
    requestId: 'req-test',
    signal: new AbortController().signal,
    ...overrides,
  };
}

export function expectLease(result: Lease | LeaseRefusal): Lease {
  if ('tripleId' in result) return result;
  throw new Error(`expected a lease, got ${JSON.stringify(result)}`);
}

export function expectRefusal(result: Lease | LeaseRefusal): LeaseRefusal {
  if ('tripleId' in result) throw new Error(`expected a refusal, got a lease of triple ${result.tripleId}`);
  return result;
}

export const OK: TripleOutcome = { kind: 'ok', latencyMs: 100 };

export function rateLimited(retryAfterMs = 30_000): TripleOutcome {
  return {
    kind: 'failure',
    status: 429,
    classification: { reason: 'rate_limited', scope: 'triple', retryAfterMs, message: 'rate limited' },
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export async function waitFor(check: () => Promise<boolean> | boolean, timeoutMs = 5_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check()) return;
    await sleep(20);
  }
  throw new Error(`condition not met within ${timeoutMs} ms`);
}
