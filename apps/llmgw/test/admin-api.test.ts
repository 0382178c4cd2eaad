import { createTestDatabase, type TestDatabase } from '@llmgw/db/testing';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ConductorWorld,
  createConductorWorld,
  type Gateway,
  MODEL,
  SETUP_TIMEOUT_MS,
  sleep,
} from './conductor-world.js';
import { createSecretLedger, findLeaks, isEvent, newSecret } from './keeper-world.js';
import { runCli } from './run-cli.js';
import { eventually, type LlmgwProcess } from './spawn-llmgw.js';

const ADMIN_TOKEN = 'admin-e2e-token-5f1c2a9b7d3e';
const CLIENT_TOKEN = 'client-e2e-token-8a2b4c6d0e1f';
/** The pool view refreshes every second; a loaded machine may take a few more. */
const REFRESH_GRACE_MS = 4_000;

const ledger = createSecretLedger();
let database: TestDatabase | null = null;
let world: ConductorWorld | null = null;
let gateway: Gateway;
let worker: LlmgwProcess;
let client: OpenAI;
let goodA: string;
let goodB: string;
let bad: string;
let keyIds: Map<string, number>;
/** Every admin response body this file received: none may contain a key. */
const responses: string[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
  world = await createConductorWorld(ledger, database.url, {
    gateway: { auth_tokens: `[${CLIENT_TOKEN}]`, admin_tokens: `[${ADMIN_TOKEN}]` },
  });
  goodA = newSecret(ledger, 'test-ok-');
  goodB = newSecret(ledger, 'test-ok-');
  bad = newSecret(ledger, 'test-401-');
  world.writeKeys([goodA, goodB, bad]);
  worker = world.startWorker();
  gateway = await world.startGateway();
  client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: CLIENT_TOKEN, maxRetries: 0, timeout: 30_000 });
  keyIds = await world.activeKeys([goodA, goodB]);
  const w = world;
  const badId = await eventually(
    async () => (await w.triples()).find((row) => row.state === 'dead')?.keyId,
    30_000,
    'the 401 key probed dead',
  );
  keyIds.set(bad, badId);
}, SETUP_TIMEOUT_MS);

afterAll(async () => {
  await world?.close();
  await database?.drop();
});

async function admin(path: string, init: RequestInit & { token?: string | null } = {}) {
  const headers = new Headers(init.headers);
  const token = init.token === undefined ? ADMIN_TOKEN : init.token;
  if (token !== null) headers.set('authorization', `Bearer ${token}`);
  const response = await fetch(`${gateway.url}${path}`, { ...init, headers });
  const text = await response.text();
  responses.push(text);
  return { status: response.status, text, json: () => JSON.parse(text) as Record<string, unknown> };
}

const idOf = (secret: string) => keyIds.get(secret) ?? -1;

/** Sends `count` chat requests and returns the key id that served each. */
async function servedBy(count: number): Promise<number[]> {
  const served: number[] = [];
  for (let i = 0; i < count; i += 1) {
    const { response } = await client.chat.completions
      .create({ model: MODEL, messages: [{ role: 'user', content: `hello ${i}` }] })
      .withResponse();
    served.push(Number(response.headers.get('x-llm-key-id')));
  }
  return served;
}

