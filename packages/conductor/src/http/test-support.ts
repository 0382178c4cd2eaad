import { Writable } from 'node:stream';
import { buildConfig, type LlmgwConfig } from '@llmgw/config';
import { createDatabase, type Database, migrateDatabase } from '@llmgw/db';
import { createTestDatabase, type TestDatabase } from '@llmgw/db/testing';
import pino, { type Logger } from 'pino';
import type { Candidate, LeaseRefusal, Pool, Relay, RelayInput, RelayResult } from '../contracts.js';

/*
 * Test-only implementations of the contracts: a Relay that answers what the test scripts and a Pool
 * that knows a fixed list of usable models. The HTTP surface is tested against these, the real relay
 * and pool against the real upstream and database in their own folders.
 */

export interface ScriptedRelay extends Relay {
  /** Every input the app handed over, in order. */
  inputs: RelayInput[];
}

/** Counts a request in flight until its answer is complete (a stream until its last byte or cancel). */
export function createScriptedRelay(
  respond: (input: RelayInput) => RelayResult | Promise<RelayResult>,
): ScriptedRelay {
  const inputs: RelayInput[] = [];
  let inflight = 0;
  return {
    inputs,
    inflight: () => inflight,
    async relay(input) {
      inputs.push(input);
      inflight += 1;
      let result: RelayResult;
      try {
        result = await respond(input);
      } catch (error) {
        inflight -= 1;
        throw error;
      }
      if (result.kind !== 'stream') {
        inflight -= 1;
        return result;
      }
      let done = false;
      const finish = () => {
        if (!done) inflight -= 1;
        done = true;
      };
      const counted = result.body.pipeThrough(new TransformStream<Uint8Array, Uint8Array>({ flush: finish }));
      const reader = counted.getReader();
      const body = new ReadableStream<Uint8Array>({
        async pull(controller) {
          const { done: ended, value } = await reader.read();
          if (ended) controller.close();
          else controller.enqueue(value);
        },
        async cancel(reason) {
          finish();
          await reader.cancel(reason);
        },
      });
      return { ...result, body };
    },
  };
}

export function okJson(body: unknown, headers: Record<string, string> = {}): RelayResult {
  return { kind: 'json', status: 200, body, headers };
}

/** SSE events as the relay frames them, ending with `[DONE]`. */
export function sseStream(events: readonly unknown[], delayMs = 0): ReadableStream<Uint8Array> {
  const frames = [...events.map((event) => `data: ${JSON.stringify(event)}\n\n`), 'data: [DONE]\n\n'];
  const encoder = new TextEncoder();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const frame = frames.shift();
      if (frame === undefined) {
        controller.close();
        return;
      }
      if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
      controller.enqueue(encoder.encode(frame));
    },
  });
}

export function createListPool(models: readonly Candidate[]): Pool {
  const refusal: LeaseRefusal = { kind: 'unavailable', counts: {} };
  return {
    lease: async () => refusal,
    usableModels: async () => [...models],
    close: async () => {},
  };
}

/** A pino logger whose lines the test can read. */
export function captureLog(): { log: Logger; lines: () => Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.trim() !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
      }
      callback();
    },
  });
  return { log: pino({ level: 'debug' }, sink), lines: () => lines };
}

export const TEST_TOKEN = 'test-token-0123456789';

/** A config like an operator's: remote providers, a local one, a group, an alias, one auth token. */
export function testConfig(patch: { gateway?: Record<string, unknown> } = {}): LlmgwConfig {
  return buildConfig({
    gateway: { auth_tokens: [TEST_TOKEN], body_limit: '1kb', ...patch.gateway },
    providers: {
      openai: { models: { 'gpt-4o-mini': { aliases: ['mini'] }, 'gpt-4o': {} } },
      groq: {},
      openrouter: {},
      mistral: { enabled: false },
      ollama: { models: ['llama3.2', 'gpt-4o-mini'] },
    },
    models: {
      fast: ['groq/llama-3.3-70b-versatile', 'openai/mini', 'ollama/llama3.2'],
    },
  });
}

export interface DatabaseFixture {
  database: Database;
  dispose(): Promise<void>;
}

/** A database of this test file's own on the test server (migrated unless asked not to). */
export async function openTestDatabase(options: { migrate?: boolean } = {}): Promise<DatabaseFixture> {
  const server: TestDatabase = await createTestDatabase();
  const database = await createDatabase({ url: server.url });
  if (options.migrate !== false) await migrateDatabase(database);
  return {
    database,
    dispose: async () => {
      await database.close().catch(() => {});
      await server.drop();
    },
  };
}
