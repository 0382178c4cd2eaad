import { existsSync, mkdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { maskKey } from '@llmgw/core';
import { createTestDatabase, type TestDatabase } from '@llmgw/db/testing';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ConductorWorld,
  createConductorWorld,
  type Gateway,
  SETUP_TIMEOUT_MS,
} from './conductor-world.js';
import { createSecretLedger, newSecret } from './keeper-world.js';
import { eventually } from './spawn-llmgw.js';

/*
 * The dashboard in a real headless Chromium (Debian's, never a downloaded one) against the real
 * `llmgw gateway` on a database seeded with every state, plus a 3000-key provider to show it scales.
 * No keeper runs: what the page shows must be exactly what the test wrote.
 */

const CHROMIUM = '/usr/bin/chromium';
const ADMIN_TOKEN = 'admin-dash-token-3c9d1e7f5a2b';
const OUTPUT = fileURLToPath(new URL('../../../output/', import.meta.url));
const BULK_KEYS = 3000;
const UI_TIMEOUT_MS = 20_000;

const ledger = createSecretLedger();
let database: TestDatabase | null = null;
let world: ConductorWorld | null = null;
let gateway: Gateway;
let browser: Browser | null = null;
let page: Page;
/** Seeded triples by name: `<key>/<model>` → id. */
const triple: Record<string, number> = {};

interface Seed {
  name: string;
  disabled?: boolean;
  triples: Record<string, { state: string; reason?: string; untilMs?: number; latency?: number }>;
}

const SEEDS: Seed[] = [
  {
    name: 'healthy',
    triples: {
      'gpt-4o-mini': { state: 'active', latency: 250 },
      'gpt-4o': { state: 'active', latency: 900 },
    },
  },
  {
    name: 'limited',
    triples: {
      'gpt-4o-mini': { state: 'cooldown', reason: 'rate_limited', untilMs: 10 * 60_000 },
      'gpt-4o': { state: 'dead', reason: 'invalid_key' },
    },
  },
  {
    name: 'parked',
    disabled: true,
    triples: { 'gpt-4o-mini': { state: 'disabled' }, 'gpt-4o': { state: 'disabled' } },
  },
  {
    name: 'spent',
    triples: {
      'gpt-4o-mini': { state: 'no_quota', reason: 'no_quota', untilMs: 6 * 3_600_000 },
      'gpt-4o': { state: 'unsupported', reason: 'model_unavailable' },
    },
  },
];

