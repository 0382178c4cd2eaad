import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../database.js';
import { migrateDatabase } from '../migrate-database.js';
import { attempts, keys, providers, stateChanges, triples } from '../schema.js';
import { DRIVER_NAMES, DRIVERS, type DriverFixture } from '../test-drivers.js';
import { listAdminKeys } from './admin-keys.js';
import { listAuditLog } from './audit-log.js';
import { poolSummary } from './pool-summary.js';
import { setKeyDisabled } from './set-key-disabled.js';
import { trafficRates } from './traffic-rates.js';

const SECRETS = ['sk-admin-SECRET-aaaa1111', 'sk-admin-SECRET-bbbb2222', 'sk-admin-SECRET-cccc3333'];

describe.each(DRIVER_NAMES)('admin queries on %s', (driver) => {
  let fixture: DriverFixture;
  let database: Database;
  const ids: number[] = [];
  const tripleIds: Record<string, number> = {};

  beforeAll(async () => {
    fixture = await DRIVERS[driver]();
    database = fixture.database;
    await migrateDatabase(database);
    const { db } = database;
    await db.insert(providers).values([
      { name: 'openai', type: 'openai_like' },
      { name: 'groq', type: 'openai_like' },
    ]);
    const made = await db
      .insert(keys)
      .values(
        SECRETS.map((secret, index) => ({
          provider: index === 2 ? 'groq' : 'openai',
          fingerprint: `f${index}`,
          secret,
          mask: `sk-…${secret.slice(-4)}`,
          sourceFile: index === 2 ? 'keys/groq.txt' : 'keys/openai.txt',
          sourceLine: index + 1,
        })),
      )
      .returning({ id: keys.id });
    ids.push(...made.map((row) => row.id));
    const [a = 0, b = 0, c = 0] = ids;
    const soon = new Date(Date.now() + 60_000);
    const past = new Date(Date.now() - 60_000);
    const rows = await db
      .insert(triples)
      .values([
        { keyId: a, provider: 'openai', model: 'gpt-4o', state: 'active', ewmaLatencyMs: 120 },
        { keyId: a, provider: 'openai', model: 'gpt-4o-mini', state: 'dead', reason: 'invalid_key' },
        {
          keyId: b,
          provider: 'openai',
          model: 'gpt-4o',
          state: 'cooldown',
          reason: 'rate_limited',
          cooldownUntil: soon,
        },
        {
          keyId: b,
          provider: 'openai',
          model: 'gpt-4o-mini',
          state: 'cooldown',
          reason: 'rate_limited',
          cooldownUntil: past,
        },
        { keyId: c, provider: 'groq', model: 'llama', state: 'untested' },
      ])
      .returning({ id: triples.id, keyId: triples.keyId, model: triples.model });
    for (const row of rows) tripleIds[`${row.keyId}/${row.model}`] = row.id;
    await db.insert(stateChanges).values({
      scope: 'triple',
      subject: `openai/${a}/gpt-4o-mini`,
      tripleId: tripleIds[`${a}/gpt-4o-mini`] ?? 0,
      keyId: a,
      fromState: 'active',
      toState: 'dead',
      reason: 'invalid_key',
      evidence: { message: 'the provider refused the key', status: 401 },
      actor: 'keeper',
    });
  }, 180_000);

  afterAll(async () => fixture?.dispose());

  it('pages keys by cursor and offset with the total over all pages', async () => {
    const first = await listAdminKeys(database.query, { limit: 2 });
    expect(first.total).toBe(3);
    expect(first.keys.map((key) => key.keyId)).toEqual(ids.slice(0, 2));
    expect(first.nextCursor).toBe(ids[1]);
    const second = await listAdminKeys(database.query, { limit: 2, cursor: first.nextCursor ?? 0 });
    expect(second.keys.map((key) => key.keyId)).toEqual([ids[2]]);
    expect(second.nextCursor).toBeNull();
    const byOffset = await listAdminKeys(database.query, { limit: 1, offset: 1 });
    expect(byOffset.keys.map((key) => key.keyId)).toEqual([ids[1]]);
  });

  it('filters by provider, state, reason, model and text, narrowing each key to matching triples', async () => {
    const dead = await listAdminKeys(database.query, { limit: 10, states: ['dead'] });
    expect(dead.total).toBe(1);
    expect(dead.keys[0]?.triples.map((t) => [t.model, t.state, t.reason])).toEqual([
      ['gpt-4o-mini', 'dead', 'invalid_key'],
    ]);
    const limited = await listAdminKeys(database.query, {
      limit: 10,
      reason: 'rate_limited',
      model: 'gpt-4o',
    });
    expect(limited.keys.map((key) => key.keyId)).toEqual([ids[1]]);
    expect(limited.keys[0]?.triples).toHaveLength(1);
    const groq = await listAdminKeys(database.query, { limit: 10, provider: 'groq' });
    expect(groq.keys.map((key) => key.provider)).toEqual(['groq']);
    const byMask = await listAdminKeys(database.query, { limit: 10, search: '…2222' });
    expect(byMask.keys.map((key) => key.keyId)).toEqual([ids[1]]);
    const byId = await listAdminKeys(database.query, { limit: 10, search: String(ids[2]) });
    expect(byId.keys.map((key) => key.keyId)).toContain(ids[2]);
    const literal = await listAdminKeys(database.query, { limit: 10, search: '%' });
    expect(literal.total).toBe(0);
  });

  it('shows per triple the cooldown end, success rate, latency and the last failure from the audit log', async () => {
    const page = await listAdminKeys(database.query, { limit: 10, keyId: ids[0] ?? 0 });
    const [active, deadTriple] = page.keys[0]?.triples ?? [];
    expect(active).toMatchObject({
      model: 'gpt-4o',
      state: 'active',
      successRate: 1,
      latencyMs: 120,
      lastError: null,
    });
    expect(deadTriple?.lastError).toMatchObject({
      reason: 'invalid_key',
      message: 'the provider refused the key',
    });
    const cooling = await listAdminKeys(database.query, { limit: 10, keyId: ids[1] ?? 0 });
    expect(Date.parse(cooling.keys[0]?.triples[0]?.cooldownUntil ?? '')).toBeGreaterThan(Date.now());
  });

  it('never carries a key secret', async () => {
    const everything = JSON.stringify([
      await listAdminKeys(database.query, { limit: 10, includeRemoved: true }),
      await poolSummary(database.query, 4242),
      await listAuditLog(database.query, { limit: 100 }),
    ]);
    for (const secret of SECRETS) expect(everything).not.toContain(secret.slice(0, -4));
  });

  it('counts triples per state and usable ones by the lease rule', async () => {
    const summary = await poolSummary(database.query, 4242);
    const openai = summary.providers.find((p) => p.provider === 'openai');
    expect(openai?.triples).toEqual({ active: 1, dead: 1, cooldown: 2 });
    // active + the cooldown whose end has passed (a half-open trial); not the dead or cooling one.
    expect(openai?.usable).toBe(2);
    expect(summary.totals).toEqual({ triples: 5, usable: 3, keys: 3 });
    expect(summary.keeper).toEqual({ present: false, pid: null, sessionStartedAt: null, embedded: false });
  });

  it('names the keeper leader by who holds its advisory lock in this database', async () => {
    const session = await database.openSession();
    try {
      await session.query('select pg_advisory_lock($1::bigint)', [4242]);
      const { keeper } = await poolSummary(database.query, 4242);
      expect(keeper.present).toBe(true);
      expect(typeof keeper.pid).toBe('number');
      expect((await poolSummary(database.query, 4243)).keeper.present).toBe(false);
      await session.query('select pg_advisory_unlock($1::bigint)', [4242]);
    } finally {
      await session.close();
    }
  });

  it('disables a key: its triples freeze as disabled, it is no longer usable, and enable starts them over', async () => {
    const [a = 0] = ids;
    const disabled = await setKeyDisabled(database.db, a, true, { now: Date.now(), actor: 'admin' });
    expect(disabled).toEqual({ found: true, provider: 'openai', changed: true, triples: 2 });
    const again = await setKeyDisabled(database.db, a, true, { now: Date.now(), actor: 'admin' });
    expect(again.changed).toBe(false);
    const [row] = await database.db.select().from(keys).where(eq(keys.id, a));
    expect(row?.disabled).toBe(true);
    const states = await database.db
      .select({ state: triples.state })
      .from(triples)
      .where(eq(triples.keyId, a));
    expect(states.map((t) => t.state)).toEqual(['disabled', 'disabled']);
    expect(
      (await poolSummary(database.query, 4242)).providers.find((p) => p.provider === 'openai')?.usable,
    ).toBe(1);
    const history = await listAuditLog(database.query, { keyId: a, limit: 10 });
    expect(history.entries.slice(0, 3).map((e) => [e.scope, e.to, e.reason, e.actor])).toEqual([
      ['triple', 'disabled', 'manual_disable', 'admin'],
      ['triple', 'disabled', 'manual_disable', 'admin'],
      ['key', 'disabled', 'manual_disable', 'admin'],
    ]);

    const enabled = await setKeyDisabled(database.db, a, false, { now: Date.now(), actor: 'admin' });
    expect(enabled.triples).toBe(2);
    const after = await database.db
      .select({ state: triples.state })
      .from(triples)
      .where(eq(triples.keyId, a));
    expect(after.map((t) => t.state)).toEqual(['untested', 'untested']);
    expect((await setKeyDisabled(database.db, 999_999, true, { now: 0, actor: 'admin' })).found).toBe(false);
  });

  it('pages the audit log newest first by id cursor', async () => {
    const first = await listAuditLog(database.query, { limit: 2 });
    expect(first.entries).toHaveLength(2);
    const firstIds = first.entries.map((e) => e.id);
    expect(firstIds[0]).toBeGreaterThan(firstIds[1] ?? 0);
    const rest = await listAuditLog(database.query, { limit: 100, cursor: first.nextCursor ?? 0 });
    expect(rest.entries.every((e) => e.id < (firstIds[1] ?? 0))).toBe(true);
    expect(rest.nextCursor).toBeNull();
  });

  it('reports request and error rates per provider from real attempts, probes left out', async () => {
    const base = { provider: 'openai', model: 'gpt-4o', stream: false };
    await database.db.insert(attempts).values([
      { ...base, requestId: 'r1', attemptNo: 1, final: false, outcome: 'rate_limited' },
      { ...base, requestId: 'r1', attemptNo: 2, final: true, outcome: 'ok', latencyMs: 100 },
      { ...base, requestId: 'r2', attemptNo: 1, final: true, outcome: 'server_error', latencyMs: 50 },
      { ...base, requestId: 'r3', attemptNo: 1, final: true, outcome: 'ok', latencyMs: 300 },
      { ...base, requestId: 'p1', final: true, outcome: 'invalid_key', probe: true },
    ]);
    const rates = await trafficRates(database.query, 5 * 60_000);
    expect(rates.windowSeconds).toBe(300);
    expect(rates.providers).toEqual([
      {
        provider: 'openai',
        requests: 3,
        errors: 1,
        attempts: 4,
        failedAttempts: { rate_limited: 1, server_error: 1 },
        meanLatencyMs: 200,
      },
    ]);
  });
});
