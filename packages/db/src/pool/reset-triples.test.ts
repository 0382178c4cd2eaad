import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../database.js';
import { migrateDatabase } from '../migrate-database.js';
import { keys, providers, stateChanges, triples } from '../schema.js';
import { DRIVERS, type DriverFixture } from '../test-drivers.js';
import { resetTriples, resetTriplesReport } from './reset-triples.js';

const NOW = Date.parse('2026-11-23T12:00:00Z');

describe('resetTriples', () => {
  let fixture: DriverFixture;
  let db: Db;

  beforeAll(async () => {
    fixture = await DRIVERS.postgres();
    await migrateDatabase(fixture.database);
    db = fixture.database.db;
    await db.insert(providers).values({ name: 'groq', type: 'openai_like' });
    const [key] = await db
      .insert(keys)
      .values({
        provider: 'groq',
        fingerprint: 'f',
        secret: 's',
        mask: 'm',
        sourceFile: 'groq.txt',
        sourceLine: 1,
      })
      .returning();
    const keyId = key?.id ?? 0;
    await db.insert(triples).values([
      { keyId, provider: 'groq', model: 'a', state: 'dead', reason: 'invalid_key', consecutiveFailures: 2 },
      {
        keyId,
        provider: 'groq',
        model: 'b',
        state: 'cooldown',
        reason: 'server_error',
        breakerLevel: 3,
        cooldownUntil: null,
      },
      { keyId, provider: 'groq', model: 'c', state: 'removed' },
      { keyId, provider: 'groq', model: 'd', state: 'no_quota', reason: 'no_quota' },
    ]);
  });
  afterAll(async () => {
    await fixture.dispose();
  });

  it('resets only the selected states for the amnesty, with an audit entry each', async () => {
    const changed = await resetTriples(
      db,
      { provider: 'groq', states: ['dead', 'unsupported', 'no_quota'] },
      { now: NOW, actor: 'keeper', why: 'amnesty' },
    );
    expect(changed).toBe(2);
    const [a] = await db.select().from(triples).where(eq(triples.model, 'a'));
    expect(a).toMatchObject({ state: 'untested', reason: null, consecutiveFailures: 0 });
    expect(a?.nextProbeAt?.getTime()).toBe(NOW);
    const audit = await db.select().from(stateChanges).where(eq(stateChanges.reason, 'amnesty'));
    expect(audit.map((entry) => entry.fromState).sort()).toEqual(['dead', 'no_quota']);
  });

  it('opens a manually held breaker on an operator reset and never resurrects a removed triple', async () => {
    const changed = await resetTriples(
      db,
      { provider: 'groq', model: 'b' },
      { now: NOW, actor: 'operator', why: 'manual_reset' },
    );
    expect(changed).toBe(1);
    const [b] = await db.select().from(triples).where(eq(triples.model, 'b'));
    expect(b).toMatchObject({ state: 'untested', breakerLevel: 0 });
    expect(
      await resetTriples(
        db,
        { provider: 'groq', model: 'c' },
        { now: NOW, actor: 'operator', why: 'manual_reset' },
      ),
    ).toBe(0);
  });

  it('leaves every triple of a disabled key alone, naming the key, while resetting its enabled peers', async () => {
    const [disabledKey, enabledKey] = await db
      .insert(keys)
      .values(
        [2, 3].map((line) => ({
          provider: 'groq',
          fingerprint: `f${line}`,
          secret: `s${line}`,
          mask: `m${line}`,
          sourceFile: 'groq.txt',
          sourceLine: line,
          disabled: line === 2,
        })),
      )
      .returning();
    const off = disabledKey?.id ?? 0;
    const on = enabledKey?.id ?? 0;
    await db.insert(triples).values([
      { keyId: off, provider: 'groq', model: 'e', state: 'disabled' },
      { keyId: off, provider: 'groq', model: 'f', state: 'disabled' },
      { keyId: on, provider: 'groq', model: 'e', state: 'dead', reason: 'invalid_key' },
    ]);

    const report = await resetTriplesReport(
      db,
      { provider: 'groq', model: 'e' },
      { now: NOW, actor: 'operator', why: 'manual_reset' },
    );
    expect(report).toEqual({ reset: 1, skippedDisabledKeys: [off] });
    const left = await db.select().from(triples).where(eq(triples.keyId, off));
    expect(left.map((row) => row.state)).toEqual(['disabled', 'disabled']);
    const audit = await db.select().from(stateChanges).where(eq(stateChanges.keyId, off));
    expect(audit).toEqual([]);
    expect(
      await resetTriplesReport(
        db,
        { provider: 'groq', keyId: off },
        { now: NOW, actor: 'operator', why: 'manual_reset' },
      ),
    ).toEqual({ reset: 0, skippedDisabledKeys: [off] });
  });
});
