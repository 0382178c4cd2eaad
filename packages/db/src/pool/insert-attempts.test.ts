import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateDatabase } from '../migrate-database.js';
import { DRIVER_NAMES, DRIVERS, type DriverFixture } from '../test-drivers.js';
import { attemptRow } from '../test-rows.js';
import { insertAttempts } from './insert-attempts.js';

describe.each(DRIVER_NAMES)('attempt batches on %s', (driver) => {
  let fixture: DriverFixture;
  beforeAll(async () => {
    fixture = await DRIVERS[driver]();
    await migrateDatabase(fixture.database);
  });
  afterAll(async () => fixture?.dispose());

  it('writes every row of a batch with its values intact, milliseconds rounded', async () => {
    const awkward = 'quote " backslash \\ braces {a,b} comma, newline\nand unicode ключ 🔑';
    await insertAttempts(fixture.database, [
      attemptRow({ requestId: 'b-1', latencyMs: 12.6, ttfbMs: 3.4, promptTokens: 5, completionTokens: 9 }),
      attemptRow({
        requestId: 'b-2',
        attemptNo: 2,
        latencyMs: 10,
        final: false,
        outcome: 'rate_limited',
        status: 429,
        stream: true,
        message: awkward,
        cachedTokens: 4,
      }),
    ]);
    const rows = await fixture.database.query<Record<string, unknown>>(
      `select request_id, attempt_no, final, outcome, status, latency_ms, ttfb_ms, prompt_tokens,
        completion_tokens, cached_tokens, stream, message
       from attempts where request_id like 'b-%' order by request_id`,
    );
    expect(rows).toEqual([
      {
        request_id: 'b-1',
        attempt_no: 1,
        final: true,
        outcome: 'ok',
        status: 200,
        latency_ms: 13,
        ttfb_ms: 3,
        prompt_tokens: 5,
        completion_tokens: 9,
        cached_tokens: null,
        stream: false,
        message: null,
      },
      {
        request_id: 'b-2',
        attempt_no: 2,
        final: false,
        outcome: 'rate_limited',
        status: 429,
        latency_ms: 10,
        ttfb_ms: null,
        prompt_tokens: null,
        completion_tokens: null,
        cached_tokens: 4,
        stream: true,
        message: awkward,
      },
    ]);
  });
});