describe('admin API of a running llmgw gateway', () => {
  it('answers 401 without or with an unknown token and 403 to a client token, on every route', async () => {
    const id = idOf(goodB);
    const routes: [string, string][] = [
      ['GET', '/admin/status'],
      ['GET', '/admin/keys'],
      ['GET', `/admin/keys/${id}/history`],
      ['POST', `/admin/keys/${id}/reset`],
      ['POST', `/admin/keys/${id}/disable`],
    ];
    for (const [method, path] of routes) {
      expect((await admin(path, { method, token: null })).status).toBe(401);
      expect((await admin(path, { method, token: 'nope-not-a-token' })).status).toBe(401);
      const forbidden = await admin(path, { method, token: CLIENT_TOKEN });
      expect(forbidden.status).toBe(403);
      expect(forbidden.json()).toMatchObject({ error: { type: 'permission_error' } });
    }
    // None of those refusals changed anything.
    const key = (await admin(`/admin/keys/${id}`)).json();
    expect(key).toMatchObject({ disabled: false, triples: [{ state: 'active' }] });
  });

  it('reports the pool per provider and state, the keeper leader and the database without credentials', async () => {
    const status = (await admin('/admin/status')).json() as {
      pool: {
        providers: { provider: string; triples: Record<string, number>; usable: number }[];
        keeper: { present: boolean };
      };
      database: { target: string };
      conductor: unknown;
    };
    // Nothing in flight or queued between tests: the numbers come from the relay and the pool's queue.
    expect(status.conductor).toEqual({ inflight: 0, queueDepth: 0 });
    expect(status.pool.providers).toEqual([
      expect.objectContaining({ provider: 'mock', triples: { active: 2, dead: 1 }, usable: 2 }),
    ]);
    expect(status.pool.keeper.present).toBe(true);
    expect(status.database.target).not.toContain('postgres@');
  });

  it('pages keys by cursor and filters them by state and text', async () => {
    const seen: number[] = [];
    let cursor: number | null = null;
    do {
      const page = (
        await admin(`/admin/keys?limit=1${cursor === null ? '' : `&cursor=${cursor}`}`)
      ).json() as {
        keys: { keyId: number }[];
        total: number;
        nextCursor: number | null;
      };
      expect(page.total).toBe(3);
      seen.push(...page.keys.map((key) => key.keyId));
      cursor = page.nextCursor;
    } while (cursor !== null);
    expect(seen.sort((a, b) => a - b)).toEqual([...keyIds.values()].sort((a, b) => a - b));

    const dead = (await admin('/admin/keys?state=dead')).json() as {
      keys: { keyId: number; triples: { reason: string }[] }[];
    };
    expect(dead.keys.map((key) => key.keyId)).toEqual([idOf(bad)]);
    expect(dead.keys[0]?.triples[0]?.reason).toBe('invalid_key');
    const mask = `…${goodB.slice(-4)}`;
    const found = (await admin(`/admin/keys?q=${encodeURIComponent(mask)}`)).json() as {
      keys: { keyId: number }[];
    };
    expect(found.keys.map((key) => key.keyId)).toEqual([idOf(goodB)]);
    expect((await admin('/admin/keys?provider=nobody')).json()).toMatchObject({ keys: [], total: 0 });
  });

  it('resets a dead key through the reset path, audited as admin', async () => {
    const id = idOf(bad);
    const reset = await admin(`/admin/keys/${id}/reset`, { method: 'POST' });
    expect(reset.status).toBe(200);
    expect(reset.json()).toMatchObject({ keyId: id, reset: 1 });
    const w = world as ConductorWorld;
    const audit = await w.query<{ from_state: string; to_state: string; actor: string }>(
      `select from_state, to_state, actor from state_changes where key_id = $1 and reason = 'manual_reset'`,
      [id],
    );
    expect(audit).toEqual([{ from_state: 'dead', to_state: 'untested', actor: 'admin' }]);
    const history = (await admin(`/admin/keys/${id}/history?limit=50`)).json() as {
      entries: { to: string; actor: string }[];
    };
    expect(history.entries).toContainEqual(expect.objectContaining({ to: 'untested', actor: 'admin' }));
  });

  it('disables a key: no request or probe uses it, and a keeper sync does not bring it back', async () => {
    const w = world as ConductorWorld;
    const a = idOf(goodA);
    const disabled = await admin(`/admin/keys/${a}/disable`, { method: 'POST' });
    expect(disabled.json()).toMatchObject({
      changed: true,
      triples: 1,
      key: { disabled: true, triples: [{ state: 'disabled' }] },
    });
    await sleep(REFRESH_GRACE_MS);
    const disabledAt = Date.now();

    expect(await servedBy(8)).toEqual(Array(8).fill(idOf(goodB)));

    // A new key on the first line moves every other key down one line, so the keeper's sync rewrites
    // the disabled key's row too (its upsert); the newcomer turning active proves that sync ran.
    const goodC = newSecret(ledger, 'test-ok-');
    const syncs = worker.lines().filter(isEvent('keeper.sync')).length;
    w.writeKeys([goodC, goodA, goodB, bad]);
    const fresh = await w.activeKeys([goodC], 60_000);
    keyIds.set(goodC, fresh.get(goodC) ?? -1);
    // Log lines leave in batches (at most 100 ms late), so the sync's line may follow its effect.
    await eventually(
      async () => (worker.lines().filter(isEvent('keeper.sync')).length > syncs ? true : undefined),
      5_000,
      'a new keeper.sync line',
    );
    const [moved] = await w.query<{ source_line: number }>('select source_line from keys where id = $1', [a]);
    expect(moved?.source_line).toBe(2);

    const [row] = await w.query<{ disabled: boolean; states: string[] }>(
      `select k.disabled, array_agg(t.state) as states from keys k join triples t on t.key_id = k.id
       where k.id = $1 group by k.disabled`,
      [a],
    );
    expect(row).toEqual({ disabled: true, states: ['disabled'] });
    await sleep(REFRESH_GRACE_MS);
    const served = await servedBy(8);
    expect(served).not.toContain(a);
    expect(w.upstream.calls().filter((call) => call.key === goodA && call.at >= disabledAt)).toEqual([]);
  });

  it('leaves a disabled key disabled on `llmgw keys reset`, and says it skipped it', async () => {
    const w = world as ConductorWorld;
    const a = idOf(goodA);
    const reset = await runCli(['keys', 'reset', 'mock', '--key', String(a)], {
      cwd: w.cwd,
      env: { DATABASE_URL: w.databaseUrl },
    });
    ledger.extraOutput.push(reset.stdout, reset.stderr);
    expect(reset.code).toBe(0);
    expect(reset.stdout).toContain(`skipped key ${a} of mock: it is disabled`);
    expect(reset.stdout).not.toContain('to untested');
    const states = await w.query<{ state: string }>('select state from triples where key_id = $1', [a]);
    expect(states).toEqual([{ state: 'disabled' }]);
    const audit = await w.query(
      `select 1 from state_changes where key_id = $1 and reason = 'manual_reset' and actor = 'operator'`,
      [a],
    );
    expect(audit).toEqual([]);
  });

  it('enables the key again: it is probed and serves again', async () => {
    const w = world as ConductorWorld;
    const a = idOf(goodA);
    const enabled = await admin(`/admin/keys/${a}/enable`, { method: 'POST' });
    expect(enabled.json()).toMatchObject({ changed: true, key: { disabled: false } });
    await w.activeKeys([goodA], 60_000);
  });

  it('never shows a key in an admin response, the dashboard or a log line', async () => {
    await admin('/admin/status');
    await admin('/admin/keys?include_removed=true&limit=500');
    await admin('/admin/history?limit=500');
    for (const path of ['/dashboard', '/dashboard/app.js', '/dashboard/app.css'])
      await admin(path, { token: null });
    expect(responses.join('\n')).toContain(`…${goodA.slice(-4)}`);
    for (const secret of ledger.secrets) {
      const body = secret.slice(secret.indexOf('SECRET'), -4);
      for (const text of responses) expect(text).not.toContain(body);
    }
    expect(findLeaks(ledger)).toEqual([]);
  });
});
