import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase } from '../create-database.js';
import type { Database } from '../database.js';
import { migrateDatabase } from '../migrate-database.js';
import { createTestDatabase, type TestDatabase } from '../testing.js';
import { pruneCachedResponses, putCachedResponse, takeCachedResponse } from './response-cache.js';

let server: TestDatabase;
let database: Database;
beforeAll(async () => {
  server = await createTestDatabase();
  database = await createDatabase({ url: server.url });
  await migrateDatabase(database);
});
afterAll(async () => {
  await database.close();
  await server.drop();
});

const T0 = new Date('2030-01-01T00:00:00Z');
const at = (ms: number) => new Date(T0.getTime() + ms);

describe('response cache queries', () => {
  it('serves a live entry, counts its hits, and never serves it past expires_at', async () => {
    const body = { id: 'chatcmpl-1', choices: [{ message: { content: 'hi' } }] };
    await putCachedResponse(
      database,
      {
        hash: 'h-json',
        provider: 'openai',
        model: 'gpt-4o-mini',
        status: 200,
        body,
        chunks: null,
        expiresAt: at(60_000),
      },
      T0,
    );
    expect(await takeCachedResponse(database, 'h-json', at(1_000))).toEqual({
      provider: 'openai',
      model: 'gpt-4o-mini',
      status: 200,
      body,
      chunks: null,
    });
    await takeCachedResponse(database, 'h-json', at(2_000));
    const [row] = await database.query<{ hits: number }>(
      "select hits from response_cache where hash = 'h-json'",
    );
    expect(row?.hits).toBe(2);
    expect(await takeCachedResponse(database, 'h-json', at(60_000))).toBeUndefined();
    expect(await takeCachedResponse(database, 'unknown', at(0))).toBeUndefined();
  });

  it('keeps stream payloads as the exact text, replaces an entry on a second put, and prunes expired ones', async () => {
    // Key order and spacing survive: jsonb would reorder an object's keys, but not a string's characters.
    const chunks = ['{"id":"x","object":"chat.completion.chunk","choices":[]}', '{"b":1,"a":2}'];
    const entry = {
      hash: 'h-sse',
      provider: 'groq',
      model: 'llama',
      status: 200,
      body: null,
      chunks,
      expiresAt: at(10_000),
    };
    await putCachedResponse(database, entry, T0);
    await putCachedResponse(
      database,
      { ...entry, chunks: [...chunks, '{"z":0}'], expiresAt: at(20_000) },
      T0,
    );
    expect((await takeCachedResponse(database, 'h-sse', at(15_000)))?.chunks).toEqual([...chunks, '{"z":0}']);

    // h-sse expires at 20 s, h-json (the first test's) at 60 s.
    expect(await pruneCachedResponses(database, at(20_000))).toBe(1);
    expect(await database.query('select hash from response_cache')).toEqual([{ hash: 'h-json' }]);
  });
});
