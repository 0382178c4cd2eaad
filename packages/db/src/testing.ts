import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { maskDatabaseUrl } from './connection-errors.js';

export interface TestDatabase {
  /** URL of a fresh, empty database of its own. */
  url: string;
  /** Drops it, disconnecting anyone still attached. */
  drop(): Promise<void>;
}

// Test-only: the one module outside packages/config allowed to read the environment.
function serverUrl(): string {
  return process.env.LLMGW_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
}

async function withAdminClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (error) {
    const cause = error instanceof Error ? error.message : String(error);
    // Loud on purpose: a test that cannot reach its database must fail, never skip.
    throw new Error(
      `createTestDatabase: PostgreSQL for tests is unreachable at ${maskDatabaseUrl(url)} (${cause}). ` +
        'Start it, or point LLMGW_TEST_DATABASE_URL at a server where this user may CREATE DATABASE.',
      { cause: error },
    );
  }
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => {});
  }
}

/** Creates a uniquely named database on the test server, so test files never see each other's rows. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const adminUrl = serverUrl();
  const name = `llmgw_test_${Date.now().toString(36)}_${randomUUID().slice(0, 8)}`;
  await withAdminClient(adminUrl, (client) => client.query(`create database "${name}"`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      await withAdminClient(adminUrl, (client) =>
        client.query(`drop database if exists "${name}" with (force)`),
      );
    },
  };
}
