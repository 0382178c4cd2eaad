import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Exposition, readExposition } from '@llmgw/conductor';
import { createTestDatabase, type TestDatabase } from '@llmgw/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import {
  type ConductorWorld,
  createConductorWorld,
  type Gateway,
  gatewayOf,
  MODEL,
  SETUP_TIMEOUT_MS,
  stopWithin,
} from './conductor-world.js';
import { createSecretLedger, isMessage, LINE_TIMEOUT_MS, newSecret, parseLine } from './keeper-world.js';
import { eventually } from './spawn-llmgw.js';

/*
 * `llmgw start` on Postgres (keeper and gateway in one process, one registry): scripted traffic with a
 * failover, then `/metrics` read back. The same live exposition checks the shipped Grafana dashboard
 * and alert rules: every metric and label they query must exist. `llmgw worker` serves its own port.
 */

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const DASHBOARD = join(REPO, 'monitoring/grafana/dashboards/llm_gateway.json');
const ALERTS = join(REPO, 'monitoring/prometheus/alerts/llm_gateway.yml');
/** Labels Prometheus itself adds to every scraped series. */
const TARGET_LABELS = new Set(['instance', 'job']);
const REQUESTS = 4;

const ledger = createSecretLedger();
let database: TestDatabase | null = null;
let world: ConductorWorld | null = null;
let gateway: Gateway;
let workerPort = 0;
let limited = '';
let good = '';
/** The scrape after the scripted traffic (the dashboard and alert checks read it too). */
let live: Exposition & { text: string; contentType: string | null };

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

async function scrape(url: string): Promise<Exposition & { text: string; contentType: string | null }> {
  const response = await fetch(url);
  expect(response.status).toBe(200);
  const text = await response.text();
  return { ...readExposition(text), text, contentType: response.headers.get('content-type') };
}

beforeAll(async () => {
  database = await createTestDatabase();
  world = await createConductorWorld(ledger, database.url);
  workerPort = await freePort();
  // keeper.metrics_port is the worker's alone; `start` below ignores it (its gateway serves everything).
  const configFile = join(world.cwd, 'config', 'providers.yaml');
  writeFileSync(
    configFile,
    readFileSync(configFile, 'utf8').replace('keeper:\n', `keeper:\n  metrics_port: ${workerPort}\n`),
  );
  limited = newSecret(ledger, 'test-ok-');
  good = newSecret(ledger, 'test-ok-');
  world.writeKeys([limited, good]);
  // The good key is slow from its first probe on, so the pool tries the other one first.
  world.upstream.setBehavior(good, {
    kind: 'ok',
    delayMs: 400,
    usage: { promptTokens: 13, completionTokens: 4 },
  });
  gateway = await gatewayOf(world.spawn(['start'], { DATABASE_URL: database.url }));
  await world.activeKeys([limited, good]);
  await world.servable(gateway, MODEL);
}, SETUP_TIMEOUT_MS);

afterAll(async () => {
  await world?.close();
  await database?.drop();
});

