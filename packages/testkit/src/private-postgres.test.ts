import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPrivatePostgres, type PrivatePostgres } from './private-postgres.js';

let server: PrivatePostgres;
beforeAll(async () => {
  server = await createPrivatePostgres();
}, 60_000);
afterAll(async () => {
  await server.destroy();
});

async function select1(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    const result = await client.query<{ one: number }>('select 1 as one');
    return result.rows[0]?.one ?? 0;
  } finally {
    await client.end().catch(() => undefined);
  }
}

describe('createPrivatePostgres', () => {
  it('serves queries, refuses them while stopped, and serves again after a restart', async () => {
    expect(await select1(server.url)).toBe(1);
    await server.stop();
    await expect(select1(server.url)).rejects.toThrow();
    await server.start();
    expect(await select1(server.url)).toBe(1);
  }, 60_000);
});
