import { createPrivatePostgres, type PrivatePostgres } from '@llmgw/testkit';
import OpenAI from 'openai';
import { afterAll, describe, expect, it } from 'vitest';
import { type ConductorWorld, createConductorWorld, MODEL, sleep } from './conductor-world.js';
import { createSecretLedger, findLeaks, newSecret } from './keeper-world.js';

const ledger = createSecretLedger();
let server: PrivatePostgres | null = null;
let world: ConductorWorld | null = null;

afterAll(async () => {
  await world?.close();
  await server?.destroy();
});

interface Result {
  at: number;
  ok: boolean;
  tookMs: number;
  error?: string;
}

describe('llmgw gateway: PostgreSQL restarts under load', () => {
  it('serves again within seconds of the database’s return, without a restart of its own', async () => {
    // A server of this test's own: restarting the shared one would break every other test file.
    server = await createPrivatePostgres();
    // A concurrency limit puts the database on every lease's path (slots live in `leases`).
    const w = await createConductorWorld(ledger, server.url, { limits: { concurrency: 4 } });
    world = w;
    const secrets = [newSecret(ledger, 'test-ok-'), newSecret(ledger, 'test-ok-')];
    w.writeKeys(secrets);
    const worker = w.startWorker();
    const gateway = await w.startGateway();
    await w.activeKeys(secrets);
    await w.servable(gateway, MODEL);
    const pid = gateway.process.child.pid;

    // Load: two clients asking one after another until told to stop.
    const results: Result[] = [];
    let loading = true;
    const client = async (id: number) => {
      for (let n = 0; loading; n += 1) {
        const startedAt = Date.now();
        try {
          await gateway.client.chat.completions.create(
            { model: MODEL, messages: [{ role: 'user', content: `client ${id} request ${n}` }] },
            { timeout: 20_000 },
          );
          results.push({ at: startedAt, ok: true, tookMs: Date.now() - startedAt });
        } catch (error) {
          const why = error instanceof OpenAI.APIError ? `${error.status} ${error.message}` : String(error);
          results.push({ at: startedAt, ok: false, tookMs: Date.now() - startedAt, error: why });
          await sleep(100);
        }
      }
    };
    const load = [client(1), client(2)];
    await sleep(1_000);
    expect(results.filter((result) => result.ok).length).toBeGreaterThan(0);

    await server.stop();
    await sleep(3_000); // long enough for every pool refresh and write to fail meanwhile
    await server.start();
    const backAt = Date.now();

    // Served again within seconds, the pool and the attempt records on their feet.
    const deadline = backAt + 15_000;
    let servedAt = 0;
    while (Date.now() < deadline && servedAt === 0) {
      const recovered = results.find((result) => result.ok && result.at >= backAt);
      if (recovered) servedAt = recovered.at + recovered.tookMs;
      else await sleep(100);
    }
    loading = false;
    await Promise.all(load);
    expect(servedAt, JSON.stringify(results.slice(-5))).toBeGreaterThan(0);
    expect(servedAt - backAt).toBeLessThan(10_000);
    // Never a hang: every request got its answer or its error within the queue wait (10 s) and a bit.
    for (const result of results) expect(result.tookMs, JSON.stringify(result)).toBeLessThan(15_000);
    // And a last one after the dust settles, for good measure.
    const last = await gateway.client.chat.completions.create({
      model: MODEL,
      messages: [{ role: 'user', content: 'after the restart' }],
    });
    expect(last.choices[0]?.message.content).toBe('ok: after the restart');

    expect(gateway.process.child.pid).toBe(pid);
    expect(gateway.process.child.exitCode).toBeNull();
    expect(worker.child.exitCode).toBeNull();
    // Records written after the return reach the new server's tables.
    const rows = await (async () => {
      for (let tries = 0; tries < 100; tries += 1) {
        const found = await w
          .query<{ n: number }>(
            "select count(*)::int as n from attempts where created_at >= now() - interval '10 seconds'",
          )
          .catch(() => [{ n: 0 }]);
        if ((found[0]?.n ?? 0) > 0) return found;
        await sleep(200);
      }
      return [];
    })();
    expect(rows[0]?.n).toBeGreaterThan(0);
  }, 180_000);

  it('never writes a key into any log line', () => {
    expect(ledger.processes.length).toBe(2);
    expect(findLeaks(ledger)).toEqual([]);
  });
});
