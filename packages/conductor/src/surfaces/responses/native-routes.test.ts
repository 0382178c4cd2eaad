import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RelayInput, RelayResult } from '../../contracts.js';
import { type Conductor, startConductor } from '../../http/start-conductor.js';
import {
  captureLog,
  createListPool,
  createScriptedRelay,
  type DatabaseFixture,
  openTestDatabase,
  TEST_TOKEN,
  testConfig,
} from '../../http/test-support.js';

/*
 * The `/v1/responses` route's side of passthrough, over a real socket with the official SDK, in front
 * of a scripted relay: the route hands the relay the client's own body, and a result the relay marks
 * as a Response (format `responses`) reaches the client untouched. The real relay and upstream are in
 * apps/llmgw/test/surfaces-passthrough.test.ts.
 */

let fixture: DatabaseFixture;
beforeAll(async () => {
  fixture = await openTestDatabase({ migrate: false });
});
afterAll(async () => fixture.dispose());

const running: Conductor[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((conductor) => conductor.stop()));
});

const HEADERS = { 'x-request-id': 'req-native-1', 'x-llm-actual-provider': 'openai', 'x-llm-attempts': '1' };

const RESPONSE = {
  id: 'resp_upstream_1',
  object: 'response',
  created_at: 1,
  status: 'completed',
  model: 'gpt-4o-2024-08-06',
  output: [
    {
      id: 'msg_upstream_1',
      type: 'message',
      role: 'assistant',
      status: 'completed',
      content: [{ type: 'output_text', text: 'from upstream', annotations: [] }],
    },
  ],
  usage: { input_tokens: 3, output_tokens: 2, total_tokens: 5 },
  upstream_extra: { kept: true },
};

async function start(respond: (input: RelayInput) => RelayResult) {
  const relay = createScriptedRelay(respond);
  const conductor = await startConductor({
    config: testConfig({ gateway: { body_limit: '64kb' } }),
    relay,
    pool: createListPool([]),
    database: fixture.database,
    log: captureLog().log,
    host: '127.0.0.1',
    port: 0,
  });
  running.push(conductor);
  const openai = new OpenAI({ baseURL: `${conductor.url}/v1`, apiKey: TEST_TOKEN, maxRetries: 0 });
  return { relay, openai };
}

describe('POST /v1/responses passthrough', () => {
  it('hands the relay the client body beside its chat translation, and returns a native Response as sent', async () => {
    const { relay, openai } = await start(() => ({
      kind: 'json',
      status: 200,
      body: RESPONSE,
      headers: { ...HEADERS },
      format: 'responses',
    }));
    const request = { model: 'openai/gpt-4o', input: 'hi', instructions: 'be brief', store: false };
    const { data, response } = await openai.responses.create(request).withResponse();
    expect(relay.inputs[0]?.native).toEqual({ kind: 'responses', body: request });
    expect(relay.inputs[0]?.body.messages).toEqual([
      { role: 'system', content: 'be brief' },
      { role: 'user', content: 'hi' },
    ]);
    const { output_text: _, ...received } = data;
    expect(received).toEqual(RESPONSE);
    expect(response.headers.get('x-llm-actual-provider')).toBe('openai');
  });

  it('hands over no native body when no provider the model resolves to serves the API', async () => {
    const { relay, openai } = await start(() => ({
      kind: 'error',
      error: { status: 503, message: 'none', type: 'server_error', code: 'no_usable_upstream' },
      headers: { ...HEADERS },
    }));
    await openai.responses
      .create({ model: 'groq/llama-3.3-70b-versatile', input: 'hi' })
      .catch(() => undefined);
    expect(relay.inputs).toHaveLength(1);
    expect(relay.inputs[0]?.native).toBeUndefined();
  });

  it('streams the native events the relay gives, which responses.stream assembles', async () => {
    const frames = [
      `event: response.created\ndata: ${JSON.stringify({ type: 'response.created', response: { ...RESPONSE, status: 'in_progress', output: [] }, sequence_number: 0 })}\n\n`,
      `event: response.completed\ndata: ${JSON.stringify({ type: 'response.completed', response: RESPONSE, sequence_number: 1 })}\n\n`,
    ];
    const { openai } = await start(() => ({
      kind: 'stream',
      body: new Response(frames.join('')).body ?? new ReadableStream(),
      headers: { ...HEADERS },
      format: 'responses',
    }));
    const stream = openai.responses.stream({ model: 'openai/gpt-4o', input: 'hi' });
    const types: string[] = [];
    for await (const event of stream) types.push(event.type);
    const final = await stream.finalResponse();
    expect(types).toEqual(['response.created', 'response.completed']);
    expect(final.id).toBe('resp_upstream_1');
    expect(final.output_text).toBe('from upstream');
  });
});
