// Test-only helper (imported by *.test.ts): a migrated Postgres, real http clients aimed at the fake
// upstream, a captured log, and direct seeding of pool rows (the sync module is not needed). It takes
// the testkit upstream from the test rather than importing testkit: only tests may import it.
import { createServer } from 'node:net';
import { buildConfig } from '@llmgw/config';
import { createDatabase, type Database, migrateDatabase } from '@llmgw/db';
import { keys, providers, proxies, triples } from '@llmgw/db/schema';
import { createTestDatabase } from '@llmgw/db/testing';
import { createHttpClients, type HttpClients } from '@llmgw/http';
import { createCredentialSource, httpClientSettings } from '@llmgw/upstream';
import { eq } from 'drizzle-orm';
import pino from 'pino';
import type { KeeperDeps } from '../deps.js';

export type ConfigInput = Parameters<typeof buildConfig>[0];
export type ProviderPatch = Record<string, unknown>;

/** A cron expression that never fires during a test run: ticks are driven by `tickNow`. */
export const NEVER = '0 0 0 1 1 *';

/** What the fixture needs of testkit's upstream. */
export interface FakeUpstream {
  url: string;
  reset(): void;
  close(): Promise<void>;
}

export interface ProbeFixture<U extends FakeUpstream> {
  deps: KeeperDeps;
  database: Database;
  upstream: U;
  logs: string[];
  /** Rebuilds the config: provider `openai` aimed at the fake upstream, with `provider` on top. */
  configure(provider?: ProviderPatch, keeper?: Record<string, unknown>): void;
  seedKey(
    secret: string,
    options?: { proxyId?: number; model?: string },
  ): Promise<{ keyId: number; tripleId: number }>;
  seedProxy(url: string, pool?: string): Promise<number>;
  triple(id: number): Promise<typeof triples.$inferSelect>;
  query<Row extends Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<Row[]>;
  /** Empties every pool table between tests; the provider row is seeded again. */
  reset(): Promise<void>;
  dispose(): Promise<void>;
}

export const MODEL = 'gpt-4o-mini';

export async function createProbeFixture<U extends FakeUpstream>(upstream: U): Promise<ProbeFixture<U>> {
  const testDatabase = await createTestDatabase();
  const database = await createDatabase({ url: testDatabase.url });
  await migrateDatabase(database);
  const logs: string[] = [];
  const log = pino({ level: 'debug' }, { write: (line: string) => void logs.push(line) });
  let counter = 0;

  const build = (provider: ProviderPatch = {}, keeper: Record<string, unknown> = {}) => {
    const probe = { schedule: NEVER, jitter: '0s', ...((keeper.probe as object | undefined) ?? {}) };
    const maintenance = { schedule: NEVER, ...((keeper.maintenance as object | undefined) ?? {}) };
    const health = { cooldown: { amnesty_schedule: '0 0 1 1 *' }, ...((provider.health as object) ?? {}) };
    return buildConfig({
      providers: { openai: { base_url: `${upstream.url}/v1`, models: [MODEL], ...provider, health } },
      keeper: { ...keeper, probe, maintenance },
    });
  };
  const config = build();
  const http: HttpClients = createHttpClients(httpClientSettings(config));
  const deps: KeeperDeps = {
    config,
    database,
    upstream: { http, credentials: createCredentialSource(http), now: Date.now },
    keysDir: '/nonexistent/keys',
    proxiesDir: '/nonexistent/proxies',
    log,
    now: Date.now,
    actor: 'keeper-test',
  };

  const seedProvider = () =>
    database.db.insert(providers).values({ name: 'openai', type: 'openai_like' }).onConflictDoNothing();
  await seedProvider();

  return {
    deps,
    database,
    upstream,
    logs,
    configure(provider, keeper) {
      deps.config = build(provider, keeper);
    },
    async seedKey(secret, options = {}) {
      counter += 1;
      const [key] = await database.db
        .insert(keys)
        .values({
          provider: 'openai',
          fingerprint: `fp-${counter}-${secret.slice(0, 12)}`,
          secret,
          mask: `…${counter}`,
          sourceFile: 'keys/openai.txt',
          sourceLine: counter,
          proxyId: options.proxyId ?? null,
        })
        .returning({ id: keys.id });
      if (!key) throw new Error('key insert returned nothing');
      const [triple] = await database.db
        .insert(triples)
        .values({ keyId: key.id, provider: 'openai', model: options.model ?? MODEL })
        .returning({ id: triples.id });
      if (!triple) throw new Error('triple insert returned nothing');
      return { keyId: key.id, tripleId: triple.id };
    },
    async seedProxy(url, pool = 'eu') {
      const [proxy] = await database.db
        .insert(proxies)
        .values({ pool, url, mask: url })
        .returning({ id: proxies.id });
      if (!proxy) throw new Error('proxy insert returned nothing');
      return proxy.id;
    },
    async triple(id) {
      const [row] = await database.db.select().from(triples).where(eq(triples.id, id));
      if (!row) throw new Error(`no triple ${id}`);
      return row;
    },
    query: (text, params) => database.query(text, params),
    async reset() {
      await database.query(
        'truncate attempts, state_changes, rate_windows, leases, triples, keys, proxies, quota_buckets, providers restart identity cascade',
      );
      await seedProvider();
      upstream.reset();
      logs.length = 0;
      deps.config = build();
    },
    async dispose() {
      await http.close();
      await upstream.close();
      await database.close();
      await testDatabase.drop();
    },
  };
}

/** A port nothing listens on: a proxy there refuses every connection. */
export async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
