import { maskKey } from '@llmgw/core';
import { type AttemptRow, type AttemptStats, createDatabase, insertAttempts } from '@llmgw/db';
import { createTestDatabase, type TestDatabase } from '@llmgw/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ConductorWorld,
  createConductorWorld,
  type Gateway,
  MODEL,
  parseTrail,
  SETUP_TIMEOUT_MS,
  stopWithin,
} from './conductor-world.js';
import { createSecretLedger, findLeaks, newSecret } from './keeper-world.js';
import { type CliRun, runCli } from './run-cli.js';
import { eventually } from './spawn-llmgw.js';

const CLI_TIMEOUT_MS = 90_000;
const TEST_TIMEOUT_MS = 3 * CLI_TIMEOUT_MS;
const REQUESTS = 8;

const ledger = createSecretLedger();
let database: TestDatabase | null = null;
let world: ConductorWorld | null = null;
let gateway: Gateway | null = null;
let good = '';
let bad = '';
const ids = new Map<string, number>();
/** What the gateway told the client, summed over the scripted traffic: the truth `stats` must match. */
const seen = { attempts: 0, invalidKey: 0 };

/** Requests of a provider no gateway serves, written straight into the log with known figures. */
function scripted(
  requestId: string,
  latencyMs: number,
  promptTokens: number,
  cachedTokens: number,
): AttemptRow {
  return {
    requestId,
    attemptNo: 1,
    final: true,
    provider: 'scripted',
    model: 'm',
    keyId: null,
    tripleId: null,
    proxyId: null,
    outcome: 'ok',
    status: 200,
    latencyMs,
    ttfbMs: null,
    promptTokens,
    completionTokens: 5,
    cachedTokens,
    stream: false,
    message: null,
  };
}

async function stats(args: readonly string[]): Promise<CliRun> {
  const run = await runCli(['stats', ...args], {
    cwd: world?.cwd ?? '.',
    env: { DATABASE_URL: database?.url ?? '' },
    timeoutMs: CLI_TIMEOUT_MS,
  });
  ledger.extraOutput.push(...run.stdout.split('\n'), ...run.stderr.split('\n'));
  return run;
}

async function statsJson(args: readonly string[]): Promise<AttemptStats> {
  const run = await stats([...args, '--json']);
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as AttemptStats;
}

beforeAll(async () => {
  database = await createTestDatabase();
  world = await createConductorWorld(ledger, database.url);
  good = newSecret(ledger, 'test-ok-');
  bad = newSecret(ledger, 'test-ok-');
  world.writeKeys([good, bad]);
  // The good key is the slower one, so the pool (which prefers fast keys) meets the bad one early.
  world.upstream.setBehavior(good, { kind: 'ok', delayMs: 300 });
  const worker = world.startWorker();
  for (const [secret, id] of await world.activeKeys([good, bad])) ids.set(secret, id);
  expect(await stopWithin(worker, 15_000)).toBe(0);
  // Revoked after its probe: the gateway meets it on real traffic and fails over.
  world.upstream.setBehavior(bad, { kind: 'status', status: 401 });
  gateway = await world.startGateway();
  await world.servable(gateway, MODEL);

  for (let index = 0; index < REQUESTS; index += 1) {
    const { response } = await gateway.client.chat.completions
      .create({ model: MODEL, messages: [{ role: 'user', content: `stats ${index}` }] })
      .withResponse();
    expect(response.status).toBe(200);
    const trail = parseTrail(response.headers.get('x-llm-attempt-trail'));
    seen.attempts += trail.length;
    seen.invalidKey += trail.filter((entry) => entry.word === 'invalid_key').length;
  }
  const w = world;
  // The gateway writes attempts in batches, off the request path.
  await eventually(
    async () => {
      const [row] = await w.query<{ n: number }>(
        'select count(*)::int as n from attempts where not probe and provider = $1',
        ['mock'],
      );
      return row?.n === seen.attempts ? true : undefined;
    },
    30_000,
    'every attempt recorded',
  );

  const writer = await createDatabase({ url: database.url });
  try {
    await insertAttempts(writer, [
      scripted('s1', 100, 1000, 0),
      scripted('s2', 200, 1000, 500),
      scripted('s3', 300, 1000, 250),
      scripted('s4', 1000, 1000, 250),
    ]);
  } finally {
    await writer.close();
  }
}, SETUP_TIMEOUT_MS);

afterAll(async () => {
  await world?.close();
  await database?.drop();
});

