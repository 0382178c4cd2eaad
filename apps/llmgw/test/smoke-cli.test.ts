import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { maskKey } from '@llmgw/core';
import { createTestDatabase, type TestDatabase } from '@llmgw/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SmokeReport, SmokeResult } from '../src/smoke/types.js';
import {
  BOOT_TIMEOUT_MS,
  type ConductorWorld,
  createConductorWorld,
  type Gateway,
  SETUP_TIMEOUT_MS,
  stopWithin,
} from './conductor-world.js';
import { createSecretLedger, findLeaks, newSecret } from './keeper-world.js';
import { type CliRun, runCli } from './run-cli.js';
import { eventually } from './spawn-llmgw.js';

/** One CLI run boots tsx and loads the command's packages: seconds each while other test files load the cores. */
const CLI_TIMEOUT_MS = 90_000;
const TEST_TIMEOUT_MS = 3 * CLI_TIMEOUT_MS;

const ledger = createSecretLedger();
let database: TestDatabase | null = null;
let world: ConductorWorld | null = null;
let gateway: Gateway | null = null;

// keys/mixed.txt: a comment first, so line numbers are not list positions.
let good = '';
let mixedDead = '';
let mixedQuota = '';
// keys/broken.txt: nothing that works.
let brokenDead = '';
let brokenQuota = '';
// keys/flaky.txt: probed healthy, then turned bad while no keeper runs: only this run can see it.
let flakyDead = '';
let flakyQuota = '';
const keyIds = new Map<string, number>();

function providersYaml(upstreamUrl: string, port: number): string {
  return [
    'providers:',
    '  mixed:',
    '    type: openai_like',
    `    base_url: ${upstreamUrl}/v1`,
    '    models: [gpt-4o-mini, gpt-4o]',
    '  broken:',
    '    type: openai_like',
    `    base_url: ${upstreamUrl}/v1`,
    '    models: [gpt-4o-mini]',
    '  flaky:',
    '    type: openai_like',
    `    base_url: ${upstreamUrl}/v1`,
    '    models: [gpt-4o-mini]',
    'gateway:',
    `  port: ${port}`,
    'keeper:',
    '  probe:',
    '    schedule: "* * * * * *"',
    '    jitter: 0s',
    '',
  ].join('\n');
}

function cwd(): string {
  if (!world) throw new Error('no world');
  return world.cwd;
}

async function smoke(args: readonly string[], env: Record<string, string> = {}): Promise<CliRun> {
  const run = await runCli(['smoke', ...args], {
    cwd: cwd(),
    env: { DATABASE_URL: database?.url ?? '', ...env },
    timeoutMs: CLI_TIMEOUT_MS,
  });
  ledger.extraOutput.push(...run.stdout.split('\n'), ...run.stderr.split('\n'));
  return run;
}

function readReport(file = 'output/llm_smoke_report.json'): SmokeReport {
  const text = readFileSync(join(cwd(), file), 'utf8');
  ledger.extraOutput.push(...text.split('\n'));
  return JSON.parse(text) as SmokeReport;
}

function resultOf(report: SmokeReport, name: string): SmokeResult {
  const found = report.results.find((result) => `${result.provider}/${result.model}` === name);
  if (!found)
    throw new Error(`no result for ${name} in ${report.results.map((r) => `${r.provider}/${r.model}`)}`);
  return found;
}

