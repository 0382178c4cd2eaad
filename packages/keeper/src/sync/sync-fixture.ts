// Test-only helper (imported by *.test.ts): a migrated database, temp key/proxy folders and a captured log.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { buildConfig } from '@llmgw/config';
import { createDatabase, type Database, migrateDatabase } from '@llmgw/db';
import { createTestDatabase } from '@llmgw/db/testing';
import { createHttpClients } from '@llmgw/http';
import { createCredentialSource, httpClientSettings } from '@llmgw/upstream';
import pino from 'pino';
import type { KeeperDeps } from '../deps.js';

export type SyncDriver = 'postgres' | 'pglite';
export type ConfigInput = Parameters<typeof buildConfig>[0];

export interface SyncFixture {
  deps: KeeperDeps;
  root: string;
  /** Every log line written so far, as raw JSON text (what a secret scan must look at). */
  logs: string[];
  /** Writes a file under the fixture root, e.g. `keys/groq.txt`, creating folders. */
  write(path: string, text: string): Promise<void>;
  remove(path: string): Promise<void>;
  setConfig(patch: ConfigInput): void;
  query<Row extends Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<Row[]>;
  dispose(): Promise<void>;
}

export async function createSyncFixture(driver: SyncDriver, patch: ConfigInput): Promise<SyncFixture> {
  const root = await mkdtemp(join(tmpdir(), 'llmgw-sync-'));
  const { database, drop } = await openDatabase(driver, root);
  await migrateDatabase(database);
  const logs: string[] = [];
  const log = pino({ level: 'debug' }, { write: (line: string) => void logs.push(line) });
  const config = buildConfig(patch);
  const http = createHttpClients(httpClientSettings(config));
  const deps: KeeperDeps = {
    config,
    database,
    upstream: { http, credentials: createCredentialSource(http), now: Date.now },
    keysDir: join(root, 'keys'),
    proxiesDir: join(root, 'proxies'),
    log,
    now: Date.now,
    actor: 'keeper-test',
  };
  return {
    deps,
    root,
    logs,
    async write(path, text) {
      await mkdir(dirname(join(root, path)), { recursive: true });
      await writeFile(join(root, path), text);
    },
    remove: (path) => rm(join(root, path), { recursive: true, force: true }),
    setConfig(next) {
      deps.config = buildConfig(next);
    },
    query: (text, params) => database.query(text, params),
    async dispose() {
      await http.close();
      await database.close();
      await drop();
      await rm(root, { recursive: true, force: true });
    },
  };
}

async function openDatabase(
  driver: SyncDriver,
  root: string,
): Promise<{ database: Database; drop(): Promise<void> }> {
  if (driver === 'pglite') {
    return { database: await createDatabase({ dataDir: join(root, 'data') }), drop: async () => {} };
  }
  const testDatabase = await createTestDatabase();
  return { database: await createDatabase({ url: testDatabase.url }), drop: () => testDatabase.drop() };
}

/** Distinct, realistic-looking secrets; the prefix makes a leaked one easy to grep for. */
export function fakeKeys(prefix: string, count: number, offset = 0): string[] {
  return Array.from(
    { length: count },
    (_, index) => `${prefix}${String(index + offset).padStart(8, '0')}SECRETx${(index + offset) * 7919}`,
  );
}
