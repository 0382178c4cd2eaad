import { createDatabase, type Database, migrateDatabase } from '@llmgw/db';
import { createTestDatabase, type TestDatabase } from '@llmgw/db/testing';
import pino from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import type { AttemptRecord } from '../contracts.js';
import { createAttemptRecorder } from './attempt-recorder.js';

let testDatabase: TestDatabase;
let database: Database;

beforeAll(async () => {
  testDatabase = await createTestDatabase();
  database = await createDatabase({ url: testDatabase.url });
  await migrateDatabase(database);
});
beforeEach(async () => {
  await database.query('truncate attempts');
});
afterAll(async () => {
  await database.close();
  await testDatabase.drop();
});

function attempt(index: number, overrides: Partial<AttemptRecord> = {}): AttemptRecord {
  return {
    requestId: `req-${index}`,
    attemptNo: 1,
    final: true,
    provider: 'openai',
    model: 'gpt-4o-mini',
    keyId: 7,
    tripleId: 70,
    proxyId: null,
    outcome: 'ok',
    status: 200,
    latencyMs: 12.6,
    ttfbMs: 3.2,
    promptTokens: 5,
    completionTokens: 9,
    cachedTokens: null,
    stream: false,
    message: null,
    ...overrides,
  };
}

function capturedLog() {
  const lines: Array<Record<string, unknown>> = [];
  const log = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  return { log, lines };
}

async function count(): Promise<number> {
  const [row] = await database.query<{ count: string }>('select count(*) from attempts');
  return Number(row?.count);
}

/** created_at is the transaction's start time, so each insert statement shows up as one distinct value. */
async function batches(): Promise<number> {
  const [row] = await database.query<{ count: string }>('select count(distinct created_at) from attempts');
  return Number(row?.count);
}

describe('attempt recorder', () => {
  test('writes off the hot path, in batches, on its timer', async () => {
    const recorder = createAttemptRecorder({ database, log: capturedLog().log, flushMs: 50 });
    recorder.record(attempt(1, { outcome: 'rate_limited', final: false, status: 429, message: 'slow down' }));
    recorder.record(attempt(1, { attemptNo: 2 }));
    expect(await count()).toBe(0);
    await expect.poll(count, { timeout: 2_000 }).toBe(2);
    expect(await batches()).toBe(1);
    const rows = await database.query('select * from attempts order by attempt_no');
    expect(rows).toMatchObject([
      {
        request_id: 'req-1',
        attempt_no: 1,
        final: false,
        outcome: 'rate_limited',
        status: 429,
        message: 'slow down',
      },
      {
        request_id: 'req-1',
        attempt_no: 2,
        final: true,
        outcome: 'ok',
        latency_ms: 13,
        ttfb_ms: 3,
        source: 'upstream',
        probe: false,
      },
    ]);
    await recorder.close();
  });

  test('1000 records written quickly: nothing lost, in full batches, all there after close()', async () => {
    const recorder = createAttemptRecorder({
      database,
      log: capturedLog().log,
      flushMs: 60_000,
      maxBatch: 100,
    });
    for (let index = 0; index < 1000; index += 1) recorder.record(attempt(index));
    await recorder.close();
    expect(await count()).toBe(1000);
    const written = await batches();
    expect(written).toBeGreaterThan(1);
    expect(written).toBeLessThanOrEqual(10);
    const [distinct] = await database.query<{ count: string }>(
      'select count(distinct request_id) from attempts',
    );
    expect(Number(distinct?.count)).toBe(1000);
  });

  test('under steady load, records that arrive during a write wait for the timer instead of a write each', async () => {
    const recorder = createAttemptRecorder({ database, log: capturedLog().log, flushMs: 200 });
    // About 1,000 records over one second, a few every millisecond, as a busy gateway records them.
    const startedAt = Date.now();
    let index = 0;
    while (Date.now() - startedAt < 1_000) {
      for (let burst = 0; burst < 3; burst += 1) recorder.record(attempt(index++));
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    await recorder.close();
    expect(await count()).toBe(index);
    // Five timer flushes in that second and the one at close; one insert per round trip made hundreds.
    expect(await batches()).toBeLessThanOrEqual(8);
  });

  test('close() flushes what the timer has not written yet', async () => {
    const recorder = createAttemptRecorder({ database, log: capturedLog().log, flushMs: 60_000 });
    for (let index = 0; index < 7; index += 1) recorder.record(attempt(index));
    expect(await count()).toBe(0);
    await recorder.close();
    expect(await count()).toBe(7);
    expect(recorder.buffered()).toBe(0);
  });

  test('while the table cannot be written it keeps the newest records, drops the oldest with a count, and retries', async () => {
    const { log, lines } = capturedLog();
    const recorder = createAttemptRecorder({
      database,
      log,
      flushMs: 20,
      maxBatch: 10,
      maxBuffered: 25,
      maxRetryMs: 50,
    });
    await database.query('alter table attempts rename to attempts_away');
    try {
      for (let index = 0; index < 40; index += 1) recorder.record(attempt(index));
      await recorder.flush();
      expect(recorder.buffered()).toBe(25);
      const failed = lines.filter((line) => line.event === 'attempts.write_failed');
      expect(failed.length).toBeGreaterThan(0);
      expect(failed.reduce((sum, line) => sum + Number(line.dropped), 0)).toBe(15);
    } finally {
      await database.query('alter table attempts_away rename to attempts');
    }
    await expect.poll(count, { timeout: 3_000 }).toBe(25);
    const rows = await database.query<{ request_id: string }>('select request_id from attempts');
    const kept = new Set(rows.map((row) => row.request_id));
    expect(kept.has('req-39')).toBe(true);
    expect(kept.has('req-0')).toBe(false);
    await recorder.close();
  });
});
