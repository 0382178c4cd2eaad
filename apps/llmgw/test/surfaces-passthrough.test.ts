import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTestDatabase, type TestDatabase } from '@llmgw/db/testing';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ConductorWorld,
  createConductorWorld,
  MODEL,
  parseTrail,
  SETUP_TIMEOUT_MS,
} from './conductor-world.js';
import { createSecretLedger, findLeaks, newSecret } from './keeper-world.js';
import { eventually } from './spawn-llmgw.js';

/*
 * `/v1/responses` passthrough through the real gateway process, the official `openai` SDK as client
 * and the testkit upstream behind it: `native` and `nlim` say `responses_api: true` and get the
 * client's Responses body at `/v1/responses`; `mock` (chat only) and `gem` (Gemini) get the chat
 * translation. The testkit's own Response ids start `resp_tk`/`msg_tk`, so an answer that was passed
 * through is told from a translated one.
 */

const GEMINI_MODEL = 'gemini-2.0-flash';
const TOKEN = 'passthrough-client-token-0123456789';
const ledger = createSecretLedger();
let database: TestDatabase | null = null;
let world: ConductorWorld | null = null;
let openai: OpenAI;
const secrets = { mock: '', native: '', nlim: '', gem: '' };
const keyIdOf = new Map<string, number>();

function providersYaml(upstreamUrl: string): string {
  const openAiLike = (name: string, native: boolean) => [
    `  ${name}:`,
    '    type: openai_like',
    `    base_url: ${upstreamUrl}/v1`,
    `    models: [${MODEL}]`,
    ...(native ? ['    responses_api: true'] : []),
  ];
  return [
    'providers:',
    ...openAiLike('mock', false),
    ...openAiLike('native', true),
    ...openAiLike('nlim', true),
    '  gem:',
    '    type: gemini',
    `    base_url: ${upstreamUrl}/v1beta`,
    `    models: [${GEMINI_MODEL}]`,
    'models:',
    '  mixed:',
    `    - nlim/${MODEL}`,
    `    - gem/${GEMINI_MODEL}`,
    'gateway:',
    '  port: 0',
    '  max_attempts: 4',
    `  auth_tokens: [${TOKEN}]`,
    'keeper:',
    '  probe:',
    '    schedule: "* * * * * *"',
    '    jitter: 0s',
    '',
  ].join('\n');
}

beforeAll(async () => {
  database = await createTestDatabase();
  world = await createConductorWorld(ledger, database.url);
  writeFileSync(join(world.cwd, 'config', 'providers.yaml'), providersYaml(world.upstream.url));
  for (const name of ['mock', 'native', 'nlim', 'gem'] as const)
    secrets[name] = newSecret(ledger, 'test-ok-');
  world.writeKeys([secrets.mock]);
  for (const name of ['native', 'nlim', 'gem'] as const) {
    writeFileSync(join(world.cwd, 'keys', `${name}.txt`), `${secrets[name]}\n`);
  }
  world.startWorker();
  const gateway = await world.startGateway();
  for (const [secret, id] of await world.activeKeys(Object.values(secrets))) keyIdOf.set(secret, id);
  openai = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: TOKEN, maxRetries: 0, timeout: 30_000 });
  await eventually(
    async () => {
      const ids = new Set((await openai.models.list()).data.map((entry) => entry.id));
      const wanted = [`mock/${MODEL}`, `native/${MODEL}`, `nlim/${MODEL}`, `gem/${GEMINI_MODEL}`];
      return wanted.every((id) => ids.has(id)) ? true : undefined;
    },
    20_000,
    'every provider servable',
  );
}, SETUP_TIMEOUT_MS);

afterAll(async () => {
  await world?.close();
  await database?.drop();
});

const upstream = () => (world as ConductorWorld).upstream;

interface AttemptRow {
  provider: string;
  outcome: string;
  final: boolean;
  stream: boolean;
  prompt_tokens: number | null;
  completion_tokens: number | null;
  cached_tokens: number | null;
}

/** The request's attempts, once all of them (`count`) are in the table. */
async function attemptsOf(requestId: string | null, count = 1): Promise<AttemptRow[]> {
  return eventually(
    async () => {
      const rows = await (world as ConductorWorld).query<AttemptRow & Record<string, unknown>>(
        'select provider, outcome, final, stream, prompt_tokens, completion_tokens, cached_tokens ' +
          'from attempts where request_id = $1 order by attempt_no',
        [requestId],
      );
      return rows.length >= count ? rows : undefined;
    },
    15_000,
    `the attempts of ${requestId}`,
  );
}

