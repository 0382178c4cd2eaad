import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestDatabase } from './testing.js';

async function databaseExists(url: string): Promise<boolean> {
  const client = new pg.Client(url);
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

describe('createTestDatabase', () => {
  const original = process.env.LLMGW_TEST_DATABASE_URL;
  afterEach(() => {
    if (original === undefined) delete process.env.LLMGW_TEST_DATABASE_URL;
    else process.env.LLMGW_TEST_DATABASE_URL = original;
  });

  it('creates a fresh database of its own and drops it', async () => {
    const [first, second] = await Promise.all([createTestDatabase(), createTestDatabase()]);
    if (!first || !second) throw new Error('unreachable');
    expect(first.url).not.toBe(second.url);
    expect(await databaseExists(first.url)).toBe(true);
    await Promise.all([first.drop(), second.drop()]);
    expect(await databaseExists(first.url)).toBe(false);
  });

  it('fails loudly, naming the server but not the password, when Postgres is unreachable', async () => {
    process.env.LLMGW_TEST_DATABASE_URL = 'postgres://postgres:hunter2@127.0.0.1:1/test';
    const failure = await createTestDatabase().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(Error);
    const message = failure instanceof Error ? failure.message : '';
    expect(message).toMatch(/unreachable at postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:1\/test/);
    expect(message).toContain('LLMGW_TEST_DATABASE_URL');
    expect(message).not.toContain('hunter2');
  });
});