async function seed(w: ConductorWorld): Promise<void> {
  await w.query(`insert into providers (name, type) values ('mock', 'openai_like'), ('bulk', 'openai_like')
     on conflict (name) do nothing`);
  for (const [index, entry] of SEEDS.entries()) {
    const secret = newSecret(ledger, 'test-ok-');
    const [key] = await w.query<{ id: string }>(
      `insert into keys (provider, fingerprint, secret, mask, source_file, source_line, disabled)
       values ('mock', $1, $2, $3, 'keys/mock.txt', $4, $5) returning id`,
      [`fp-${entry.name}`, secret, maskKey(secret), index + 1, entry.disabled === true],
    );
    for (const [model, t] of Object.entries(entry.triples)) {
      const [row] = await w.query<{ id: string }>(
        `insert into triples (key_id, provider, model, state, reason, cooldown_until, ewma_latency_ms)
         values ($1, 'mock', $2, $3, $4, now() + make_interval(secs => $5::float8 / 1000), $6) returning id`,
        [key?.id, model, t.state, t.reason ?? null, t.untilMs ?? null, t.latency ?? null],
      );
      triple[`${entry.name}/${model}`] = Number(row?.id);
    }
  }
  await w.query(
    `insert into state_changes (scope, subject, triple_id, key_id, from_state, to_state, reason, evidence, actor)
     select 'triple', 'mock/' || key_id || '/' || model, id, key_id, 'active', state, reason,
       '{"message":"seeded verdict"}'::jsonb, 'keeper'
     from triples where reason is not null`,
  );
  await w.query(
    `insert into attempts (request_id, final, provider, model, outcome, latency_ms)
     select 'r' || g, true, 'mock', 'gpt-4o-mini', case when g <= 2 then 'rate_limited' else 'ok' end, 300
     from generate_series(1, 12) g`,
  );
  // A big second provider: thousands of keys must not make the page (or the admin API) slow.
  await w.query(
    `insert into keys (provider, fingerprint, secret, mask, source_file, source_line)
     select 'bulk', 'bulk-' || g, 'sk-bulk-' || md5(g::text), 'sk-…' || lpad(g::text, 4, '0'), 'keys/bulk.txt', g
     from generate_series(1, $1::int) g`,
    [BULK_KEYS],
  );
  await w.query(
    `insert into triples (key_id, provider, model, state)
     select k.id, 'bulk', m, case when k.id % 7 = 0 then 'cooldown' else 'active' end
     from keys k cross join unnest(array['m-small', 'm-large']) m where k.provider = 'bulk'`,
  );
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium`);
  database = await createTestDatabase();
  world = await createConductorWorld(ledger, database.url, {
    models: ['gpt-4o-mini', 'gpt-4o'],
    gateway: { admin_tokens: `[${ADMIN_TOKEN}]` },
  });
  gateway = await world.startGateway();
  await seed(world);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  page = await browser.newPage({ viewport: { width: 1400, height: 1100 } });
}, SETUP_TIMEOUT_MS);

afterAll(async () => {
  await browser?.close();
  await world?.close();
  await database?.drop();
});

const cell = (name: string) => page.locator(`[data-testid="cell-${triple[name]}"]`);

describe('the dashboard in headless Chromium', () => {
  it('asks for the admin token, refuses a wrong one, and opens with the right one', async () => {
    await page.goto(`${gateway.url}/dashboard`);
    await page.locator('#login').waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
    await page.fill('[data-testid="token-input"]', 'wrong-token-value');
    await page.click('[data-testid="token-submit"]');
    await expect
      .poll(() => page.textContent('#login-message'), { timeout: UI_TIMEOUT_MS })
      .toContain('Invalid admin token');
    await page.fill('[data-testid="token-input"]', ADMIN_TOKEN);
    await page.click('[data-testid="token-submit"]');
    await page.locator('#main').waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
    expect(await page.evaluate("sessionStorage.getItem('llmgw-admin-token')")).toBe(ADMIN_TOKEN);
  });

  it('shows every triple in the state the database holds, with counts, traffic and recent changes', async () => {
    await page.click('[data-testid="group-head-mock"]');
    const w = world as ConductorWorld;
    const rows = await w.query<{ id: string; state: string }>(
      `select id, state from triples where provider = 'mock'`,
    );
    expect(rows).toHaveLength(8);
    for (const row of rows) {
      await page
        .locator(`[data-testid="cell-${row.id}"][data-state="${row.state}"]`)
        .waitFor({ timeout: UI_TIMEOUT_MS });
    }
    const counts = await w.query<{ state: string; n: number }>(
      `select state, count(*)::int as n from triples group by state`,
    );
    for (const { state, n } of counts) {
      expect(await page.textContent(`[data-testid="chip-${state}"]`)).toBe(`${state} ${n}`);
    }
    expect(await page.textContent(`[data-testid="key-${await keyOf('parked')}"]`)).toContain('disabled');
    const traffic = await page.textContent('[data-testid="traffic"] tr[data-provider="mock"]');
    expect(traffic).toContain('12');
    expect(traffic).toContain('rate_limited 2');
    expect(await cell('limited/gpt-4o').getAttribute('title')).toContain('seeded verdict');
    expect(await page.textContent('[data-testid="history"]')).toContain('invalid_key');
  });

  it('counts cooldowns down every second', async () => {
    const countdown = cell('limited/gpt-4o-mini').locator('.countdown');
    const before = await countdown.textContent();
    expect(before).toMatch(/^back in (9|10)m/);
    await expect.poll(() => countdown.textContent(), { timeout: 5_000 }).not.toBe(before);
  });

  it('pages a provider of thousands of keys fifty at a time', async () => {
    await page.click('[data-testid="group-head-bulk"]');
    const bulk = page.locator('[data-testid="group-bulk"]');
    await expect
      .poll(() => bulk.locator('.pager span').textContent(), { timeout: UI_TIMEOUT_MS })
      .toBe(`keys 1–50 of ${BULK_KEYS}`);
    expect(await bulk.locator('tbody tr').count()).toBe(50);
    await page.click('[data-testid="next-bulk"]');
    await expect
      .poll(() => bulk.locator('.pager span').textContent(), { timeout: UI_TIMEOUT_MS })
      .toBe(`keys 51–100 of ${BULK_KEYS}`);
    await page.click('[data-testid="group-head-bulk"]');
  });

  it('resets a dead triple from its cell: the database and then the page show it untested', async () => {
    const w = world as ConductorWorld;
    const id = triple['limited/gpt-4o'];
    await page.click(`[data-testid="reset-triple-${id}"]`);
    const state = await eventually(
      async () => {
        const [row] = await w.query<{ state: string }>('select state from triples where id = $1', [id]);
        return row?.state === 'dead' ? undefined : row?.state;
      },
      UI_TIMEOUT_MS,
      'the reset reached the database',
    );
    expect(state).toBe('untested');
    const [audit] = await w.query<{ actor: string; from_state: string }>(
      `select actor, from_state from state_changes where triple_id = $1 and reason = 'manual_reset'`,
      [id],
    );
    expect(audit).toEqual({ actor: 'admin', from_state: 'dead' });
    // The model next to it on the same key was left alone.
    const [other] = await w.query<{ state: string }>('select state from triples where id = $1', [
      triple['limited/gpt-4o-mini'],
    ]);
    expect(other?.state).toBe('cooldown');
    await cell('limited/gpt-4o')
      .and(page.locator('[data-state="untested"]'))
      .waitFor({ timeout: UI_TIMEOUT_MS });
  });

  it('filters by state and writes a screenshot, with no key anywhere in the page', async () => {
    await page.selectOption('[data-testid="filter-state"]', 'cooldown');
    const mock = page.locator('[data-testid="group-mock"]');
    await expect.poll(() => mock.locator('tbody tr').count(), { timeout: UI_TIMEOUT_MS }).toBe(1);
    expect(await mock.locator('tbody tr').getAttribute('data-key-id')).toBe(String(await keyOf('limited')));
    await page.selectOption('[data-testid="filter-state"]', '');
    await expect.poll(() => mock.locator('tbody tr').count(), { timeout: UI_TIMEOUT_MS }).toBe(SEEDS.length);

    mkdirSync(OUTPUT, { recursive: true });
    const file = `${OUTPUT}dashboard.png`;
    await page.screenshot({ path: file, fullPage: true });
    expect(statSync(file).size).toBeGreaterThan(10_000);

    const html = await page.content();
    for (const secret of ledger.secrets)
      expect(html).not.toContain(secret.slice(secret.indexOf('SECRET'), -4));
    expect(html).not.toContain('sk-bulk-');
  });
});

async function keyOf(name: string): Promise<number> {
  const w = world as ConductorWorld;
  const [row] = await w.query<{ key_id: string }>('select key_id from triples where id = $1', [
    triple[`${name}/gpt-4o`],
  ]);
  return Number(row?.key_id);
}
