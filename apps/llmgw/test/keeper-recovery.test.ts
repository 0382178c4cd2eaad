import { createPrivatePostgres, type PrivatePostgres } from '@llmgw/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import {
  countEvents,
  createKeeperWorld,
  createSecretLedger,
  findLeaks,
  isEvent,
  type KeeperWorld,
  LINE_TIMEOUT_MS,
  MODELS,
  newSecret,
} from './keeper-world.js';
import { eventually } from './spawn-llmgw.js';

const ledger = createSecretLedger();
let server: PrivatePostgres | null = null;
let world: KeeperWorld | null = null;

afterAll(async () => {
  await world?.close();
  await server?.destroy();
});

async function activeSoon(w: KeeperWorld, secret: string): Promise<true> {
  return eventually(
    async () => {
      const mine = w.triplesOf(await w.triples(), secret);
      return mine.length === MODELS.length && mine.every((row) => row.state === 'active') ? true : undefined;
    },
    30_000,
    'the key synced and probed active',
  );
}

describe('llmgw worker: the database restarts under it', () => {
  it('steps down, re-acquires leadership and keeps syncing and probing, without a restart of its own', async () => {
    // A server of this test's own: restarting the shared one would break every other test file.
    server = await createPrivatePostgres();
    const w = await createKeeperWorld(ledger, server.url);
    world = w;
    const before = newSecret(ledger, 'test-ok-');
    w.writeKeys('mock.txt', [before]);

    const worker = w.startWorker();
    await worker.waitForLine(isEvent('keeper.leadership_acquired'), LINE_TIMEOUT_MS);
    await activeSoon(w, before);

    // restart() with an outage the keeper must notice: it steps down and keeps retrying meanwhile.
    await server.stop();
    await worker.waitForLine(isEvent('keeper.leadership_lost'), LINE_TIMEOUT_MS);
    await worker.waitForLine(isEvent('keeper.leadership_retry'), LINE_TIMEOUT_MS);
    await server.start();
    await eventually(
      async () => (countEvents(worker, 'keeper.leadership_acquired') >= 2 ? true : undefined),
      30_000,
      'leadership acquired again',
    );
    // The new term's first full sync is done; what follows must come from the restarted file watcher.
    await eventually(
      async () => (countEvents(worker, 'keeper.sync') >= 2 ? true : undefined),
      LINE_TIMEOUT_MS,
      'the first sync after the restart',
    );
    const after = newSecret(ledger, 'test-ok-');
    w.writeKeys('mock/after-restart.txt', [after]);
    await activeSoon(w, after);
    expect(w.upstream.callsFor(after)).toHaveLength(MODELS.length);

    expect(worker.child.exitCode).toBeNull();
    expect(countEvents(worker, 'keeper.leadership_acquired')).toBe(2);
    expect(countEvents(worker, 'keeper.sync')).toBeGreaterThanOrEqual(3);
    // Healthy triples were not forgotten or re-probed because the server went away for a moment.
    expect(w.upstream.callsFor(before)).toHaveLength(MODELS.length);

    // Still one keeper underneath: it holds one lock session, and stops as cleanly as an untroubled one.
    const lockSessions = await w.query<{ sessions: number }>(
      "select count(*)::int as sessions from pg_stat_activity where application_name = 'llmgw-keeper-lock'",
    );
    expect(lockSessions).toEqual([{ sessions: 1 }]);
    const termAt = Date.now();
    worker.kill('SIGTERM');
    const exit = await Promise.race([
      worker.exited,
      new Promise<string>((resolve) => setTimeout(() => resolve('still running after 10 s'), 10_000)),
    ]);
    expect(exit, worker.lines().slice(-40).join('\n')).toBe(0);
    expect(Date.now() - termAt).toBeLessThan(5_000);
    expect(
      await w.query<{ sessions: number }>(
        "select count(*)::int as sessions from pg_stat_activity where application_name = 'llmgw-keeper-lock'",
      ),
    ).toEqual([{ sessions: 0 }]);
  }, 90_000);

  it('never writes a key into any log line', () => {
    expect(ledger.secrets.length).toBeGreaterThan(0);
    expect(ledger.processes.length).toBeGreaterThan(0);
    expect(findLeaks(ledger)).toEqual([]);
  });
});