describe('llmgw start: GET /metrics', () => {
  it('counts the scripted traffic: requests, attempts, one fallback, tokens, latency', async () => {
    const w = world as ConductorWorld;
    w.upstream.setBehavior(limited, { kind: 'status', status: 429, retryAfterSec: 60 });
    // The pool prefers the fast (429) key, so the first request normally fails over; the key then cools
    // down for 60 s. Whichever request meets it, exactly one does.
    const attempts: string[] = [];
    for (let n = 0; n < REQUESTS || !attempts.includes('2'); n += 1) {
      const { response } = await gateway.client.chat.completions
        .create({ model: MODEL, messages: [{ role: 'user', content: `question ${n}` }] })
        .withResponse();
      attempts.push(response.headers.get('x-llm-attempts') ?? '');
      if (n > 10) throw new Error(`no request met the 429 key: ${attempts.join(',')}`);
    }
    expect(attempts.filter((count) => count === '2')).toHaveLength(1);
    expect(attempts.filter((count) => count !== '1' && count !== '2')).toEqual([]);
    const requests = attempts.length;

    live = await scrape(`${gateway.url}/metrics`);
    const m = live;
    expect(m.value('llm_gateway_requests_total', { provider: 'mock', model: MODEL, code: '200' })).toBe(
      requests,
    );
    expect(m.value('llm_gateway_attempts_total', { provider: 'mock', reason: 'rate_limited' })).toBe(1);
    expect(m.value('llm_gateway_attempts_total', { provider: 'mock', reason: 'ok' })).toBe(requests);
    expect(m.value('llm_gateway_fallbacks_total', { from: 'mock', to: 'mock', reason: 'rate_limited' })).toBe(
      1,
    );
    expect(m.value('llm_gateway_tokens_total', { provider: 'mock', model: MODEL, kind: 'prompt' })).toBe(
      13 * requests,
    );
    expect(m.value('llm_gateway_tokens_total', { provider: 'mock', model: MODEL, kind: 'completion' })).toBe(
      4 * requests,
    );
    expect(m.value('llm_gateway_request_duration_seconds_count', { provider: 'mock', stream: 'false' })).toBe(
      requests,
    );
    // Every request waited for the good key's 400 ms: the 0.25 s bucket holds none of them.
    expect(
      m.value('llm_gateway_request_duration_seconds_bucket', {
        provider: 'mock',
        stream: 'false',
        le: '0.25',
      }),
    ).toBe(0);
    expect(m.value('llm_gateway_upstream_ttfb_seconds_count', { provider: 'mock' })).toBe(requests);
    expect(m.value('llm_gateway_inflight')).toBe(0);
    expect(m.value('llm_gateway_queue_depth')).toBe(0);
    expect(m.value('llm_gateway_offline_hits_total')).toBe(0);
    expect(m.value('llm_keeper_leader')).toBe(1);
    expect(m.value('process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(m.contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
    for (const secret of [limited, good])
      expect(m.text).not.toContain(secret.slice(secret.indexOf('SECRET')));
  });

  it('shows the pool as the gateway sees it: the 429 key cooling down, half the pool usable', async () => {
    const m = await eventually(
      async () => {
        const now = await scrape(`${gateway.url}/metrics`);
        return now.value('llm_gateway_triples', { provider: 'mock', state: 'cooldown' }) === 1
          ? now
          : undefined;
      },
      15_000,
      'the 429 key in cooldown in the metrics',
    );
    expect(m.value('llm_gateway_triples', { provider: 'mock', state: 'active' })).toBe(1);
    expect(m.value('llm_gateway_triples', { provider: 'mock', state: 'dead' })).toBe(0);
    expect(m.value('llm_gateway_triples_usable', { provider: 'mock' })).toBe(1);
    expect(m.value('llm_gateway_pool_usable_ratio', { provider: 'mock' })).toBe(0.5);
  });

  it("counts the keeper's probes exactly as the attempts table records them", async () => {
    const w = world as ConductorWorld;
    // A probe may land between the two reads: read until the metrics and the table agree twice.
    const agreed = await eventually(
      async () => {
        const before = await scrape(`${gateway.url}/metrics`);
        const rows = await w.query<{ outcome: string; count: number }>(
          `select outcome, count(*)::int as count from attempts where probe and provider = 'mock' group by outcome`,
        );
        const after = await scrape(`${gateway.url}/metrics`);
        const probes = (m: Exposition) =>
          m.samples
            .filter((s) => s.name === 'llm_keeper_probes_total' && s.labels.provider === 'mock')
            .map((s) => `${s.labels.reason}=${s.value}`)
            .sort()
            .join(',');
        const table = rows
          .map((row) => `${row.outcome}=${row.count}`)
          .sort()
          .join(',');
        return probes(before) === probes(after) && probes(after) === table ? table : undefined;
      },
      15_000,
      'probe counts agreeing with the attempts table',
    );
    // Both keys were probed ok at least once before any traffic.
    expect(Number(/ok=(\d+)/.exec(agreed)?.[1])).toBeGreaterThanOrEqual(2);
  });
});

describe('shipped monitoring files against the live metrics', () => {
  it('the Grafana dashboard parses and queries only exported metrics and labels', () => {
    const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as Dashboard;
    const queries = [
      ...dashboard.panels.flatMap((panel) => (panel.targets ?? []).map((target) => target.expr)),
      ...dashboard.templating.list.flatMap((variable) =>
        typeof variable.query === 'object' ? [variable.query.query] : [],
      ),
    ];
    expect(queries.length).toBeGreaterThan(20);
    const referenced = checkQueries(queries, live);
    // The dashboard covers what issue 6 asks of it.
    for (const name of [
      'llm_gateway_requests_total',
      'llm_gateway_attempts_total',
      'llm_gateway_fallbacks_total',
      'llm_gateway_triples',
      'llm_gateway_queue_depth',
      'llm_gateway_request_duration_seconds',
      'llm_gateway_tokens_total',
      'llm_gateway_cache_total',
      'llm_gateway_affinity_total',
      'llm_gateway_coalesced_total',
      'llm_gateway_offline_hits_total',
      'llm_keeper_probes_total',
    ]) {
      expect(referenced).toContain(name);
    }
  });

  it('the alert rules parse and query only exported metrics and labels', () => {
    const rules = parseYaml(readFileSync(ALERTS, 'utf8')) as AlertRules;
    const alerts = rules.groups.flatMap((group) => group.rules);
    expect(alerts.map((rule) => rule.alert).sort()).toEqual([
      'LlmGatewayErrorRateHigh',
      'LlmGatewayFallbackRateHigh',
      'LlmGatewayPoolUsableLow',
      'LlmGatewayProviderDown',
      'LlmGatewayProviderFailing',
      'LlmGatewayQueueSaturated',
      'LlmKeeperNoLeader',
      'LlmKeeperSeveralLeaders',
    ]);
    const referenced = checkQueries(
      alerts.map((rule) => rule.expr),
      live,
    );
    expect(referenced).toEqual(
      expect.arrayContaining([
        'llm_gateway_pool_usable_ratio',
        'llm_gateway_queue_max_depth',
        'llm_keeper_leader',
      ]),
    );
  });
});

describe('llmgw worker: its own metrics port', () => {
  it('serves the keeper metrics on keeper.metrics_port, standing by while `start` leads', async () => {
    const w = world as ConductorWorld;
    const worker = w.startWorker();
    const line = await worker.waitForLine(isMessage('keeper metrics listening'), LINE_TIMEOUT_MS);
    const url = parseLine(line)?.url;
    expect(url).toBe(`http://127.0.0.1:${workerPort}/metrics`);
    const m = await scrape(String(url));
    expect(m.contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(m.value('llm_keeper_leader')).toBe(0);
    expect(m.types.get('llm_keeper_probes_total')).toBe('counter');
    expect(m.samples.some((sample) => sample.name.startsWith('llm_gateway_'))).toBe(false);
    expect((await fetch(String(url).replace('/metrics', '/other'))).status).toBe(404);
    expect(await stopWithin(worker, 15_000)).toBe(0);
    await expect(fetch(String(url))).rejects.toThrow();
  });
});

interface Dashboard {
  panels: { targets?: { expr: string }[] }[];
  /** Query variables carry PromQL; the data-source variable carries a plain string. */
  templating: { list: { query?: string | { query: string } }[] };
}

interface AlertRules {
  groups: { name: string; rules: { alert: string; expr: string }[] }[];
}

const METRIC = /\b((?:llm|process|nodejs)_[a-z0-9_]+)\b(\{[^}]*\})?/g;
const HISTOGRAM_PARTS = /_(bucket|sum|count)$/;

/**
 * Every metric a query names must be a family the live registry exports (a histogram's `_bucket`,
 * `_sum`, `_count` count as its own), and every label its selectors match on must appear on that
 * family's samples. Returns the families referenced.
 */
function checkQueries(queries: readonly string[], exposition: Exposition): string[] {
  const referenced = new Set<string>();
  const problems: string[] = [];
  for (const query of queries) {
    for (const match of query.matchAll(METRIC)) {
      const name = match[1] ?? '';
      const family = exposition.types.has(name) ? name : name.replace(HISTOGRAM_PARTS, '');
      const type = exposition.types.get(family);
      if (type === undefined || (family !== name && type !== 'histogram')) {
        problems.push(`${name} (in ${query}) is not exported`);
        continue;
      }
      referenced.add(family);
      const labels = new Set(
        exposition.samples
          .filter((sample) => sample.name === family || sample.name.replace(HISTOGRAM_PARTS, '') === family)
          .flatMap((sample) => Object.keys(sample.labels)),
      );
      for (const label of labelNames(match[2] ?? '')) {
        if (!labels.has(label) && !TARGET_LABELS.has(label)) problems.push(`${name} has no label ${label}`);
      }
    }
  }
  expect(problems).toEqual([]);
  return [...referenced];
}

function labelNames(selector: string): string[] {
  return [...selector.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)/g)].map((match) => match[1] ?? '');
}
