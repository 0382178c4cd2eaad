import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RawQuery } from '../database.js';
import { migrateDatabase } from '../migrate-database.js';
import { keys, providers, triples } from '../schema.js';
import { DRIVER_NAMES, DRIVERS, type DriverFixture } from '../test-drivers.js';
import {
  claimRateWindow,
  refundRateWindow,
  returnUnusedGrants,
  windowEnd,
  windowStart,
} from './rate-window.js';

// A calendar minute boundary falls 5 s after T0: the case fixed windows get wrong.
const T0 = Date.parse('2026-11-23T12:00:55Z');
const SECOND = 1_000;

describe.each(DRIVER_NAMES)('the sliding minute on %s', (driver) => {
  let fixture: DriverFixture;
  let query: RawQuery;
  let seq = 0;

  async function newTriple(): Promise<number> {
    seq += 1;
    const db = fixture.database.db;
    const provider = `rw${seq}`;
    await db.insert(providers).values({ name: provider, type: 'openai_like' });
    const [key] = await db
      .insert(keys)
      .values({
        provider,
        fingerprint: `f${seq}`,
        secret: `s${seq}`,
        mask: 'm',
        sourceFile: 'a.txt',
        sourceLine: 1,
      })
      .returning();
    const [triple] = await db
      .insert(triples)
      .values({ keyId: key?.id ?? 0, provider, model: 'm', state: 'active' })
      .returning();
    return triple?.id ?? 0;
  }

  const minute = (tripleId: number, now: number, requests: number, requestLimit: number | null, extra = {}) =>
    claimRateWindow(query, {
      tripleId,
      kind: 'minute',
      requests,
      tokens: 0,
      now,
      requestLimit,
      tokenLimit: null,
      ...extra,
    });

  beforeAll(async () => {
    fixture = await DRIVERS[driver]();
    await migrateDatabase(fixture.database);
    query = fixture.database.query;
  });
  afterAll(async () => {
    await fixture.dispose();
  });

  it('refuses a burst right after a calendar minute boundary until 60 s after the first one', async () => {
    const triple = await newTriple();
    expect(await minute(triple, T0, 5, 5)).toBe(true);
    // 12:01:00, 12:01:30 and 12:01:55 are all within 60 s of the slice charged at 12:00:55.
    for (const later of [5, 35, 60]) expect(await minute(triple, T0 + later * SECOND, 1, 5)).toBe(false);
    expect(await minute(triple, T0 + 65 * SECOND, 5, 5)).toBe(true);
    expect(await minute(triple, T0 + 66 * SECOND, 1, 5)).toBe(false);
  });

  it('never grants more than the limit within any 60 s, whatever the claim times', async () => {
    const triple = await newTriple();
    const granted: number[] = [];
    for (let at = 0; at < 240; at += 2) {
      if (await minute(triple, T0 + at * SECOND, 1, 7)) granted.push(at);
    }
    for (const start of granted) {
      expect(granted.filter((at) => at >= start && at < start + 60).length).toBeLessThanOrEqual(7);
    }
    // Under-use is bounded too: at least the limit per 65 s.
    expect(granted.length).toBeGreaterThanOrEqual(7 * 3);
  });

  it('counts tokens over the sliding minute the same way', async () => {
    const triple = await newTriple();
    const tokens = (now: number, amount: number) =>
      minute(triple, now, 0, null, { tokens: amount, tokenLimit: 1000 });
    expect(await tokens(T0, 900)).toBe(true);
    expect(await tokens(T0 + 10 * SECOND, 200)).toBe(false);
    expect(await tokens(T0 + 10 * SECOND, 100)).toBe(true);
    expect(await tokens(T0 + 65 * SECOND, 900)).toBe(true);
  });

  it('lets concurrent claims from many callers fill the window exactly', async () => {
    const triple = await newTriple();
    const results = await Promise.all(Array.from({ length: 20 }, () => minute(triple, T0, 1, 5)));
    expect(results.filter(Boolean)).toHaveLength(5);
  });

  it('takes back grants a replica did not use, so others can claim them', async () => {
    const triple = await newTriple();
    expect(await minute(triple, T0, 4, 5)).toBe(true);
    expect(await minute(triple, T0 + 10 * SECOND, 4, 5)).toBe(false);
    await returnUnusedGrants(query, [
      { tripleId: triple, sliceStart: windowStart('minute', T0), requests: 3, tokens: 0 },
    ]);
    expect(await minute(triple, T0 + 10 * SECOND, 4, 5)).toBe(true);
  });

  it('carries the upstream remaining figure into the next slice while its reset lies ahead', async () => {
    const triple = await newTriple();
    await query(
      `insert into rate_windows (triple_id, kind, window_start, upstream_remaining_requests, upstream_reset_at)
       values ($1, 'minute', to_timestamp($2::float8 / 1000), 2, to_timestamp($3::float8 / 1000))`,
      [triple, windowStart('minute', T0), T0 + 30 * SECOND],
    );
    expect(await minute(triple, T0 + 6 * SECOND, 2, null)).toBe(true);
    expect(await minute(triple, T0 + 12 * SECOND, 1, null)).toBe(false);
    // After the stated reset the figure no longer applies.
    expect(await minute(triple, T0 + 31 * SECOND, 1, null)).toBe(true);
  });

  it('keeps calendar days for RPD and gives a refunded request back', async () => {
    const triple = await newTriple();
    const day = (now: number) =>
      claimRateWindow(query, {
        tripleId: triple,
        kind: 'day',
        requests: 1,
        tokens: 0,
        now,
        requestLimit: 2,
        tokenLimit: null,
      });
    expect(await day(T0)).toBe(true);
    expect(await day(T0 + SECOND)).toBe(true);
    expect(await day(T0 + 2 * SECOND)).toBe(false);
    await refundRateWindow(query, { tripleId: triple, kind: 'day', requests: 1, claimedAt: T0, now: T0 });
    expect(await day(T0 + 3 * SECOND)).toBe(true);
    const nextDay = windowEnd('day', T0);
    expect(await day(nextDay)).toBe(true);
  });
});