describe('POST /v1/responses passthrough to providers with responses_api: true', () => {
  it("reaches the upstream's /v1/responses and returns its Response unchanged, tokens recorded", async () => {
    const before = upstream().calls().length;
    const { data, response } = await openai.responses
      .create({ model: `native/${MODEL}`, input: 'hello native', instructions: 'be brief' })
      .withResponse();
    const calls = upstream().calls().slice(before);
    expect(calls.map((call) => [call.path, call.key, call.stream])).toEqual([
      ['/v1/responses', secrets.native, false],
    ]);
    expect(data.id).toMatch(/^resp_tk/);
    expect(data.output).toHaveLength(1);
    expect(data.output[0]?.id).toMatch(/^msg_tk/);
    expect(data.output_text).toBe('ok: hello native');
    // Fields only the upstream's own Response has: the translation would say store: false.
    expect(Reflect.get(data, 'store')).toBe(true);
    expect(data.instructions).toBe('be brief');
    expect(data.usage?.input_tokens_details.cached_tokens).toBe(0);
    expect(response.headers.get('x-llm-actual-provider')).toBe('native');
    const rows = await attemptsOf(response.headers.get('x-request-id'));
    expect(rows).toEqual([
      {
        provider: 'native',
        outcome: 'ok',
        final: true,
        stream: false,
        prompt_tokens: data.usage?.input_tokens,
        completion_tokens: data.usage?.output_tokens,
        cached_tokens: 0,
      },
    ]);
  });

  it('streams the upstream events as they are, which responses.stream assembles', async () => {
    const before = upstream().calls().length;
    const stream = openai.responses.stream({ model: `native/${MODEL}`, input: 'one two three four' });
    const types: string[] = [];
    let deltas = '';
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === 'response.output_text.delta') deltas += event.delta;
    }
    const final = await stream.finalResponse();
    expect(deltas).toBe('ok: one two three four');
    expect(final.id).toMatch(/^resp_tk/);
    expect(final.output[0]?.id).toMatch(/^msg_tk/);
    expect(final.usage?.output_tokens).toBeGreaterThan(0);
    expect(types.at(0)).toBe('response.created');
    expect(types.at(-1)).toBe('response.completed');
    const calls = upstream().calls().slice(before);
    expect(calls.map((call) => [call.path, call.stream])).toEqual([['/v1/responses', true]]);
  });

  it('records the tokens of a streamed native answer', async () => {
    const { data: stream, response } = await openai.responses
      .create({ model: `native/${MODEL}`, input: 'count my tokens', stream: true })
      .withResponse();
    let usage: OpenAI.Responses.ResponseUsage | undefined;
    for await (const event of stream) if (event.type === 'response.completed') usage = event.response.usage;
    const rows = await attemptsOf(response.headers.get('x-request-id'));
    expect(rows).toMatchObject([
      {
        provider: 'native',
        outcome: 'ok',
        stream: true,
        prompt_tokens: usage?.input_tokens,
        completion_tokens: usage?.output_tokens,
      },
    ]);
  });

  it('still sends a chat-only provider the chat translation', async () => {
    const before = upstream().calls().length;
    const data = await openai.responses.create({ model: `mock/${MODEL}`, input: 'hello chat' });
    expect(data.output_text).toBe('ok: hello chat');
    expect(data.id).not.toMatch(/^resp_tk/);
    expect(Reflect.get(data, 'store')).toBe(false);
    expect(
      upstream()
        .calls()
        .slice(before)
        .map((call) => call.path),
    ).toEqual(['/v1/chat/completions']);
  });

  it('fails over within one request from a native 429 to a Gemini provider, translated', async () => {
    upstream().setBehavior(secrets.nlim, { kind: 'status', status: 429, retryAfterSec: 30 });
    try {
      const before = upstream().calls().length;
      const { data, response } = await openai.responses
        .create({ model: 'mixed', input: 'mixed tier' })
        .withResponse();
      expect(data.output_text).toBe('ok: mixed tier');
      expect(data.model).toBe(GEMINI_MODEL);
      const trail = parseTrail(response.headers.get('x-llm-attempt-trail'));
      expect(trail).toEqual([
        { provider: 'nlim', keyId: keyIdOf.get(secrets.nlim), word: 'rate_limited' },
        { provider: 'gem', keyId: keyIdOf.get(secrets.gem), word: 'ok' },
      ]);
      const calls = upstream().calls().slice(before);
      expect(calls.map((call) => [call.key, call.path.endsWith('/v1/responses')])).toEqual([
        [secrets.nlim, true],
        [secrets.gem, false],
      ]);
      const rows = await attemptsOf(response.headers.get('x-request-id'), 2);
      expect(rows.map((row) => [row.provider, row.outcome, row.final])).toEqual([
        ['nlim', 'rate_limited', false],
        ['gem', 'ok', true],
      ]);
      expect(rows[1]?.prompt_tokens).toBeGreaterThan(0);
    } finally {
      upstream().clearBehavior(secrets.nlim);
    }
  });

  it('ends a native stream broken after the first byte with error and response.failed events', async () => {
    upstream().setBehavior(secrets.native, {
      kind: 'cut_stream',
      afterChunks: 2,
      chunkDelayMs: 50,
      reply: Array.from({ length: 30 }, (_, index) => `word${index}`).join(' '),
    });
    try {
      const { data: stream, response } = await openai.responses
        .create({ model: `native/${MODEL}`, input: 'break me', stream: true })
        .withResponse();
      const events: OpenAI.Responses.ResponseStreamEvent[] = [];
      for await (const event of stream) events.push(event);
      expect(events.some((event) => event.type === 'response.output_text.delta')).toBe(true);
      expect(events.map((event) => event.type).slice(-2)).toEqual(['error', 'response.failed']);
      expect(events.at(-2)).toMatchObject({ type: 'error', code: 'network_error' });
      expect(events.some((event) => event.type === 'response.completed')).toBe(false);
      const rows = await attemptsOf(response.headers.get('x-request-id'));
      expect(rows).toMatchObject([{ provider: 'native', outcome: 'network_error', final: true }]);
    } finally {
      upstream().clearBehavior(secrets.native);
    }
  });

  it('never writes a key into any log line', () => {
    expect(findLeaks(ledger)).toEqual([]);
  });
});
