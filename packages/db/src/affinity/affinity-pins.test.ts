import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateDatabase } from '../migrate-database.js';
import { DRIVERS, type DriverFixture } from '../test-drivers.js';
import { readAffinityPins, readChangedAffinityPins, upsertAffinityPins } from './affinity-pins.js';

const T0 = Date.parse('2026-11-23T12:00:00Z');
const TTL = 300_000;

const use = (hash: string, keyId: number, usedAt: number) => ({
  hash,
  provider: 'openai',
  model: 'gpt-4o-mini',
  keyId,
  usedAt,
  expiresAt: usedAt + TTL,
});

describe('affinity pins in Postgres', () => {
  let fixture: DriverFixture;

  beforeAll(async () => {
    fixture = await DRIVERS.postgres();
    await migrateDatabase(fixture.database);
  });
  afterAll(async () => fixture.dispose());

  it('keeps the first use as the change time while the same key is used again', async () => {
    const { database } = fixture;
    await upsertAffinityPins(database, [use('same', 1, T0)]);
    await upsertAffinityPins(database, [use('same', 1, T0 + 60_000)]);
    const [pin] = await readAffinityPins(database, 'same', T0 + 61_000);
    expect(pin).toMatchObject({ keyId: 1, changedAt: T0, expiresAt: T0 + 60_000 + TTL });
    // Only pins made or moved after `since` are pulled by other replicas: a refresh is not a change.
    expect(await readChangedAffinityPins(database, T0 + 1, T0 + 61_000)).toEqual([]);
  });

  it('moves a pin to the key that served last and reports the move as a change', async () => {
    const { database } = fixture;
    await upsertAffinityPins(database, [use('moves', 1, T0)]);
    await upsertAffinityPins(database, [use('moves', 2, T0 + 10_000)]);
    const changed = await readChangedAffinityPins(database, T0 + 5_000, T0 + 11_000);
    expect(changed).toEqual([expect.objectContaining({ hash: 'moves', keyId: 2, changedAt: T0 + 10_000 })]);
  });

  it('does not move a pin back for a late write of an older use', async () => {
    const { database } = fixture;
    await upsertAffinityPins(database, [use('late', 1, T0)]);
    await upsertAffinityPins(database, [use('late', 2, T0 + 10_000)]);
    await upsertAffinityPins(database, [use('late', 1, T0 + 5_000)]);
    const [pin] = await readAffinityPins(database, 'late', T0 + 11_000);
    expect(pin?.keyId).toBe(2);
  });

  it('forgets a pin once its TTL has passed without use', async () => {
    const { database } = fixture;
    await upsertAffinityPins(database, [use('lapses', 3, T0)]);
    expect(await readAffinityPins(database, 'lapses', T0 + TTL - 1)).toHaveLength(1);
    expect(await readAffinityPins(database, 'lapses', T0 + TTL + 1)).toEqual([]);
  });

  it('writes a batch of many conversations in one statement', async () => {
    const { database } = fixture;
    const batch = Array.from({ length: 50 }, (_, n) => use(`batch-${n}`, n + 1, T0));
    await upsertAffinityPins(database, batch);
    const rows = await database.query<{ n: number }>(
      "select count(*)::int as n from affinity where hash like 'batch-%'",
    );
    expect(rows[0]?.n).toBe(50);
  });
});
