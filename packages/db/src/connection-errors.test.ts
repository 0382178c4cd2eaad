import { LlmgwError } from '@llmgw/core';
import { describe, expect, it } from 'vitest';
import { maskDatabaseUrl } from './connection-errors.js';
import { createDatabase } from './create-database.js';
import { migrateDatabase } from './migrate-database.js';
import { readiness } from './readiness.js';

describe('maskDatabaseUrl', () => {
  it('hides the password and keeps what locates the server', () => {
    expect(maskDatabaseUrl('postgres://app:s3cret@db.internal:6543/llmgw?sslmode=require')).toBe(
      'postgres://app:***@db.internal:6543/llmgw?sslmode=require',
    );
    expect(maskDatabaseUrl('postgres://postgres@127.0.0.1/test')).toBe('postgres://postgres@127.0.0.1/test');
    expect(maskDatabaseUrl('not a url with s3cret')).not.toContain('s3cret');
  });
});

describe('an unreachable PostgreSQL', () => {
  const url = 'postgres://llmgw:hunter2@127.0.0.1:1/pool';

  it('fails migrate with where and why, never the password', async () => {
    const database = await createDatabase({ url });
    try {
      const failure = await migrateDatabase(database).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(failure).toBeInstanceOf(LlmgwError);
      const message = failure instanceof Error ? failure.message : '';
      expect(message).toContain('127.0.0.1:1/pool');
      expect(message).toContain('connection refused');
      expect(message).not.toContain('hunter2');
      expect(database.target).toBe('postgres://llmgw:***@127.0.0.1:1/pool');
    } finally {
      await database.close();
    }
  });

  it('reports not ready and ping false instead of throwing', async () => {
    const database = await createDatabase({ url });
    try {
      expect(await database.ping()).toBe(false);
      expect(await readiness(database)).toMatchObject({ ready: false, reachable: false });
    } finally {
      await database.close();
    }
  });
});