describe('llmgw stats', () => {
  it(
    'counts the gateway’s requests, fallbacks and errors by reason as its clients saw them',
    async () => {
      const result = await statsJson(['--since', '1h']);
      const mock = result.groups.find((group) => group.provider === 'mock');
      expect(seen.invalidKey).toBe(1);
      expect(mock).toMatchObject({
        requests: REQUESTS,
        attempts: seen.attempts,
        failedAttempts: seen.invalidKey,
        failedRequests: 0,
        fallbacks: seen.attempts - REQUESTS,
        retriedRequests: seen.attempts - REQUESTS,
        errors: { invalid_key: seen.invalidKey },
      });
      expect(mock?.errorRate).toBeCloseTo(seen.invalidKey / seen.attempts);
      expect(mock?.latencyMs.p50).toBeGreaterThan(0);
      expect(mock?.tokens.prompt).toBeGreaterThan(0);
      expect(result.totals).toMatchObject({ requests: REQUESTS + 4, attempts: seen.attempts + 4 });
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'computes p50/p95 latency and the cached-token share per provider',
    async () => {
      const result = await statsJson(['--by', 'model']);
      const row = result.groups.find((group) => group.provider === 'scripted');
      expect(row).toMatchObject({
        model: 'm',
        requests: 4,
        tokens: { prompt: 4000, completion: 20, cached: 1000 },
      });
      // Latencies 100, 200, 300, 1000: percentile_cont gives 250 and 300 + 0.85 × 700.
      expect(row?.latencyMs.p50).toBeCloseTo(250);
      expect(row?.latencyMs.p95).toBeCloseTo(895);
      const share = Object.fromEntries(result.cachedShare.map((entry) => [entry.provider, entry.share]));
      expect(share.scripted).toBeCloseTo(0.25);
      // The fake upstream reports no cached tokens: a share of zero, not a missing provider.
      expect(share.mock).toBe(0);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'breaks the figures down by key, named by id and mask only',
    async () => {
      const result = await statsJson(['--by', 'key', '--provider', 'mock']);
      expect(result.groups.map((group) => group.provider)).toEqual(['mock', 'mock']);
      expect(result.groups.find((group) => group.keyId === ids.get(good))).toMatchObject({
        keyMask: maskKey(good),
        requests: REQUESTS,
        failedAttempts: 0,
      });
      expect(result.groups.find((group) => group.keyId === ids.get(bad))).toMatchObject({
        keyMask: maskKey(bad),
        requests: 0,
        fallbacks: 1,
        errors: { invalid_key: 1 },
      });
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'leaves the keeper’s probes out unless asked',
    async () => {
      const traffic = await statsJson(['--provider', 'mock']);
      const withProbes = await statsJson(['--provider', 'mock', '--probes']);
      expect(withProbes.includeProbes).toBe(true);
      expect(withProbes.totals.attempts).toBeGreaterThanOrEqual(traffic.totals.attempts + 2);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'renders a table per group with the summary and the cached-token share',
    async () => {
      const run = await stats(['--since', '2h']);
      expect(run.code, run.stderr).toBe(0);
      const lines = run.stdout.split('\n');
      expect(run.stdout).toMatch(/^last 2h \(.* UTC\), by provider, real requests \(probes left out\)/);
      expect(run.stdout).toContain(`requests ${REQUESTS + 4}, failed 0 (0.0%)`);
      expect(run.stdout).toContain('errors by reason: invalid_key 1');
      expect(
        lines.some((line) =>
          /^provider\s+requests\s+failed\s+attempts\s+err%\s+fallbacks\s+p50\s+p95/.test(line),
        ),
      ).toBe(true);
      expect(lines.find((line) => line.startsWith('scripted '))).toMatch(
        /^scripted\s+4\s+0\s+4\s+0\.0%\s+0\s+250ms\s+895ms\s+4,000\s+20\s+1,000\s+-$/,
      );
      expect(lines.find((line) => line.startsWith('mock '))).toMatch(/invalid_key 1$/);
      expect(run.stdout).toContain('cached-token share per provider (cached / prompt tokens)');
      expect(lines).toContainEqual(expect.stringMatching(/^scripted\s+4,000\s+1,000\s+25\.0%$/));
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'refuses a --since it cannot read, and an unknown --by, with exit 1',
    async () => {
      const since = await stats(['--since', 'yesterday']);
      expect(since.code).toBe(1);
      expect(since.stderr).toContain('--since expects a duration like 30m, 6h or 7d, got "yesterday"');
      const by = await stats(['--by', 'region']);
      expect(by.code).toBe(1);
      expect(by.stderr).toContain('--by expects one of provider, model, key, got "region"');
    },
    TEST_TIMEOUT_MS,
  );

  it('never prints a key', () => {
    expect(findLeaks(ledger)).toEqual([]);
  });
});
