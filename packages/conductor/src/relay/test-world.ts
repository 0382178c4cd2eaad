/*
 * Test support: a relay wired to real things — the testkit upstream over a socket, real http clients,
 * a real config — with the in-memory test pool and an in-memory attempt sink. The upstream comes from
 * the test (only tests import testkit).
 */
import { randomBytes } from 'node:crypto';
import { buildConfig, type LlmgwConfig } from '@llmgw/config';
import { createHttpClients, type HttpClients } from '@llmgw/http';
import { createCredentialSource, httpClientSettings } from '@llmgw/upstream';
import pino from 'pino';
import type { AttemptRecord, CandidateTiers, Relay, RelayInput, RelayResult } from '../contracts.js';
import { createRelay } from './create-relay.js';
import { createTestPool, type TestKey, type TestPool } from './test-pool.js';

export const OPENAI_MODEL = 'gpt-4o-mini';
export const ANTHROPIC_MODEL = 'claude-3-5-haiku-20241022';
export const GEMINI_MODEL = 'gemini-2.0-flash';

export interface RelayWorld {
  relay: Relay;
  pool: TestPool;
  records: AttemptRecord[];
  http: HttpClients;
  config: LlmgwConfig;
  close(): Promise<void>;
}

let nextKeyId = 1;

/** A key for the test pool; `prefix` picks the testkit behaviour (`test-429-`…), the rest is unique. */
export function key(
  prefix: string,
  provider = 'openai',
  model = modelOf(provider),
): Omit<TestKey, 'tripleId'> {
  const keyId = nextKeyId;
  nextKeyId += 1;
  return { provider, model, keyId, secret: `${prefix}${randomBytes(12).toString('hex')}` };
}

function modelOf(provider: string): string {
  if (provider === 'anthropic') return ANTHROPIC_MODEL;
  if (provider === 'gemini') return GEMINI_MODEL;
  return OPENAI_MODEL;
}

export function createRelayWorld(
  upstreamUrl: string,
  keys: Array<Omit<TestKey, 'tripleId'>>,
  gateway: Record<string, unknown> = {},
): RelayWorld {
  const config = buildConfig({
    gateway: { first_byte_timeout: '1s', queue: { max_wait: '0s' }, ...gateway },
    providers: {
      openai: { base_url: `${upstreamUrl}/v1`, models: [OPENAI_MODEL, 'text-embedding-3-small'] },
      anthropic: { base_url: `${upstreamUrl}/v1`, models: [ANTHROPIC_MODEL] },
      gemini: { base_url: `${upstreamUrl}/v1beta`, models: [GEMINI_MODEL] },
    },
  });
  const http = createHttpClients(httpClientSettings(config));
  const pool = createTestPool(keys);
  const records: AttemptRecord[] = [];
  const relay = createRelay({
    config,
    pool,
    upstream: { http, credentials: createCredentialSource(http), now: Date.now },
    attempts: { record: (attempt) => void records.push(attempt) },
    log: pino({ level: 'silent' }),
    now: Date.now,
  });
  return { relay, pool, records, http, config, close: () => http.close() };
}

let nextRequest = 1;

export function chatInput(
  tiers: CandidateTiers,
  options: { stream?: boolean; body?: Record<string, unknown>; signal?: AbortSignal; text?: string } = {},
): RelayInput {
  const requestId = `req-${nextRequest}`;
  nextRequest += 1;
  return {
    operation: 'chat',
    body: {
      model: 'client-model',
      messages: [{ role: 'user', content: options.text ?? 'hello' }],
      ...options.body,
    },
    tiers,
    stream: options.stream ?? false,
    requestId,
    signal: options.signal ?? new AbortController().signal,
  };
}

/** One tier of the given keys' provider/model pairs, deduplicated. */
export function tierOf(...keys: Array<Pick<TestKey, 'provider' | 'model'>>): CandidateTiers[number] {
  const seen = new Map<string, { provider: string; model: string }>();
  for (const k of keys) seen.set(`${k.provider}/${k.model}`, { provider: k.provider, model: k.model });
  return [...seen.values()];
}

/** The whole SSE body as text. */
export async function readBody(result: RelayResult): Promise<string> {
  if (result.kind !== 'stream') throw new Error(`expected a stream, got ${result.kind}`);
  return new Response(result.body).text();
}

/** `data:` payloads of an SSE text, in order. */
export function sseData(text: string): string[] {
  return text
    .split('\n\n')
    .filter((frame) => frame.startsWith('data: '))
    .map((frame) => frame.slice('data: '.length));
}

/** The streamed reply text, assembled from the chunks. */
export function streamedText(data: string[]): string {
  let text = '';
  for (const payload of data) {
    if (payload === '[DONE]') continue;
    const chunk = JSON.parse(payload) as { choices?: Array<{ delta?: { content?: string } }> };
    for (const choice of chunk.choices ?? []) text += choice.delta?.content ?? '';
  }
  return text;
}
