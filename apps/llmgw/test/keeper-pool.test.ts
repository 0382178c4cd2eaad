import type { TripleView } from '@llmgw/db';
import { createTestDatabase, type TestDatabase } from '@llmgw/db/testing';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  createKeeperWorld,
  createSecretLedger,
  findLeaks,
  isEvent,
  type KeeperWorld,
  LINE_TIMEOUT_MS,
  MODELS,
  newSecret,
  parseLine,
} from './keeper-world.js';
import { makeTempDir, runCli } from './run-cli.js';
import { eventually } from './spawn-llmgw.js';

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

const SIX_HOURS_MS = 6 * 60 * 60 * 1000;
const STACK_FRAME = /\n\s+at .+:\d+:\d+/;

/** The rows of `secret`, once there is one per model and every one satisfies `settled`. */
function settledRows(
  rows: readonly TripleView[],
  world: KeeperWorld,
  secret: string,
  settled: (row: TripleView) => boolean,
): TripleView[] | undefined {
  const mine = world.triplesOf(rows, secret);
  return mine.length === MODELS.length && mine.every(settled) ? mine : undefined;
}

describe('llmgw worker: probing a pool', () => {
  it('puts ok, dead, quota, rate-limited, no-model and flaky keys into their states within one probe cycle', async () => {
    const w = await openWorld();
    const ok = newSecret(ledger, 'test-ok-');
    const dead = newSecret(ledger, 'test-401-');
    const quota = newSecret(ledger, 'test-quota-');
    const limited = newSecret(ledger, 'test-429-');
    const nomodel = newSecret(ledger, 'test-nomodel-');
    const flaky = newSecret(ledger, 'test-flaky-');
    w.writeKeys('mock.txt', ['# the whole zoo', ok, dead, quota, limited, '', nomodel, flaky]);

    const worker = w.startWorker();
    await worker.waitForLine(isEvent('keeper.leadership_acquired'), LINE_TIMEOUT_MS);
    await worker.waitForLine(isEvent('keeper.sync'), LINE_TIMEOUT_MS);

    const rows = await eventually(
      async () => {
        const rows = await w.triples();
        const ready =
          settledRows(rows, w, ok, (row) => row.state === 'active') &&
          settledRows(rows, w, dead, (row) => row.state === 'dead') &&
          settledRows(rows, w, quota, (row) => row.state === 'no_quota') &&
          settledRows(rows, w, limited, (row) => row.state === 'cooldown') &&
          settledRows(rows, w, nomodel, (row) => row.state === 'unsupported') &&
          // Flaky: every second call fails, so one probe per model leaves at least one active.
          settledRows(rows, w, flaky, (row) => row.state === 'active' || row.state === 'untested') &&
          w.triplesOf(rows, flaky).some((row) => row.state === 'active');
        return ready ? rows : undefined;
      },
      LINE_TIMEOUT_MS,
      'every key in its state',
    );

    const reasons = (secret: string) => w.triplesOf(rows, secret).map((row) => row.reason);
    expect(reasons(ok)).toEqual([null, null]);
    expect(reasons(dead)).toEqual(['invalid_key', 'invalid_key']);
    expect(reasons(quota)).toEqual(['no_quota', 'no_quota']);
    expect(reasons(limited)).toEqual(['rate_limited', 'rate_limited']);
    expect(reasons(nomodel)).toEqual(['model_unavailable', 'model_unavailable']);
    // One 500 is below the breaker threshold: a flaky key is never condemned by it.
    expect(reasons(flaky)).toEqual([null, null]);
    expect(w.upstream.callsFor(flaky).some((call) => call.status === 500)).toBe(true);

    // One probe per triple was enough for every verdict, and verdicts are not probed again soon.
    for (const secret of [ok, dead, quota, nomodel]) {
      expect(
        w.upstream
          .callsFor(secret)
          .map((call) => call.model)
          .sort(),
      ).toEqual([...MODELS].sort());
    }

    // Cooldown ends follow the upstream's word: Retry-After 2 s, and the 6 h quota default.
    for (const row of w.triplesOf(rows, limited)) {
      const until = row.cooldownUntil?.getTime() ?? Number.NaN;
      const probes = w.upstream.callsFor(limited).filter((call) => call.model === row.model);
      const closest = Math.min(...probes.map((call) => Math.abs(call.at + 2_000 - until)));
      expect(closest, `cooldown of ${row.model} vs. probe time + 2 s`).toBeLessThan(1_000);
    }
    for (const row of w.triplesOf(rows, quota)) {
      const until = row.cooldownUntil?.getTime() ?? Number.NaN;
      const probe = w.upstream.callsFor(quota).find((call) => call.model === row.model);
      expect(Math.abs((probe?.at ?? 0) + SIX_HOURS_MS - until)).toBeLessThan(60_000);
    }
    // Dead and unsupported wait for the daily amnesty, not a clock.
    for (const secret of [dead, nomodel]) {
      expect(w.triplesOf(rows, secret).map((row) => row.cooldownUntil)).toEqual([null, null]);
    }

    // A 2 s cooldown really ends: the rate-limited key is probed again within seconds.
    await eventually(
      async () => (w.upstream.callsFor(limited).length >= 2 * MODELS.length + 1 ? true : undefined),
      LINE_TIMEOUT_MS,
      'the rate-limited key probed again after its cooldown',
    );

    // The operator's view agrees, by mask only (the flaky key may still be mid-retry, so it is left out).
    const status = await runCli(['keys', 'status', '--json'], {
      cwd: w.cwd,
      env: { DATABASE_URL: w.databaseUrl },
    });
    ledger.extraOutput.push(status.stdout, status.stderr);
    expect(status.code).toBe(0);
    const shown = JSON.parse(status.stdout) as { keyMask: string; model: string; state: string }[];
    expect(shown).toHaveLength(6 * MODELS.length);
    const settled = (list: readonly { keyMask: string; model: string; state: string }[]) =>
      list
        .filter((row) => !w.triplesOf(rows, flaky).some((mine) => mine.keyMask === row.keyMask))
        .map((row) => `${row.keyMask} ${row.model} ${row.state}`)
        .sort();
    expect(settled(shown)).toEqual(settled(rows));

    const ticks = worker.lines().filter(isEvent('keeper.probe_tick'));
    expect(ticks.length).toBeGreaterThan(0);
  }, 60_000);

  it('follows key files being added, edited and deleted while it runs, and skips a malformed line', async () => {
    const w = await openWorld();
    const first = newSecret(ledger, 'test-ok-');
    const second = newSecret(ledger, 'test-ok-');
    w.writeKeys('mock.txt', [first, second]);
    const worker = w.startWorker();
    await eventually(
      async () => {
        const rows = await w.triples();
        return settledRows(rows, w, first, (row) => row.state === 'active') &&
          settledRows(rows, w, second, (row) => row.state === 'active')
          ? true
          : undefined;
      },
      LINE_TIMEOUT_MS,
      'the first keys active',
    );

    // Edit: one key replaced by another, plus a malformed line (a key broken by a space) in between.
    const replacement = newSecret(ledger, 'test-ok-');
    const broken = newSecret(ledger, 'test-ok-');
    const [brokenHead, brokenTail] = [broken.slice(0, 22), broken.slice(22)];
    ledger.fragments.push(brokenHead, brokenTail);
    w.writeKeys('mock.txt', [first, `${brokenHead} ${brokenTail}`, replacement]);
    // Add: a second file in the provider's folder.
    const added = newSecret(ledger, 'test-ok-');
    w.writeKeys('mock/extra.txt', [added]);

    const malformed = await worker.waitForLine(isEvent('keeper.sync.malformed'), LINE_TIMEOUT_MS);
    expect(parseLine(malformed)).toMatchObject({ file: 'keys/mock.txt', line: 2 });
    expect(parseLine(malformed)?.msg).toMatch(/^keys\/mock\.txt:2: /);

    await eventually(
      async () => {
        const rows = await w.triples();
        return settledRows(rows, w, first, (row) => row.state === 'active') &&
          settledRows(rows, w, second, (row) => row.state === 'removed') &&
          settledRows(rows, w, replacement, (row) => row.state === 'active') &&
          settledRows(rows, w, added, (row) => row.state === 'active') &&
          w.triplesOf(rows, broken).length === 0
          ? true
          : undefined;
      },
      LINE_TIMEOUT_MS,
      'the edited and added keys synced and probed, the replaced key removed',
    );
    expect(w.upstream.callsFor(replacement).length).toBeGreaterThan(0);
    expect(w.upstream.callsFor(added).length).toBeGreaterThan(0);
    expect(w.upstream.calls().some((call) => call.key.includes(brokenTail))).toBe(false);

    // Delete: the whole extra file goes; its key is removed, its history stays.
    w.removeKeys('mock/extra.txt');
    const rows = await eventually(
      async () => {
        const rows = await w.triples();
        return settledRows(rows, w, added, (row) => row.state === 'removed') ? rows : undefined;
      },
      LINE_TIMEOUT_MS,
      'the key of the deleted file removed',
    );
    expect(rows.filter((row) => row.state === 'active')).toHaveLength(2 * MODELS.length);
  }, 60_000);

  it('logs a failing sync and probe tick without quoting any key, and carries on once writes work again', async () => {
    const w = await openWorld();
    const first = newSecret(ledger, 'test-ok-');
    w.writeKeys('mock.txt', [first]);
    const worker = w.startWorker();
    await eventually(
      async () => settledRows(await w.triples(), w, first, (row) => row.state === 'active'),
      LINE_TIMEOUT_MS,
      'the first key active',
    );

    // The database refuses new keys and probe records (a full disk, a permissions slip, a bad migration).
    await w.query(
      "create function refuse_for_test() returns trigger language plpgsql as $$ begin raise exception 'refused by the test'; end $$",
    );
    await w.query(
      'create trigger refuse_keys before insert on keys for each row execute function refuse_for_test()',
    );
    await w.query(
      'create trigger refuse_attempts before insert on attempts for each row execute function refuse_for_test()',
    );
    const second = newSecret(ledger, 'test-ok-');
    w.writeKeys('mock/second.txt', [second]);
    const syncFailed = await worker.waitForLine(isEvent('keeper.sync.failed'), LINE_TIMEOUT_MS);
    expect(parseLine(syncFailed)?.error).toContain('refused by the test');

    // Reset the healthy key so it is due: its probe results cannot be written, so the tick fails.
    const reset = await runCli(['keys', 'reset', 'mock'], {
      cwd: w.cwd,
      env: { DATABASE_URL: w.databaseUrl },
    });
    ledger.extraOutput.push(reset.stdout, reset.stderr);
    expect(reset.code).toBe(0);
    const tickFailed = await worker.waitForLine(isEvent('keeper.probe_tick_failed'), LINE_TIMEOUT_MS);
    expect(parseLine(tickFailed)?.error).toContain('refused by the test');
    // Failed ticks keep coming (the reset triples stay due) and the worker lives through them.
    await eventually(
      async () => {
        if (worker.child.exitCode !== null) throw new Error(`the worker exited (${worker.child.exitCode})`);
        return worker.lines().filter(isEvent('keeper.probe_tick_failed')).length >= 2 ? true : undefined;
      },
      LINE_TIMEOUT_MS,
      'a second failed probe tick',
    );
    expect(worker.child.exitCode).toBeNull();

    await w.query('drop trigger refuse_keys on keys');
    await w.query('drop trigger refuse_attempts on attempts');
    // The next trigger (here a file change) syncs what failed before; the due triples are probed.
    w.writeKeys('mock/second.txt', [second, '# retried']);
    await eventually(
      async () => {
        const rows = await w.triples();
        return settledRows(rows, w, first, (row) => row.state === 'active') &&
          settledRows(rows, w, second, (row) => row.state === 'active')
          ? true
          : undefined;
      },
      LINE_TIMEOUT_MS,
      'both keys active after the database accepts writes again',
    );
    expect(worker.child.exitCode).toBeNull();
  }, 60_000);

  it('refuses to start without DATABASE_URL, naming it and `llmgw start`, without a stack trace', async () => {
    const cwd = makeTempDir();
    const run = await runCli(['worker'], { cwd, env: {} });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('DATABASE_URL');
    expect(run.stderr).toContain('llmgw start');
    expect(run.stderr).not.toMatch(STACK_FRAME);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('never writes a key into any log line', () => {
    expect(ledger.secrets.length).toBeGreaterThan(0);
    expect(ledger.processes.length).toBeGreaterThan(0);
    expect(findLeaks(ledger)).toEqual([]);
  });
});

afterAll(async () => {
  await world?.close();
  await database?.drop();
});
