import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTestDatabase, type TestDatabase } from '@llmgw/db/testing';
import { createTestUpstream, type TestUpstream } from '@llmgw/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ConductorWorld,
  createConductorWorld,
  type Gateway,
  gatewayOf,
  MODEL,
  parseTrail,
  SETUP_TIMEOUT_MS,
  stopWithin,
} from './conductor-world.js';
import { createSecretLedger, findLeaks, newSecret } from './keeper-world.js';
import { eventually } from './spawn-llmgw.js';

/*
 * SPEC §8 end to end: `mock` is the remote provider (the world's upstream), `local` an Ollama-like
 * keyless provider with `local: true` on an upstream of its own, and config/offline/faq.yaml the
 * offline package. One keeper probes everything healthy and leaves; gateways in `auto` and `offline`
 * mode then serve from what is left as the upstreams go down.
 */

const EMBEDDING_MODEL = 'text-embedding-3-small';
const ledger = createSecretLedger();
let database: TestDatabase | null = null;
let world: ConductorWorld | null = null;
let local: TestUpstream | null = null;
let auto: Gateway;
const remoteKeys: string[] = [];

function providersYaml(remoteUrl: string, localUrl: string): string {
  return [
    'providers:',
    '  mock:',
    '    type: openai_like',
    `    base_url: ${remoteUrl}/v1`,
    `    models: [${MODEL}]`,
    `    embedding_models: [${EMBEDDING_MODEL}]`,
    '  local:',
    '    type: openai_like',
    `    base_url: ${localUrl}/v1`,
    '    auth: none',
    '    local: true',
    `    models: [${MODEL}]`,
    'gateway:',
    '  port: 0',
    '  max_attempts: 2',
    'keeper:',
    '  probe:',
    '    schedule: "* * * * * *"',
    '    jitter: 0s',
    '',
  ].join('\n');
}

const FAQ = [
  'description: answers for when every provider is gone',
  'answers:',
  '  - match: What is llmgw?',
  '    answer: llmgw is a gateway over a pool of LLM keys.',
  '  - contains: opening hours',
  '    answer: We are open nine to five.',
  'embeddings:',
  '  - input: hello',
  '    vector: [0.25, -0.5, 1]',
  '  - input: world',
  '    vector: [1, 0, 0]',
  '',
].join('\n');

beforeAll(async () => {
  database = await createTestDatabase();
  world = await createConductorWorld(ledger, database.url);
  local = await createTestUpstream();
  // The keyless local provider sends no key: the upstream sees the empty credential.
  local.setBehavior('', { kind: 'ok', reply: 'local says hi' });
  writeFileSync(join(world.cwd, 'config', 'providers.yaml'), providersYaml(world.upstream.url, local.url));
  mkdirSync(join(world.cwd, 'config', 'offline'));
  writeFileSync(join(world.cwd, 'config', 'offline', 'faq.yaml'), FAQ);
  remoteKeys.push(newSecret(ledger, 'test-ok-'), newSecret(ledger, 'test-ok-'));
  world.writeKeys(remoteKeys);

  const worker = world.startWorker();
  await world.activeKeys(remoteKeys);
  await eventually(
    async () => {
      const rows = (await (world as ConductorWorld).triples()).filter((row) => row.provider === 'local');
      return rows.length === 1 && rows[0]?.state === 'active' ? true : undefined;
    },
    45_000,
    'the local provider probed active',
  );
  // The keeper leaves, so no probe shows up in the call logs the tests read.
  expect(await stopWithin(worker, 15_000)).toBe(0);
  auto = await world.startGateway();
  await world.servable(auto, MODEL);
}, SETUP_TIMEOUT_MS);

afterAll(async () => {
  await world?.close();
  await local?.close();
  await database?.drop();
});

interface Answer {
  status: number;
  headers: Headers;
  text: string;
}

