import { connect, createServer, type Server, type Socket } from 'node:net';
import { buildConfig } from '@llmgw/config';
import { createDatabase, type Database, migrateDatabase } from '@llmgw/db';
import { keys, providers, triples } from '@llmgw/db/schema';
import { createTestDatabase, type TestDatabase } from '@llmgw/db/testing';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool } from './create-pool.js';
import { expectLease, leaseRequest, OK, sleep, waitFor } from './pool-fixture.js';

/** A TCP hop to Postgres that the test can cut and restore, as a network partition would. */
async function createCuttableHop(
  target: URL,
): Promise<{ port: number; cut(): void; restore(): void; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let open = true;
  const server: Server = createServer((client) => {
    if (!open) {
      client.destroy();
      return;
    }
    const upstream = connect(Number(target.port || 5432), target.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => {});
      socket.on('close', () => {
        sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return {
    port: address.port,
    cut() {
      open = false;
      for (const socket of sockets) socket.destroy();
    },
    restore() {
      open = true;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

describe('pool with the database away', () => {
  let testDatabase: TestDatabase;
  let direct: Database;
  let viaHop: Database;
  let hop: Awaited<ReturnType<typeof createCuttableHop>>;

  beforeAll(async () => {
    testDatabase = await createTestDatabase();
    direct = await createDatabase({ url: testDatabase.url });
    await migrateDatabase(direct);
    hop = await createCuttableHop(new URL(testDatabase.url));
    const hopUrl = new URL(testDatabase.url);
    hopUrl.host = `127.0.0.1:${hop.port}`;
    viaHop = await createDatabase({ url: hopUrl.toString() });
    await direct.db.insert(providers).values({ name: 'openai', type: 'openai_like' });
    for (const [model, n] of [
      ['m1', 1],
      ['m2', 2],
    ] as const) {
      const [key] = await direct.db
        .insert(keys)
        .values({
          provider: 'openai',
          fingerprint: `fp-${n}`,
          secret: `sk-${n}`,
          mask: `…${n}`,
          sourceFile: 'k',
          sourceLine: n,
        })
        .returning({ id: keys.id });
      if (!key) throw new Error('no key');
      await direct.db.insert(triples).values({ keyId: key.id, provider: 'openai', model, state: 'active' });
    }
  }, 60_000);

  afterAll(async () => {
    await viaHop.close().catch(() => {});
    await hop.close();
    await direct.close();
    await testDatabase.drop();
  });

  it('keeps leasing unlimited triples from the last view, refuses limited ones, and recovers', async () => {
    const config = buildConfig({
      providers: {
        openai: { base_url: 'http://127.0.0.1:9/v1', models: { m1: {}, m2: { limits: { concurrency: 2 } } } },
      },
    });
    const logs: string[] = [];
    const log = pino({ level: 'debug' }, { write: (line: string) => void logs.push(line) });
    const pool = createPool({
      config,
      database: viaHop,
      holder: 'replica-a',
      log,
      now: Date.now,
      refreshMs: 100,
    });
    const limited = leaseRequest({ candidates: [{ provider: 'openai', model: 'm2' }] });
    expectLease(await pool.lease(leaseRequest())).release({ outcome: OK, latencyMs: 1 });
    expectLease(await pool.lease(limited)).release({ outcome: OK, latencyMs: 1 });

    hop.cut();
    await sleep(300);
    for (let i = 0; i < 10; i += 1) {
      expectLease(await pool.lease(leaseRequest())).release({ outcome: OK, latencyMs: 1 });
    }
    const started = Date.now();
    const refused = await pool.lease({ ...limited, maxWaitMs: 0 });
    expect('tripleId' in refused).toBe(false);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(logs.some((line) => line.includes('database problem (refresh)'))).toBe(true);

    hop.restore();
    await waitFor(async () => {
      const result = await pool.lease(limited);
      if (!('tripleId' in result)) return false;
      result.release({ outcome: OK, latencyMs: 1 });
      return true;
    }, 15_000);
    expect(logs.some((line) => line.includes('database reachable again'))).toBe(true);
    await pool.close();
    const rows = await direct.query<{ inflight: number }>('select inflight from triples');
    expect(rows.every((row) => row.inflight === 0)).toBe(true);
  }, 40_000);
});
