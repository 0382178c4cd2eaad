import { buildConfig } from '@llmgw/config';
import { createDatabase, type Database, migrateDatabase } from '@llmgw/db';
import { createTestDatabase, type TestDatabase } from '@llmgw/db/testing';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AffinityStore, createAffinityStore } from './affinity-store.js';
import type { ConversationKey } from './conversation-key.js';

const config = buildConfig({ providers: { openai: { base_url: 'http://127.0.0.1:9/v1', models: ['m1'] } } });
const candidates = [{ provider: 'openai', model: 'm1' }];
const TTL = 300_000;

let testDatabase: TestDatabase;
let database: Database;
const stores: AffinityStore[] = [];

beforeAll(async () => {
  testDatabase = await createTestDatabase();
  database = await createDatabase({ url: testDatabase.url });
  await migrateDatabase(database);
});

afterAll(async () => {
  await Promise.all(stores.map((store) => store.close()));
  await database.close();
  await testDatabase.drop();
});

/** One replica's store; `clock` lets a test move its time (default: the real clock). */
function replica(clock?: { now: number }, storeConfig = config): AffinityStore {
  const store = createAffinityStore({
    config: storeConfig,
    database,
    log: pino({ level: 'silent' }),
    now: clock ? () => clock.now : Date.now,
    syncMs: 50,
  });
  stores.push(store);
  return store;
}

let serial = 0;
function conversation(continuation = true): ConversationKey {
  serial += 1;
  return { hash: `conversation-${serial}`, explicit: false, continuation };
}

async function until<T>(read: () => T | Promise<T>, ok: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const value = await read();
    if (ok(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('affinity store', () => {
  it('answers a later turn on another replica from Postgres', async () => {
    const a = replica();
    const b = replica();
    const key = conversation();
    a.served(key.hash, 'openai', 'm1', 7, TTL);
    expect(
      await until(
        () => b.pin(key, candidates),
        (pin) => pin !== null,
      ),
    ).toEqual({ keyId: 7, model: 'm1' });
  });

  it('does not read Postgres for a first turn it has never seen', async () => {
    const a = replica();
    const b = replica();
    const key = conversation(false);
    a.served(key.hash, 'openai', 'm1', 7, TTL);
    await new Promise((resolve) => setTimeout(resolve, 200));
    // A plain value, not a promise: no round trip was made.
    expect(b.pin(key, candidates)).toBeNull();
  });

  it('learns a pin another replica moved, without being asked', async () => {
    const a = replica();
    const b = replica();
    const key = conversation();
    a.served(key.hash, 'openai', 'm1', 1, TTL);
    expect(
      await until(
        () => b.pin(key, candidates),
        (pin) => pin !== null,
      ),
    ).toEqual({ keyId: 1, model: 'm1' });
    a.served(key.hash, 'openai', 'm1', 2, TTL);
    // b answers from memory; its sync pulls the move.
    expect(
      await until(
        () => b.pin(key, candidates),
        (pin) => pin?.keyId === 2,
      ),
    ).toEqual({ keyId: 2, model: 'm1' });
  });

  it('forgets a pin once its TTL passed without use, and a use refreshes it', async () => {
    const clock = { now: Date.now() };
    const a = replica(clock);
    const key = conversation();
    a.served(key.hash, 'openai', 'm1', 3, 1_000);
    clock.now += 800;
    a.served(key.hash, 'openai', 'm1', 3, 1_000);
    clock.now += 800;
    expect(a.pin(key, candidates)).toEqual({ keyId: 3, model: 'm1' });
    clock.now += 300;
    expect(a.pin(key, candidates)).toBeNull();
  });

  it('offers only pins of the candidates asked about', () => {
    const a = replica();
    const key = conversation();
    a.served(key.hash, 'openai', 'other-model', 4, TTL);
    expect(a.pin(key, candidates)).toBeNull();
  });

  it('goes on without a pin when Postgres is slower than gateway.affinity_lookup_timeout, and keeps the late answer', async () => {
    const quick = buildConfig({
      providers: { openai: { base_url: 'http://127.0.0.1:9/v1', models: ['m1'] } },
      gateway: { affinity_lookup_timeout: '1s' },
    });
    const a = replica();
    const b = replica(undefined, quick);
    const key = conversation();
    a.served(key.hash, 'openai', 'm1', 5, TTL);
    await until(
      async () =>
        (
          await database.query<{ n: number }>('select count(*)::int as n from affinity where hash = $1', [
            key.hash,
          ])
        )[0]?.n,
      (n) => n === 1,
    );
    // Another connection holds the table: b's read waits until the lock goes.
    const locker = await database.openSession();
    await locker.query('begin');
    await locker.query('lock table affinity in access exclusive mode');
    try {
      const started = Date.now();
      expect(await b.pin(key, candidates)).toBeNull();
      const waited = Date.now() - started;
      expect(waited).toBeGreaterThanOrEqual(950);
      expect(waited).toBeLessThan(4_000);
    } finally {
      await locker.query('commit');
      await locker.close();
    }
    // The read finishes once the lock is gone and lands in memory: the next turn needs no round trip.
    expect(
      await until(
        () => b.pin(key, candidates),
        (pin) => pin !== null,
      ),
    ).toEqual({ keyId: 5, model: 'm1' });
  });
});