async function post(gateway: Gateway, path: string, body: Record<string, unknown>): Promise<Answer> {
  const response = await fetch(`${gateway.url}/v1${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

const chat = (content: string, extra: Record<string, unknown> = {}) => ({
  model: MODEL,
  messages: [{ role: 'user', content }],
  ...extra,
});

function contentOf(answer: Answer): string | undefined {
  const body = JSON.parse(answer.text) as { choices: { message: { content: string } }[] };
  return body.choices[0]?.message.content;
}

/** The streamed text, from an SSE body that must end with `[DONE]`. */
function streamedText(answer: Answer): string {
  const payloads = answer.text
    .split('\n\n')
    .filter((frame) => frame.startsWith('data: '))
    .map((frame) => frame.slice('data: '.length));
  expect(payloads.at(-1)).toBe('[DONE]');
  let text = '';
  for (const payload of payloads.slice(0, -1)) {
    const chunk = JSON.parse(payload) as { choices: { delta: { content?: string } }[] };
    for (const choice of chunk.choices) text += choice.delta.content ?? '';
  }
  return text;
}

describe('LLM_GATEWAY_MODE=auto', () => {
  it('answers from the local provider when every remote key fails', async () => {
    const w = world as ConductorWorld;
    for (const key of remoteKeys) w.upstream.setBehavior(key, { kind: 'status', status: 500 });
    const remoteBefore = w.upstream.calls().length;
    const localBefore = (local as TestUpstream).calls().length;

    const answer = await post(auto, '/chat/completions', chat('anyone there?'));

    expect(answer.status).toBe(200);
    expect(contentOf(answer)).toBe('local says hi');
    expect(answer.headers.get('x-llm-actual-provider')).toBe('local');
    const trail = parseTrail(answer.headers.get('x-llm-attempt-trail'));
    // Remote first (both keys fail), the local provider last.
    expect(trail.map((entry) => `${entry.provider}:${entry.word}`)).toEqual([
      'mock:server_error',
      'mock:server_error',
      'local:ok',
    ]);
    expect(w.upstream.calls().length - remoteBefore).toBe(2);
    expect((local as TestUpstream).calls().length - localBefore).toBe(1);
  });

  it('answers from the offline package when the local provider is down too, and 503 when nothing matches', async () => {
    (local as TestUpstream).setBehavior('', { kind: 'status', status: 500 });

    const answer = await post(auto, '/chat/completions', chat('  what is LLMGW?  '));
    expect(answer.status).toBe(200);
    expect(contentOf(answer)).toBe('llmgw is a gateway over a pool of LLM keys.');
    expect(answer.headers.get('x-llm-actual-provider')).toBe('offline');
    expect(answer.headers.get('x-llm-key-id')).toBeNull();
    // What was tried before the package answered stays visible.
    expect(parseTrail(answer.headers.get('x-llm-attempt-trail')).map((entry) => entry.provider)).toContain(
      'local',
    );

    const unknown = await post(auto, '/chat/completions', chat('something nobody prepared'));
    expect(unknown.status).toBe(503);
    expect(JSON.parse(unknown.text)).toMatchObject({
      error: { type: expect.any(String), code: expect.any(String) },
    });
  });
});

describe('LLM_GATEWAY_MODE=offline', () => {
  let offline: Gateway;
  beforeAll(async () => {
    const w = world as ConductorWorld;
    for (const key of remoteKeys) w.upstream.setBehavior(key, { kind: 'ok' });
    (local as TestUpstream).setBehavior('', { kind: 'ok', reply: 'local says hi' });
    offline = await gatewayOf(
      w.spawn(['gateway'], { DATABASE_URL: w.databaseUrl, LLM_GATEWAY_MODE: 'offline' }),
    );
    // The remote keys may still be cooling down from the auto tests; the local one must be usable.
    await eventually(
      async () => {
        const list = await offline.client.models.list();
        return list.data.some((entry) => entry.id === `local/${MODEL}`) ? true : undefined;
      },
      30_000,
      'local model servable offline',
    );
    w.upstream.reset();
  }, SETUP_TIMEOUT_MS);

  it('serves the local provider and never calls a remote one, even with the remote healthy', async () => {
    const w = world as ConductorWorld;
    const answer = await post(offline, '/chat/completions', chat('hi'));
    expect(answer.status).toBe(200);
    expect(answer.headers.get('x-llm-actual-provider')).toBe('local');
    expect(w.upstream.calls()).toEqual([]);
  });

  it('answers chat (JSON and stream) and embeddings from the offline package when the local provider is down', async () => {
    const w = world as ConductorWorld;
    (local as TestUpstream).setBehavior('', { kind: 'status', status: 500 });

    const json = await post(offline, '/chat/completions', chat('What are your opening hours?'));
    expect(json.status).toBe(200);
    expect(json.headers.get('x-llm-actual-provider')).toBe('offline');
    expect(contentOf(json)).toBe('We are open nine to five.');

    const stream = await post(offline, '/chat/completions', chat('What is llmgw?', { stream: true }));
    expect(stream.status).toBe(200);
    expect(stream.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(stream.headers.get('x-llm-actual-provider')).toBe('offline');
    expect(streamedText(stream)).toBe('llmgw is a gateway over a pool of LLM keys.');

    // The official SDK reads the prepared vectors as it reads a provider's.
    const { data, response } = await offline.client.embeddings
      .create({ model: EMBEDDING_MODEL, input: ['hello', 'world'], encoding_format: 'float' })
      .withResponse();
    expect(response.headers.get('x-llm-actual-provider')).toBe('offline');
    expect(data.data.map((entry) => entry.embedding)).toEqual([
      [0.25, -0.5, 1],
      [1, 0, 0],
    ]);

    const missing = await post(offline, '/embeddings', { model: EMBEDDING_MODEL, input: 'unprepared' });
    expect(missing.status).toBeGreaterThanOrEqual(400);
    expect(w.upstream.calls()).toEqual([]);
  });

  it(
    'refuses to start on a broken offline package, naming file, path and line',
    async () => {
      const w = world as ConductorWorld;
      const broken = join(w.cwd, 'config', 'offline', 'zz-broken.yaml');
      writeFileSync(broken, 'answers:\n  - match: hi\n    answer: fine\n  - regex: "(open"\n    answer: x\n');
      const child = w.spawn(['gateway'], { DATABASE_URL: w.databaseUrl, LLM_GATEWAY_MODE: 'offline' });
      const code = await child.exited;
      expect(code).not.toBe(0);
      const output = child.lines().join('\n');
      expect(output).toContain('zz-broken.yaml:4');
      expect(output).toContain('answers[1].regex: invalid regular expression');
    },
    SETUP_TIMEOUT_MS,
  );

  it('never printed a key', () => {
    expect(findLeaks(ledger)).toEqual([]);
  });
});
