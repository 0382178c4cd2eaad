import { createTestDatabase, type TestDatabase } from '@llmgw/db/testing';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  countEvents,
  createKeeperWorld,
  createSecretLedger,
  findLeaks,
  isEvent,
  isMessage,
  type KeeperWorld,
  LINE_TIMEOUT_MS,
  MODELS,
  newSecret,
  parseLine,
} from './keeper-world.js';
import { eventually, type LlmgwProcess } from './spawn-llmgw.js';

const ledger = createSecretLedger();
let world: KeeperWorld | null = null;
let database: TestDatabase | null = null;

async function openWorld(): Promise<KeeperWorld> {
  database = await createTestDatabase();
  world = await createKeeperWorld(ledger, database.url);
  return world;
}

afterEach(async () => {
  await world?.close();
  world = null;
  await database?.drop();
  database = null;
});

afterAll(async () => {
  await world?.close();
  await database?.drop();
});

const timeOf = (line: string): number => parseLine(line)?.time ?? Number.NaN;

/** Resolves once `worker` has logged `event` at least `count` times. */
function waitForEvents(worker: LlmgwProcess, event: string, count: number): Promise<number> {
  return eventually(
    async () => (countEvents(worker, event) >= count ? countEvents(worker, event) : undefined),
    LINE_TIMEOUT_MS,
    `${count}× ${event}`,
  );
}

async function allActive(w: KeeperWorld, secrets: readonly string[]): Promise<true> {
  return eventually(
    async () => {
      const rows = await w.triples();
      const done = secrets.every((secret) => {
        const mine = w.triplesOf(rows, secret);
        return mine.length === MODELS.length && mine.every((row) => row.state === 'active');
      });
      return done ? true : undefined;
    },
    LINE_TIMEOUT_MS,
    'keys synced and probed active',
  );
}

describe('llmgw worker: one leader per database', () => {
  it('lets exactly one of two workers lead and probe; when the leader is killed -9 the other takes over', async () => {
    const w = await openWorld();
    const first = newSecret(ledger, 'test-ok-');
    w.writeKeys('mock.txt', [first]);

    // Started together, so they really race for the lock.
    const workers = [w.startWorker(), w.startWorker()];
    const leader = await Promise.any(
      workers.map((worker) =>
        worker.waitForLine(isEvent('keeper.leadership_acquired'), LINE_TIMEOUT_MS).then(() => worker),
      ),
    );
    const standby = workers.find((worker) => worker !== leader);
    if (!standby) throw new Error('two workers expected');
    await standby.waitForLine(isMessage('keeper started'), LINE_TIMEOUT_MS);
    await allActive(w, [first]);
    // The standby has had several lock checks (every ~2 s) while the leader probed once a second.
    const ticksAtStandbyStart = countEvents(leader, 'keeper.probe_tick');
    await waitForEvents(leader, 'keeper.probe_tick', ticksAtStandbyStart + 5);

    expect(countEvents(leader, 'keeper.leadership_acquired')).toBe(1);
    expect(countEvents(standby, 'keeper.leadership_acquired')).toBe(0);
    expect(countEvents(standby, 'keeper.probe_tick')).toBe(0);
    expect(countEvents(standby, 'keeper.sync')).toBe(0);
    expect(w.upstream.callsFor(first)).toHaveLength(MODELS.length);

    leader.kill('SIGKILL');
    const killedAt = Date.now();
    expect(await leader.exited).toBe(137);
    const late = newSecret(ledger, 'test-ok-');
    w.writeKeys('mock/late.txt', [late]);

    const acquired = await standby.waitForLine(isEvent('keeper.leadership_acquired'), LINE_TIMEOUT_MS);
    // Postgres frees the lock as soon as the dead leader's socket closes; the standby checks every ~2 s.
    expect(timeOf(acquired) - killedAt).toBeLessThan(8_000);
    await allActive(w, [first, late]);
    expect(w.upstream.callsFor(late)).toHaveLength(MODELS.length);
    await standby.waitForLine(isEvent('keeper.probe_tick'), LINE_TIMEOUT_MS);
    // The new leader did not probe again what the old one had already found healthy.
    expect(w.upstream.callsFor(first)).toHaveLength(MODELS.length);
  }, 60_000);

  it('exits 0 promptly on SIGTERM, even with a probe in flight, and releases the lock at once', async () => {
    const w = await openWorld();
    const ok = newSecret(ledger, 'test-ok-');
    const hanging = newSecret(ledger, 'test-hang-');
    w.writeKeys('mock.txt', [ok, hanging]);

    const first = w.startWorker();
    await first.waitForLine(isEvent('keeper.leadership_acquired'), LINE_TIMEOUT_MS);
    // The hanging key's probes are open upstream (the probe timeout is 20 s): stopping must abort them.
    // (Its batch, the ok key's probes included, is recorded only once every probe in it has ended.)
    await eventually(
      async () =>
        w.upstream.callsFor(hanging).filter((call) => call.status === 0).length > 0 ? true : undefined,
      LINE_TIMEOUT_MS,
      'a probe hanging upstream',
    );

    const termAt = Date.now();
    first.kill('SIGTERM');
    const code = await first.exited;
    const tookMs = Date.now() - termAt;
    expect(code).toBe(0);
    expect(tookMs).toBeLessThan(5_000);
    await first.waitForLine(isMessage('keeper stopped'), 1_000);
    await eventually(
      async () => (w.upstream.inFlight() === 0 ? true : undefined),
      5_000,
      'the hanging probe aborted',
    );
    // An aborted probe is our shutdown, not the key's fault: its triples are still waiting for a verdict.
    const hangingRows = w.triplesOf(await w.triples(), hanging);
    expect(hangingRows.map((row) => row.state)).toEqual(MODELS.map(() => 'untested'));

    const second = w.startWorker();
    const started = await second.waitForLine(isMessage('keeper started'), LINE_TIMEOUT_MS);
    const acquired = await second.waitForLine(isEvent('keeper.leadership_acquired'), LINE_TIMEOUT_MS);
    // Its very first try wins: a lock still held would cost at least one ~2 s check interval.
    expect(timeOf(acquired) - timeOf(started)).toBeLessThan(1_500);
    expect(second.lines().filter(isEvent('keeper.leadership_retry'))).toEqual([]);
  }, 60_000);

  it('never writes a key into any log line', () => {
    expect(ledger.secrets.length).toBeGreaterThan(0);
    expect(ledger.processes.length).toBeGreaterThan(0);
    expect(findLeaks(ledger)).toEqual([]);
  });
});