/** The key problems of a result as `file:line reason seen`, in key order. */
function problemsOf(result: SmokeResult): string[] {
  return result.keyProblems.map(
    (problem) => `${problem.key.file}:${problem.key.line} ${problem.reason} ${problem.seen}`,
  );
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

beforeAll(async () => {
  database = await createTestDatabase();
  world = await createConductorWorld(ledger, database.url);
  writeFileSync(join(world.cwd, 'config', 'providers.yaml'), providersYaml(world.upstream.url, 0));
  good = newSecret(ledger, 'test-ok-');
  mixedDead = newSecret(ledger, 'test-401-');
  mixedQuota = newSecret(ledger, 'test-quota-');
  brokenDead = newSecret(ledger, 'test-401-');
  brokenQuota = newSecret(ledger, 'test-quota-');
  flakyDead = newSecret(ledger, 'test-ok-');
  flakyQuota = newSecret(ledger, 'test-ok-');
  mkdirSync(join(world.cwd, 'keys'), { recursive: true });
  writeFileSync(
    join(world.cwd, 'keys', 'mixed.txt'),
    `# the mixed pool\n${good}\n${mixedDead}\n${mixedQuota}\n`,
  );
  writeFileSync(join(world.cwd, 'keys', 'broken.txt'), `${brokenDead}\n${brokenQuota}\n`);
  writeFileSync(join(world.cwd, 'keys', 'flaky.txt'), `${flakyDead}\n${flakyQuota}\n`);

  const worker = world.startWorker();
  const expected: [string, string][] = [
    [good, 'active'],
    [mixedDead, 'dead'],
    [mixedQuota, 'no_quota'],
    [brokenDead, 'dead'],
    [brokenQuota, 'no_quota'],
    [flakyDead, 'active'],
    [flakyQuota, 'active'],
  ];
  const w = world;
  await eventually(
    async () => {
      const rows = await w.triples();
      for (const [secret, state] of expected) {
        const mine = rows.filter((row) => row.keyMask === maskKey(secret));
        if (mine.length === 0 || mine.some((row) => row.state !== state)) return undefined;
        keyIds.set(secret, mine[0]?.keyId ?? -1);
      }
      return true;
    },
    BOOT_TIMEOUT_MS,
    'every key synced and probed',
  );
  // No keeper from here on: the pool holds still, and the flaky keys' new behaviour stays unseen by it.
  expect(await stopWithin(worker, 15_000)).toBe(0);
  w.upstream.setBehavior(flakyDead, { kind: 'status', status: 401 });
  w.upstream.setBehavior(flakyQuota, { kind: 'status', status: 429, variant: 'insufficient_quota' });
  gateway = await w.startGateway();
  const listed = gateway;
  await eventually(
    async () => {
      const list = await listed.client.models.list();
      const ids = list.data.map((entry) => entry.id);
      return ids.includes('mixed/gpt-4o') && ids.includes('flaky/gpt-4o-mini') ? true : undefined;
    },
    15_000,
    'the gateway serves the pool',
  );
}, SETUP_TIMEOUT_MS);

afterAll(async () => {
  await world?.close();
  await database?.drop();
});

describe('llmgw smoke through the gateway', () => {
  it(
    'gives a verdict per provider/model, names the file and line of every bad key, and exits 1',
    async () => {
      const run = await smoke(['--url', gateway?.url ?? '', '--full']);
      expect(run.code, run.stderr).toBe(1);
      const report = readReport();
      expect(report).toMatchObject({
        mode: 'gateway',
        gateway: gateway?.url,
        verdict: 'failing',
        exitCode: 1,
        poolReadable: true,
        summary: { total: 4, ok: 0, degraded: 2, failing: 2 },
      });

      for (const name of ['mixed/gpt-4o-mini', 'mixed/gpt-4o']) {
        const mixed = resultOf(report, name);
        expect(mixed).toMatchObject({
          verdict: 'degraded',
          key: { keyId: keyIds.get(good), file: 'keys/mixed.txt', line: 2 },
        });
        expect(mixed.answer).toMatch(/^ok: llmgw smoke test/);
        expect(problemsOf(mixed)).toEqual([
          'keys/mixed.txt:3 invalid_key pool',
          'keys/mixed.txt:4 no_quota pool',
        ]);
        expect(mixed.keyProblems[0]?.hint).toContain('replace the key in keys/mixed.txt line 3');
        expect(mixed.keyProblems[1]?.hint).toContain('top up the account behind keys/mixed.txt line 4');
      }

      // Known bad to the pool: the gateway refuses without calling anyone, the pool says which keys.
      const broken = resultOf(report, 'broken/gpt-4o-mini');
      expect(broken).toMatchObject({ verdict: 'failing', reason: 'no_usable_upstream', status: 503 });
      expect(problemsOf(broken)).toEqual([
        'keys/broken.txt:1 invalid_key pool',
        'keys/broken.txt:2 no_quota pool',
      ]);
      expect(broken.hints[0]).toContain('llmgw keys status --provider broken');

      // Gone bad since the last probe: only the gateway's attempt trail of this very request shows it.
      const flaky = resultOf(report, 'flaky/gpt-4o-mini');
      expect(flaky.verdict).toBe('failing');
      expect(flaky.attempts.map((attempt) => attempt.key?.keyId).sort()).toEqual(
        [keyIds.get(flakyDead), keyIds.get(flakyQuota)].sort(),
      );
      expect(problemsOf(flaky)).toEqual([
        'keys/flaky.txt:1 invalid_key this_run',
        'keys/flaky.txt:2 no_quota this_run',
      ]);
      expect(flaky.keyProblems[0]?.hint).toContain('replace the key in keys/flaky.txt line 1');

      // The readable verdict on stdout; progress as JSON lines on stderr (not a TTY here).
      expect(run.stdout).toMatch(/FAILING\s+broken\/gpt-4o-mini\s+no_usable_upstream/);
      expect(run.stdout).toMatch(
        /DEGRADED\s+mixed\/gpt-4o\s+\d+ms\s+via key \d+ \(test-…\d{4}, keys\/mixed\.txt line 2\)/,
      );
      expect(run.stdout).toContain(
        '→ the provider rejects the key: replace the key in keys/mixed.txt line 3',
      );
      expect(run.stdout).toContain('report: output/llm_smoke_report.json · exit 1');
      const progress = run.stderr
        .split('\n')
        .filter((line) => line.includes('"smoke.checked"'))
        .map((line) => JSON.parse(line) as { done: number; total: number });
      expect(progress.map((line) => line.done).sort()).toEqual([1, 2, 3, 4]);
      expect(progress.every((line) => line.total === 4)).toBe(true);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'tests one model per provider by default, and exits 0 when every one answered unless --strict',
    async () => {
      const run = await smoke([
        '--url',
        gateway?.url ?? '',
        '--provider',
        'mixed',
        '--report',
        'output/mixed.json',
      ]);
      expect(run.code, run.stderr).toBe(0);
      const report = readReport('output/mixed.json');
      expect(report.results.map((result) => `${result.provider}/${result.model} ${result.verdict}`)).toEqual([
        'mixed/gpt-4o-mini degraded',
      ]);
      expect(report.exitCode).toBe(0);

      const strict = await smoke(['--url', gateway?.url ?? '', '--provider', 'mixed', '--strict']);
      expect(strict.code).toBe(1);
      expect(strict.stdout).toContain('exit 1 (keys are failing (--strict))');
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'cannot run against a gateway that is not there: exit 2 and a message saying how to start it',
    async () => {
      const port = await freePort();
      writeFileSync(join(cwd(), 'config', 'down.yaml'), providersYaml(world?.upstream.url ?? '', port));
      const run = await smoke(['--report', 'output/down.json'], { DATABASE_URL: '' });
      // `--config` is global: given before the command, like every other global option.
      const viaConfig = await runCli(['--config', 'config/down.yaml', 'smoke'], {
        cwd: cwd(),
        env: {},
        timeoutMs: CLI_TIMEOUT_MS,
      });
      ledger.extraOutput.push(viaConfig.stdout, viaConfig.stderr);
      expect(viaConfig.code).toBe(2);
      expect(viaConfig.stderr).toContain(
        `the gateway at http://127.0.0.1:${port} is not reachable (ECONNREFUSED)`,
      );
      expect(viaConfig.stderr).toContain('start it with `llmgw start`');
      expect(readReport()).toMatchObject({
        verdict: 'not_run',
        exitCode: 2,
        gateway: `http://127.0.0.1:${port}`,
      });
      // The world's own config listens on port 0: the smoke cannot guess where, and says so.
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('pass --url');
      expect(readReport('output/down.json')).toMatchObject({ verdict: 'not_run', exitCode: 2 });
    },
    TEST_TIMEOUT_MS,
  );
});

describe('llmgw smoke --direct', () => {
  it(
    'calls every key of every model straight at the provider and names each bad key',
    async () => {
      const before = world?.upstream.calls().length ?? 0;
      const run = await smoke(['--direct', '--full', '--report', 'output/direct.json']);
      expect(run.code, run.stderr).toBe(1);
      const report = readReport('output/direct.json');
      expect(report).toMatchObject({
        mode: 'direct',
        gateway: null,
        summary: { total: 4, degraded: 2, failing: 2 },
      });

      const mixed = resultOf(report, 'mixed/gpt-4o-mini');
      expect(mixed.verdict).toBe('degraded');
      expect(mixed.attempts.map((attempt) => `${attempt.key?.line} ${attempt.outcome}`).sort()).toEqual([
        '2 ok',
        '3 invalid_key',
        '4 no_quota',
      ]);
      expect(problemsOf(mixed)).toEqual([
        'keys/mixed.txt:3 invalid_key this_run',
        'keys/mixed.txt:4 no_quota this_run',
      ]);

      const flaky = resultOf(report, 'flaky/gpt-4o-mini');
      expect(flaky.verdict).toBe('failing');
      expect(problemsOf(flaky)).toEqual([
        'keys/flaky.txt:1 invalid_key this_run',
        'keys/flaky.txt:2 no_quota this_run',
      ]);

      // Straight to the upstream with each key, once per key and model: 3 + 3 + 2 + 2 chat calls.
      const chats = (world?.upstream.calls() ?? []).slice(before).filter((call) => call.operation === 'chat');
      expect(chats).toHaveLength(10);
      expect(
        chats
          .filter((call) => call.key === good)
          .map((call) => call.model)
          .sort(),
      ).toEqual(['gpt-4o', 'gpt-4o-mini']);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'by default asks the healthiest key first and stops at the first answer',
    async () => {
      const before = world?.upstream.calls().length ?? 0;
      const run = await smoke(['--direct', '--provider', 'mixed', '--report', 'output/direct-one.json']);
      expect(run.code, run.stderr).toBe(0);
      const mixed = resultOf(readReport('output/direct-one.json'), 'mixed/gpt-4o-mini');
      expect(mixed.attempts.map((attempt) => `${attempt.key?.keyId} ${attempt.outcome}`)).toEqual([
        `${keyIds.get(good)} ok`,
      ]);
      // The pool still knows the bad keys, so the verdict says so with their lines.
      expect(problemsOf(mixed)).toEqual([
        'keys/mixed.txt:3 invalid_key pool',
        'keys/mixed.txt:4 no_quota pool',
      ]);
      const chats = (world?.upstream.calls() ?? []).slice(before).filter((call) => call.operation === 'chat');
      expect(chats.map((call) => call.key)).toEqual([good]);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'needs the database of the pool: a wrong DATABASE_URL is exit 2',
    async () => {
      const run = await smoke(['--direct', '--report', 'output/nodb.json'], {
        DATABASE_URL: 'postgres://postgres@127.0.0.1:1/nowhere',
      });
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('llmgw smoke: could not run:');
      expect(readReport('output/nodb.json')).toMatchObject({ verdict: 'not_run', exitCode: 2 });
    },
    TEST_TIMEOUT_MS,
  );

  it('never prints or reports a key', () => {
    expect(findLeaks(ledger)).toEqual([]);
  });
});
